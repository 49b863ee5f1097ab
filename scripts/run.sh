#!/usr/bin/env bash
# Starts Poplit (action server on 127.0.0.1:5055, Rasa on 5005) under a supervisor that restarts a
# server that crashes or hangs, serves a health check on 127.0.0.1:5056, prints how to chat, and
# stops everything on Ctrl-C or SIGTERM. The work is in bot/serve.py and bot/supervisor.py.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export VENV
exec "$VENV/bin/python" -m bot serve
