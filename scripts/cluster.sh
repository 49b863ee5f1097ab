#!/usr/bin/env bash
# `make cluster`: HAProxy in front of N Rasa instances (N=2 unless N= or RASA_INSTANCES= says otherwise),
# 2 action servers and 2 follow-up workers, on this machine's PostgreSQL and Redis, under the same
# supervisor as `make run`. The work is in bot/serve.py (--cluster) and deploy/haproxy.cfg.template.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
export VENV
export RASA_INSTANCES="${RASA_INSTANCES:-${N:-2}}"
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/poplit_cluster}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/1}"
# The machine's own PostgreSQL: make the database on first use (elsewhere it is made by whoever runs it).
"$VENV/bin/python" -m bot db create-if-missing
exec "$VENV/bin/python" -m bot serve --cluster
