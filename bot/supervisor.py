"""Keeps a set of server processes running: starts them, restarts any that crash (with backoff) or
stop answering for too long, reports which are up, and stops them all cleanly.

Each process runs in its own process group, so a stop reaches everything it started (Sanic
workers included), and asks the kernel to send it SIGTERM should the supervisor itself die, so a
killed supervisor leaves no servers behind. Nothing here knows about Rasa; bot/serve.py says what
to run.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import aiohttp

logger = logging.getLogger("poplit.supervisor")

PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)


def _die_with_parent() -> None:  # runs in the child between fork and exec
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_file: Path
    ready_url: str  # answers 2xx once the service can take work
    # Restart it when it has not answered for this long (None: only when it exits).
    restart_when_silent_seconds: Optional[float] = None


@dataclass(frozen=True)
class Backoff:
    """Delay before restart number n of a row of crashes: first, 2x first, 4x ..., at most cap.
    A service that stays up for `reset_after` seconds starts a new row."""

    first: float = 1.0
    cap: float = 30.0
    reset_after: float = 60.0

    def delay(self, crashes_in_a_row: int) -> float:
        return min(self.cap, self.first * 2 ** max(0, crashes_in_a_row - 1))


@dataclass
class ServiceState:
    spec: ServiceSpec
    process: Optional[asyncio.subprocess.Process] = None
    status: str = "stopped"  # starting, up, not answering, restarting, stopped
    started_at: float = 0.0
    last_answer_at: Optional[float] = None
    restarts: int = 0
    crashes_in_a_row: int = 0
    last_exit: Optional[int] = None
    restart_at: Optional[float] = None

    def describe(self, now: float) -> dict[str, Any]:
        running = self.process is not None and self.process.returncode is None
        return {
            # Between an exit and the next watch round the recorded status is stale.
            "status": self.status if running or self.status in ("restarting", "stopped") else "exited",
            "pid": self.process.pid if running and self.process else None,
            "restarts": self.restarts,
            "last_exit_code": self.last_exit,
            "up_for_seconds": round(now - self.started_at, 1) if self.status == "up" else None,
        }


class StartupError(RuntimeError):
    """A service exited or never answered while starting; the message says which and where to look."""


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


async def _answers(session: aiohttp.ClientSession, url: str) -> bool:
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response:
            return response.status < 300
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


class Supervisor:
    def __init__(
        self,
        services: list[ServiceSpec],
        backoff: Backoff = Backoff(),
        probe_interval: float = 0.5,
        stop_grace_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.states = {spec.name: ServiceState(spec) for spec in services}
        self.backoff = backoff
        self.probe_interval = probe_interval
        self.stop_grace_seconds = stop_grace_seconds
        self.clock = clock
        self._stopping = False
        self._session: Optional[aiohttp.ClientSession] = None

    async def __aenter__(self) -> "Supervisor":
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.stop()
        if self._session:
            await self._session.close()

    async def _spawn(self, state: ServiceState) -> None:
        spec = state.spec
        spec.log_file.parent.mkdir(parents=True, exist_ok=True)
        with spec.log_file.open("ab") as log:
            state.process = await asyncio.create_subprocess_exec(
                *spec.argv,
                env=spec.env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        state.status, state.started_at, state.restart_at = "starting", self.clock(), None
        state.last_answer_at = None
        logger.info("%s started (pid %s)", spec.name, state.process.pid)

    async def start(self, timeout: float = 240.0) -> None:
        """Starts every service and returns once all answer; raises StartupError otherwise."""
        for state in self.states.values():
            await self._spawn(state)
        deadline = self.clock() + timeout
        while True:
            for state in self.states.values():
                if state.process and state.process.returncode is not None:
                    raise StartupError(
                        f"{state.spec.name} exited during start-up (code {state.process.returncode}); "
                        f"see {state.spec.log_file}:\n{_log_tail(state.spec.log_file)}"
                    )
            await self._probe_all()
            if all(state.status == "up" for state in self.states.values()):
                return
            if self.clock() > deadline:
                silent = [s.spec.name for s in self.states.values() if s.status != "up"]
                raise StartupError(f"{', '.join(silent)} did not answer within {timeout:.0f} s; see the logs")
            await asyncio.sleep(self.probe_interval)

    async def _probe_all(self) -> None:
        assert self._session is not None
        states = [s for s in self.states.values() if s.process and s.process.returncode is None]
        answers = await asyncio.gather(*(_answers(self._session, s.spec.ready_url) for s in states))
        now = self.clock()
        for state, answered in zip(states, answers, strict=False):
            if answered:
                if state.status != "up":
                    logger.info("%s is up (pid %s)", state.spec.name, state.process.pid if state.process else "?")
                state.status, state.last_answer_at = "up", now
            elif state.status == "up":
                state.status = "not answering"
                logger.warning("%s is not answering", state.spec.name)

    async def _kill_group(self, state: ServiceState, sig: int) -> None:
        if state.process and state.process.returncode is None:
            try:
                os.killpg(state.process.pid, sig)
            except ProcessLookupError:
                pass

    async def watch_once(self) -> None:
        """One round: note exits, schedule and perform restarts, probe, restart silent services."""
        now = self.clock()
        for state in self.states.values():
            process = state.process
            if process and process.returncode is not None and state.restart_at is None and not self._stopping:
                state.last_exit = process.returncode
                if now - state.started_at >= self.backoff.reset_after:
                    state.crashes_in_a_row = 0
                state.crashes_in_a_row += 1
                delay = self.backoff.delay(state.crashes_in_a_row)
                state.status, state.restart_at = "restarting", now + delay
                logger.error(
                    "%s exited with code %s after %.1f s; restarting in %.1f s (see %s)",
                    state.spec.name,
                    process.returncode,
                    now - state.started_at,
                    delay,
                    state.spec.log_file,
                )
            if state.restart_at is not None and now >= state.restart_at and not self._stopping:
                state.restarts += 1
                await self._spawn(state)
        await self._probe_all()
        now = self.clock()
        for state in self.states.values():
            limit = state.spec.restart_when_silent_seconds
            last = state.last_answer_at if state.last_answer_at is not None else state.started_at
            if limit is not None and state.status == "not answering" and now - last > limit:
                logger.error("%s has not answered for %.0f s; killing it to restart", state.spec.name, now - last)
                await self._kill_group(state, signal.SIGKILL)

    async def watch(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self.watch_once()
            try:
                await asyncio.wait_for(stop.wait(), self.probe_interval)
            except asyncio.TimeoutError:
                pass

    async def stop(self) -> None:
        """SIGTERM to every process group, then SIGKILL to whatever is left after the grace period."""
        self._stopping = True
        running = [s for s in self.states.values() if s.process and s.process.returncode is None]
        if running:
            logger.info("stopping %s", ", ".join(state.spec.name for state in running))
        for state in running:
            await self._kill_group(state, signal.SIGTERM)
        for state in running:
            assert state.process is not None
            try:
                await asyncio.wait_for(state.process.wait(), self.stop_grace_seconds)
            except asyncio.TimeoutError:
                logger.warning("%s did not stop in %.0f s; killing it", state.spec.name, self.stop_grace_seconds)
            # The group may hold workers that outlive their parent; none may stay behind.
            try:
                os.killpg(state.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            await state.process.wait()
        for state in self.states.values():
            state.status = "stopped"
        if running:
            logger.info("all stopped")

    def health(self) -> dict[str, Any]:
        now = self.clock()
        services = {name: state.describe(now) for name, state in self.states.items()}
        return {"status": "ok" if all(s["status"] == "up" for s in services.values()) else "degraded", "services": services}
