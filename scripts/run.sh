#!/usr/bin/env bash
# `make run`: migrate, load the demo data and serve on http://127.0.0.1:8000.
# With REDIS_URL set, a real Celery worker with beat runs beside the web server
# (and stops with it); without it, tasks run in-process.
set -euo pipefail
BIN=.venv/bin

$BIN/python manage.py migrate --noinput
$BIN/python manage.py demo_data

if [ -n "${REDIS_URL:-}" ]; then
  echo "REDIS_URL is set: starting a Celery worker with beat."
  $BIN/celery -A myaccount worker -B --loglevel=info --schedule "${TMPDIR:-/tmp}/myaccount-celerybeat" &
  worker=$!
  trap 'kill $worker 2>/dev/null; wait $worker 2>/dev/null' EXIT INT TERM
fi

$BIN/python manage.py runserver 127.0.0.1:8000
