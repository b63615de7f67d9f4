#!/usr/bin/env bash
# Make sure the Postgres and Redis that the tests use are up; start them if they are
# installed but stopped, install them (Debian) if they are missing. Creates the database.
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/myaccount}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

apt_install() {
  if command -v apt-get >/dev/null; then
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
  else
    echo "Please install: $*" >&2; exit 1
  fi
}

# PostgreSQL
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  command -v pg_ctlcluster >/dev/null || apt_install postgresql
  version=$(ls /etc/postgresql | sort -V | tail -1)
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || $SUDO pg_ctlcluster "$version" main start
  for _ in $(seq 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
dbname="${DATABASE_URL##*/}"; dbname="${dbname%%\?*}"
psql "${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname='$dbname'" | grep -q 1 \
  || psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE \"$dbname\"" \
  || { echo "Cannot reach Postgres at $DATABASE_URL (is trust or a password configured for it?)" >&2; exit 1; }

# Redis (the production tier also starts redis-servers of its own: the binary must exist)
command -v redis-server >/dev/null || apt_install redis-server
if ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  $SUDO mkdir -p /var/lib/redis /var/log/redis
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/myaccount.log
  for _ in $(seq 30); do redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1 && break; sleep 0.5; done
fi
echo "Postgres and Redis are up."
