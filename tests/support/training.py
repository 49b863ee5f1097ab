"""Timed Rasa trainings for `make bench`, each under the machine's training lock."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

# Everyone training on this machine takes this lock (`flock /tmp/poplit-train.lock make train`): two
# trainings on 2 cores each take about twice as long, and a training figure taken so means nothing.
TRAIN_LOCK = Path("/tmp/poplit-train.lock")
RASA = Path(sys.executable).parent / "rasa"


@contextmanager
def training_lock() -> Iterator[None]:
    """Holds the training lock (flock(2), the same lock as the flock command) until the block ends."""
    with TRAIN_LOCK.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"  waiting for {TRAIN_LOCK}: another training is running", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock


def timed_rasa(arguments: Sequence[str], cwd: Path, log: Path) -> float:
    """Seconds one `rasa ...` command takes with an empty component cache, as on a new machine.

    RASA_CACHE_DIRECTORY points at a fresh folder, so no component is reused from an earlier training.
    The clock starts once the lock is held: waiting for someone else's training is not training time.
    The output goes to `log` (named in the error when the command fails).
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with training_lock(), tempfile.TemporaryDirectory() as cache, log.open("wb") as output:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": cache, "TF_CPP_MIN_LOG_LEVEL": "2"}
        started = time.monotonic()
        finished = subprocess.run([str(RASA), *arguments], cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - started
    if finished.returncode != 0:
        raise RuntimeError(f"rasa {' '.join(arguments)} failed (exit {finished.returncode}); see {log}")
    return seconds


def cold_training_seconds(project: Path, log: Path) -> float:
    """A full `rasa train` of `project` from an empty cache, into a scratch folder (the model is dropped).

    As `make train` runs it, without Rasa's data validation (`make test` runs `rasa data validate`).
    """
    with tempfile.TemporaryDirectory() as scratch:
        arguments = ["train", "--skip-validation", "--out", scratch, "--fixed-model-name", "bench"]
        return timed_rasa(arguments, cwd=project, log=log)
