"""Rasa's own starter bot (`rasa init`), the baseline `make bench` measures Poplit against.

It is built once into var/bench/starter (the project, its model and the seconds its training took)
and run as a single `rasa run` with the same tracker store type as Poplit (SQL on SQLite) and the
same REST channel. Its stories use no custom action, so no action server is started.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

from tests.support.assistant import PROJECT_ROOT, RunningAssistant, free_port
from tests.support.processes import rss_bytes, stop, wait_for_http
from tests.support.training import RASA, timed_rasa

STARTER_DIR = PROJECT_ROOT / "var" / "bench" / "starter"
TRAINING_SECONDS_FILE = STARTER_DIR / "training-seconds"
TRACKER_DB = STARTER_DIR / "tracker.db"

# As many turns as Poplit's bench conversation (a greeting and six intake turns), each an example
# from the starter's data/nlu.yml so every intent is recognised, in the order of its stories and
# rules (sad path 1, happy path, bot challenge, goodbye): the bot follows its script instead of
# falling back, which is the cheapest path it has and so the fairest baseline.
STARTER_TURNS = ["hello there", "I am sad", "yes", "hey", "I am great", "are you a bot?", "bye"]

ENDPOINTS = f"""\
# Written by tests/support/starter_bot.py: the same tracker store type as Poplit (Rasa's SQL store on
# SQLite), emptied before each start; no action server (the starter's stories need none).
tracker_store:
  type: SQL
  dialect: sqlite
  db: {TRACKER_DB}
"""


def training_inputs() -> list[Path]:
    inputs = [STARTER_DIR / "config.yml", STARTER_DIR / "domain.yml"]
    return inputs + sorted((STARTER_DIR / "data").rglob("*.yml"))


def current_model() -> Optional[Path]:
    """The newest model, if it is newer than the config and data it was trained from."""
    models = sorted((STARTER_DIR / "models").glob("*.tar.gz"), key=lambda path: path.stat().st_mtime)
    inputs = training_inputs()
    if not models or not all(path.exists() for path in inputs):
        return None
    newest = models[-1]
    return newest if newest.stat().st_mtime > max(path.stat().st_mtime for path in inputs) else None


def build_starter_bot() -> Path:
    """The starter bot's model: reused when current, otherwise created with `rasa init` (which trains
    it) or retrained after its config or data changed. Training time from an empty cache is recorded."""
    model = current_model()
    if model is not None:
        return model
    log = STARTER_DIR.parent / "starter-build.log"
    if not (STARTER_DIR / "config.yml").exists():
        # `rasa init --no-prompt` wants an existing folder and trains an initial model into it.
        shutil.rmtree(STARTER_DIR, ignore_errors=True)
        STARTER_DIR.mkdir(parents=True)
        print(f"  building Rasa's starter bot in {STARTER_DIR} (rasa init, trains once)", flush=True)
        seconds = timed_rasa(["init", "--no-prompt", "--init-dir", str(STARTER_DIR)], cwd=STARTER_DIR, log=log)
    else:
        print(f"  retraining the starter bot in {STARTER_DIR} (its config or data changed)", flush=True)
        shutil.rmtree(STARTER_DIR / "models", ignore_errors=True)
        seconds = timed_rasa(["train", "--out", "models"], cwd=STARTER_DIR, log=log)
    TRAINING_SECONDS_FILE.write_text(f"{seconds:.1f}\n")
    model = current_model()
    if model is None:
        raise RuntimeError(f"no starter bot model in {STARTER_DIR / 'models'} after training; see {log}")
    return model


@dataclass
class StarterBot(RunningAssistant):
    """The starter bot behind the same HTTP client as Poplit (say, post_json): one Rasa process and
    no supervisor, so `health()` has nothing to report."""

    def rss_bytes(self) -> dict[str, int]:
        return {"rasa": rss_bytes(self.process.pid)}


@contextmanager
def running_starter_bot(model: Path, timeout: float = 240) -> Iterator[StarterBot]:
    """`rasa run` of the starter bot on a free port with the HTTP API; yields once `/` answers (Rasa
    loads the model before it listens). Stopped with SIGTERM at the end."""
    (STARTER_DIR / "endpoints.yml").write_text(ENDPOINTS)
    TRACKER_DB.unlink(missing_ok=True)  # every run starts with an empty store, like Poplit's fresh VAR_DIR
    port, token = free_port(), f"bench-token-{os.getpid()}"
    argv = [str(RASA), "run", "--model", str(model), "--enable-api", "--auth-token", token]
    argv += ["--interface", "127.0.0.1", "--port", str(port), "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    with (STARTER_DIR / "rasa.log").open("wb") as log:
        started = time.monotonic()
        process = subprocess.Popen(argv, cwd=STARTER_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        if wait_for_http(base_url + "/", timeout, process) is None:
            raise RuntimeError(f"the starter bot did not start (exit {process.poll()}); see {STARTER_DIR / 'rasa.log'}")
        yield StarterBot(base_url, token, STARTER_DIR, process, startup_seconds=time.monotonic() - started)
    finally:
        stop(process)
