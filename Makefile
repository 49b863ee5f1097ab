# Poplit: `make run` to chat, `make test` for every test (what .ci/run calls), `make bench` for numbers.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
SPACY_MODEL := var/spacy/en_poplit
MODEL := models/poplit.tar.gz
# Rasa instances of `make cluster` and `make loadtest`.
N ?= 2
# What a model is trained from: Rasa's files, the NLU components' code and the normaliser's table
# (training examples are normalised before DIET sees their words).
TRAINING_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) $(wildcard bot/nlu/*.py) bot/triage/text_speak.yml
export TF_CPP_MIN_LOG_LEVEL ?= 2
# The machine's pip config adds local indexes that are not there; keep pip's output readable.
PIP := $(VENV)/bin/pip --disable-pip-version-check

WEB := bot/channels/web
BROWSER_TESTS := tests/browser

.PHONY: help venv spacy train web browser balancer tools run cluster test test-unit test-cluster loadtest lint bench nlu-study eval-triage eval-conversations eval-questions validate clean

help:
	@echo "make run    set up (venv, spaCy pipeline, model) and start Poplit on :5005"
	@echo "make test   run every test (unit, actions, data validation, stories, NLU hold-out, end-to-end)"
	@echo "make bench  print latency, start-up, training time and memory figures"
	@echo "make nlu-study  intent macro-F1 on the held-out sets per pipeline option, two seeds each"
	@echo "make cluster  N Rasa instances (N=2), 2 action servers and 2 workers behind HAProxy on PostgreSQL and Redis"
	@echo "make test-cluster  the cluster under contention and faults (what .ci/run also runs)"
	@echo "make loadtest  locust through the balancer, 1 and 2 Rasa instances; writes results/load.json"
	@echo "make train  train the model if data or config changed"
	@echo "make lint   ruff (lint and format check) and mypy"
	@echo "make eval-triage  red-flag vignettes through the engine and the running assistant"
	@echo "make eval-conversations  scripted conversations (tests/conversations) through the running assistant"

$(VENV)/.installed: requirements.txt scripts/find_python.sh
	@python_bin="$$(scripts/find_python.sh)" || exit 1; \
	  echo "using $$python_bin ($$($$python_bin --version))"; \
	  [ -x $(VENV)/bin/python ] || "$$python_bin" -m venv $(VENV)
	set -o pipefail; $(PIP) install -q --upgrade pip==24.0 2>&1 | { grep -v "is ignored: it is neither" || true; }
	set -o pipefail; $(PIP) install -q -r requirements.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	touch $@

venv: $(VENV)/.installed

$(SPACY_MODEL)/meta.json: $(VENV)/.installed bot/spacy_pipeline.py
	$(PY) -m bot build-spacy $(SPACY_MODEL)

spacy: $(SPACY_MODEL)/meta.json

# Trains only when config, domain or data changed since the last model (make compares times).
# --skip-validation: `rasa data validate` checks the data in `make test` (and `make validate`); run
# again here it cost about 20 s of every training. tests/support/training.py times the same command.
$(MODEL): $(SPACY_MODEL)/meta.json $(TRAINING_INPUTS)
	@mkdir -p models var
	@start=$$(date +%s); \
	  set -o pipefail; $(RASA) train --skip-validation --fixed-model-name poplit --out models 2>&1 \
	    | { grep -vE "is ignored: it is neither|DeprecationWarning|declare_namespace|^  (import|declare|from jax)" || true; } && \
	  echo "$$(( $$(date +%s) - start ))" > var/last-training-seconds && \
	  echo "trained $(MODEL) in $$(cat var/last-training-seconds) s"

train: $(MODEL)

# The chat page's npm packages, exactly as package-lock.json pins them.
$(WEB)/node_modules/.package-lock.json: $(WEB)/package.json $(WEB)/package-lock.json
	npm ci --prefix $(WEB) --no-audit --no-fund

web: $(WEB)/node_modules/.package-lock.json

# The browser tests drive Debian's chromium with playwright-core (no browser download from a test tool).
$(BROWSER_TESTS)/node_modules/.package-lock.json: $(BROWSER_TESTS)/package.json $(BROWSER_TESTS)/package-lock.json
	npm ci --prefix $(BROWSER_TESTS) --no-audit --no-fund

browser: $(BROWSER_TESTS)/node_modules/.package-lock.json
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get install -y -q chromium >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; }

run: $(MODEL) web
	scripts/run.sh

# Debian's HAProxy, the balancer of `make cluster` (deploy/haproxy.cfg.template).
balancer:
	@command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { \
	  echo "installing Debian's haproxy for the cluster"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get install -y -q haproxy >/dev/null || { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q haproxy >/dev/null; }; }

# N Rasa instances (2 by default), 2 action servers and 2 follow-up workers behind HAProxy on :5005, on
# PostgreSQL (DATABASE_URL, else the machine's poplit_cluster database) and Redis (REDIS_URL).
cluster: $(MODEL) web balancer
	N=$(N) scripts/cluster.sh

validate: $(VENV)/.installed
	$(RASA) data validate --fail-on-warnings

test: $(MODEL) web browser balancer tools
	$(PY) -m pytest --ignore=tests/cluster

# locust and kubernetes-validate in a venv of their own (requirements-tools.txt): Rasa's pins stay untouched.
.venv-tools/.installed: requirements-tools.txt
	python3 -m venv .venv-tools
	set -o pipefail; .venv-tools/bin/pip --disable-pip-version-check install -q -r requirements-tools.txt 2>&1 | { grep -v "is ignored: it is neither" || true; }
	touch $@

tools: .venv-tools/.installed

# 100 people for 2 minutes through the balancer, with 1 and then 2 Rasa instances (about 8 minutes);
# LOAD_ARGS="--users 50 --seconds 60 --instances 2" for a shorter run. Writes results/load.json.
loadtest: $(MODEL) web balancer tools
	$(PY) -m tests.load.run $(LOAD_ARGS)

# The cluster (make cluster) under contention and faults; .ci/run runs it after `make test`.
test-cluster: $(MODEL) web balancer
	$(PY) -m pytest tests/cluster

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

# Poplit next to Rasa's starter bot (built once into var/bench/starter); table in results/bench.json.
# Trainings take /tmp/poplit-train.lock (others train on this 2-core machine): Poplit's model here when
# it is stale, the starter bot's and BENCH_TRAIN=1's inside tests/bench.py, so do not run `make bench`
# itself under flock. BENCH_TRAIN=1: time both trainings from an empty cache (~3-4 min more);
# BENCH_ARGS="--compare results/bench-before.json": add Poplit's figures from an earlier run.
bench: $(VENV)/.installed
	@$(MAKE) --no-print-directory -q $(MODEL) || flock /tmp/poplit-train.lock $(MAKE) --no-print-directory $(MODEL)
	$(PY) -m tests.bench $(BENCH_ARGS)

eval-triage: $(MODEL)
	$(PY) -m tests.triage.compare_negation
	$(PY) -m tests.triage.evaluate
	@if [ -f tests/triage/vignettes_blind.yml ]; then $(PY) -m tests.triage.evaluate --vignettes tests/triage/vignettes_blind.yml; fi

eval-conversations: $(MODEL)
	$(PY) -m tests.conversations.runner

# The blind question sets (tests/blind/questions-N) through the running assistant over REST.
eval-questions: $(MODEL) web
	$(PY) -m tests.questions.evaluate $(QUESTIONS_ARGS)

# Intent generalisation per pipeline option across two seeds (tests/nlu_study.py, ~20 min): one
# training at a time, under the training lock; table in results/nlu-study.json.
nlu-study: $(VENV)/.installed
	flock /tmp/poplit-train.lock $(PY) -m tests.nlu_study $(STUDY_ARGS)

clean:
	rm -rf models results var/spacy
