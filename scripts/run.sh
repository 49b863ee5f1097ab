#!/usr/bin/env bash
# Starts the action server (127.0.0.1:5055) and Rasa (5005) with the trained model, waits until
# both answer, prints how to chat, and stops both on Ctrl-C or SIGTERM.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
MODEL="${MODEL:-models/poplit.tar.gz}"
RASA_HOST="${RASA_HOST:-127.0.0.1}"
RASA_PORT="${RASA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
VAR_DIR="${VAR_DIR:-var}"
export ACTION_SERVER_URL="${ACTION_SERVER_URL:-http://127.0.0.1:$ACTIONS_PORT/webhook}"
mkdir -p "$VAR_DIR/log"

[[ -f "$MODEL" ]] || { echo "error: no trained model at $MODEL; run 'make train' first" >&2; exit 1; }

eval "$("$VENV/bin/python" -m bot runtime-config --var-dir "$VAR_DIR")"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"

pids=()
stop_all() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do
    # Each server runs in its own process group (setsid); signal the whole group.
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
}
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all' EXIT

SANIC_HOST=127.0.0.1 setsid "$VENV/bin/rasa" run actions --actions actions --port "$ACTIONS_PORT" \
  >"$VAR_DIR/log/actions.log" 2>&1 &
pids+=("$!")

setsid "$VENV/bin/rasa" run --model "$MODEL" --enable-api --auth-token "$AUTH_TOKEN" \
  --interface "$RASA_HOST" --port "$RASA_PORT" --cors "*" \
  --endpoints "$ENDPOINTS_FILE" --credentials "$CREDENTIALS_FILE" \
  >"$VAR_DIR/log/rasa.log" 2>&1 &
pids+=("$!")

wait_for() {  # name url
  for _ in $(seq 1 240); do
    if curl -fsS -o /dev/null "$2" 2>/dev/null; then return 0; fi
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "error: $1 exited during start-up; see $VAR_DIR/log/" >&2; tail -n 20 "$VAR_DIR"/log/*.log >&2; exit 1; }
    done
    sleep 0.5
  done
  echo "error: $1 did not answer at $2 within 120 s; see $VAR_DIR/log/" >&2
  exit 1
}
wait_for "action server" "http://127.0.0.1:$ACTIONS_PORT/health"
wait_for "Rasa" "http://$RASA_HOST:$RASA_PORT/status?token=$AUTH_TOKEN"

cat <<INFO

Poplit is running.
  Chat over REST:  curl -s -X POST http://$RASA_HOST:$RASA_PORT/webhooks/rest/webhook \\
                     -H 'Content-Type: application/json' -d '{"sender": "me", "message": "hi"}'
  Socket.IO:       http://$RASA_HOST:$RASA_PORT/socket.io (events user_uttered / bot_uttered)
  HTTP API token:  from $AUTH_TOKEN_SOURCE
                   e.g. curl -s "http://$RASA_HOST:$RASA_PORT/conversations/me/tracker?token=\$(cat $VAR_DIR/rasa-auth-token)"
  Tracker store:   $TRACKER_STORE; lock store: $LOCK_STORE
  Logs:            $VAR_DIR/log/rasa.log, $VAR_DIR/log/actions.log
Press Ctrl-C to stop.
INFO

# Returns when either server exits; the EXIT trap then stops the other one.
wait -n "${pids[@]}"
echo "a server stopped; shutting down the other (see $VAR_DIR/log/)" >&2
