#!/usr/bin/env bash
# `make run`: the whole product on one machine with nothing to install or configure.
#
# Migrates, loads the demo data and serves on http://127.0.0.1:$PORT (8000 unless PORT
# is set; SITE_URL follows it unless set). Beside the web server run, and stop with it:
#   - a Celery worker and beat, the worker consuming the default queue and `webhooks`. Its broker
#     is Redis when REDIS_URL is set; otherwise kombu's filesystem transport, messages
#     being files under $RUN_DIR/broker (no server to run);
#   - a webhook receiver on loopback that the demo company's endpoint points at, so the
#     worker delivers real signed webhooks (logged to $RUN_DIR/webhooks.jsonl);
#   - a demo OpenID Connect identity provider (demo_idp/, allauth's own) on a free loopback
#     port that the demo company signs in through: Continue with SSO as
#     sam.sso@mycompany.example (its domain is seeded as verified: no DNS is asked).
# DEMO_PASSWORD fixes the demo users' password (default: a new random one each start).
# Everything the run writes (SQLite database, broker, beat schedule) is in RUN_DIR
# (default .run/). scripts/run.sh is also what the zero-setup test tier starts.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}

export PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
RUN_DIR="$(mkdir -p "${RUN_DIR:-.run}" && cd "${RUN_DIR:-.run}" && pwd)"
export DATABASE_URL="${DATABASE_URL:-sqlite:///$RUN_DIR/db.sqlite3}"
if [ -z "${REDIS_URL:-}" ] && [ -z "${CELERY_BROKER_URL:-}" ]; then
  export CELERY_BROKER_URL="filesystem://"
  export CELERY_BROKER_DIR="$RUN_DIR/broker"
fi

pids=()
stop() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop EXIT INT TERM

rm -f "$RUN_DIR/receiver.port"
$BIN/python scripts/webhook_receiver.py --port-file "$RUN_DIR/receiver.port" \
  --log "$RUN_DIR/webhooks.jsonl" &
pids+=($!)
for _ in $(seq 100); do [ -s "$RUN_DIR/receiver.port" ] && break; sleep 0.1; done
receiver="http://127.0.0.1:$(cat "$RUN_DIR/receiver.port")/webhooks"

# The demo IdP's port is chosen first: the demo data name its issuer URL and write the
# users and client it starts with.
idp_port=$($BIN/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
idp="http://127.0.0.1:$idp_port"

$BIN/python manage.py migrate --noinput
$BIN/python manage.py demo_data --webhook-url "$receiver" --idp-url "$idp" \
  --idp-seed-file "$RUN_DIR/idp-seed.json" ${DEMO_PASSWORD:+--password "$DEMO_PASSWORD"}

rm -f "$RUN_DIR/idp.sqlite3" "$RUN_DIR/idp.out"
$BIN/python -m demo_idp.serve --db "$RUN_DIR/idp.sqlite3" --seed-file "$RUN_DIR/idp-seed.json" \
  --port "$idp_port" > "$RUN_DIR/idp.out" &
pids+=($!)
for _ in $(seq 300); do grep -q '^READY' "$RUN_DIR/idp.out" 2>/dev/null && break; sleep 0.1; done
echo "Demo identity provider on $idp (Continue with SSO as sam.sso@mycompany.example)."

echo "Celery worker and beat on ${CELERY_BROKER_URL:-$REDIS_URL} (queues celery, webhooks);"
echo "webhook receiver on $receiver."
# Worker and beat as production runs them (docker-compose.yml): two processes.
$BIN/celery -A myaccount worker -Q celery,webhooks --concurrency=2 --loglevel=info &
pids+=($!)
$BIN/celery -A myaccount beat --loglevel=info --schedule "$RUN_DIR/celerybeat-schedule" &
pids+=($!)

$BIN/python manage.py runserver "127.0.0.1:$PORT" &
pids+=($!)
wait -n
