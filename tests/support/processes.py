"""What `make bench` reads about server processes: resident memory, start time, when a URL first answers."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional


def stop(process: subprocess.Popen, grace_seconds: float = 30) -> None:
    """SIGTERM, then SIGKILL if it has not exited within the grace period."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def rss_bytes(pid: int) -> int:
    """Resident memory of one process (statm counts pages)."""
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def started_at(pid: int) -> float:
    """When the process started, on the time.monotonic() clock.

    /proc gives the start in clock ticks since boot; subtracting it from the uptime gives the process's
    age, which is clock-independent, so it can be put on the monotonic clock the bench measures with.
    """
    start_ticks = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    return time.monotonic() - age


def wait_for_http(url: str, timeout: float, process: Optional[subprocess.Popen] = None) -> Optional[float]:
    """The monotonic time at which `url` first answered 2xx; None on timeout or when `process` exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return None
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 300:
                    return time.monotonic()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.05)
    return None


def watch_log(path: Path, text: str, timeout: float) -> Callable[[], Optional[float]]:
    """Polls the file `path` in the background from now on; the function returned gives the monotonic
    time at which `text` was first seen in it (within 50 ms), or None.

    For a server started by something that blocks until every server is up (running_assistant): only
    a watcher running alongside sees the moment this one server is ready.
    """
    seen: list[float] = []

    def poll() -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if text in path.read_text(errors="replace"):
                    seen.append(time.monotonic())
                    return
            except OSError:  # not created yet
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()

    def first_seen() -> Optional[float]:
        thread.join(timeout)
        return seen[0] if seen else None

    return first_seen


def rasa_trainings_running() -> int:
    """How many `rasa train` processes run on the machine (someone else's, while the bench measures):
    on 2 cores they slow every figure, so the report says so."""
    count = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(arg.endswith(b"rasa") for arg in argv[:2]) and b"train" in argv:
            count += 1
    return count


def wait_for_trainings_to_end(timeout: float = 900) -> None:
    """Waits (up to `timeout`) until no `rasa train` runs: on 2 cores a training next to a measurement
    slows the measured server by about half, whichever server that is."""
    deadline = time.monotonic() + timeout
    said = False
    while rasa_trainings_running() and time.monotonic() < deadline:
        if not said:
            print("  waiting for a running `rasa train` to finish before measuring", flush=True)
            said = True
        time.sleep(5)


@contextmanager
def sampled(measure: Callable[[], int], every: float = 1.0) -> Iterator[list[int]]:
    """Calls `measure` every `every` seconds in the background while the block runs; the list yielded
    fills with its results."""
    samples: list[int] = []
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            samples.append(measure())
            stop.wait(every)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield samples
    finally:
        stop.set()
        thread.join()
