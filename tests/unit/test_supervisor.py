"""The supervisor with real processes (small HTTP servers): restart after a crash with backoff,
restart of a server that stops answering, a stop that leaves nothing behind, and the health report."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from bot.supervisor import Backoff, ServiceSpec, StartupError, Supervisor
from tests.support.assistant import PROJECT_ROOT, free_port


def fake(name: str, tmp_path: Path, children: int = 0, silent_after: float | None = None) -> ServiceSpec:
    port = free_port()
    return ServiceSpec(
        name=name,
        argv=[sys.executable, "-m", "tests.support.fake_service", str(port), "--children", str(children)],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        log_file=tmp_path / f"{name}.log",
        ready_url=f"http://127.0.0.1:{port}/health",
        restart_when_silent_seconds=silent_after,
    )


def group_members(pgid: int) -> list[int]:
    members = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(proc.name))
    return members


async def until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


def test_backoff_doubles_up_to_the_cap() -> None:
    backoff = Backoff(first=1, cap=8)
    assert [backoff.delay(n) for n in range(1, 6)] == [1, 2, 4, 8, 8]


def test_a_crashed_server_is_restarted_and_reported(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Supervisor([fake("web", tmp_path)], backoff=Backoff(first=0.5), probe_interval=0.1) as supervisor:
            await supervisor.start(timeout=30)
            stop = asyncio.Event()
            watcher = asyncio.create_task(supervisor.watch(stop))
            state = supervisor.states["web"]
            first_pid = state.process.pid  # type: ignore[union-attr]
            os.kill(first_pid, signal.SIGKILL)
            await until(lambda: supervisor.health()["services"]["web"]["status"] != "up")
            assert supervisor.health()["status"] == "degraded"
            await until(lambda: state.status == "up" and state.process.pid != first_pid)  # type: ignore[union-attr]
            report = supervisor.health()["services"]["web"]
            assert report["restarts"] == 1 and report["last_exit_code"] == -signal.SIGKILL
            stop.set()
            await watcher

    asyncio.run(scenario())


def test_a_server_that_stops_answering_is_killed_and_restarted(tmp_path: Path) -> None:
    async def scenario() -> None:
        spec = fake("hung", tmp_path, silent_after=1.0)
        async with Supervisor([spec], backoff=Backoff(first=0.2), probe_interval=0.2) as supervisor:
            await supervisor.start(timeout=30)
            stop = asyncio.Event()
            watcher = asyncio.create_task(supervisor.watch(stop))
            state = supervisor.states["hung"]
            first_pid = state.process.pid  # type: ignore[union-attr]
            os.kill(first_pid, signal.SIGSTOP)
            await until(lambda: state.restarts == 1 and state.status == "up", timeout=30)
            assert state.process.pid != first_pid  # type: ignore[union-attr]
            stop.set()
            await watcher

    asyncio.run(scenario())


def test_stop_leaves_no_process_of_any_group_behind(tmp_path: Path) -> None:
    async def scenario() -> list[int]:
        supervisor = Supervisor([fake("a", tmp_path, children=2), fake("b", tmp_path)], probe_interval=0.1)
        async with supervisor:
            await supervisor.start(timeout=30)
            groups = [state.process.pid for state in supervisor.states.values()]  # type: ignore[union-attr]
            await until(lambda: len(group_members(groups[0])) == 3)
        return groups

    groups = asyncio.run(scenario())
    # SIGKILL is delivered when the killed process next runs: on a busy machine that is a moment later.
    asyncio.run(until(lambda: all(group_members(pgid) == [] for pgid in groups), timeout=5))


def test_a_server_that_dies_while_starting_is_a_clear_error(tmp_path: Path) -> None:
    broken = ServiceSpec(
        "broken",
        [sys.executable, "-c", "print('bad config'); raise SystemExit(3)"],
        dict(os.environ),
        tmp_path / "broken.log",
        "http://127.0.0.1:9/",
    )

    async def scenario() -> None:
        async with Supervisor([broken], probe_interval=0.1) as supervisor:
            await supervisor.start(timeout=30)

    with pytest.raises(StartupError, match=r"broken exited during start-up \(code 3\)[\s\S]*bad config"):
        asyncio.run(scenario())


SUPERVISE_ONE = """
import asyncio, os, sys
from pathlib import Path
from bot.supervisor import ServiceSpec, Supervisor
async def main():
    port = int(sys.argv[1])
    spec = ServiceSpec("web", [sys.executable, "-m", "tests.support.fake_service", str(port)], dict(os.environ),
                       Path(sys.argv[2]), f"http://127.0.0.1:{port}/health")
    async with Supervisor([spec]) as supervisor:
        await supervisor.start(timeout=30)
        print(supervisor.states["web"].process.pid, flush=True)
        await asyncio.sleep(600)
asyncio.run(main())
"""


def test_a_killed_supervisor_takes_its_servers_with_it(tmp_path: Path) -> None:
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    args = [sys.executable, "-c", SUPERVISE_ONE, str(free_port()), str(tmp_path / "web.log")]
    supervisor = subprocess.Popen(args, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    assert supervisor.stdout is not None
    child = int(supervisor.stdout.readline())
    supervisor.kill()
    supervisor.wait()
    deadline = time.monotonic() + 10
    while is_running(child):
        assert time.monotonic() < deadline, "the server outlived its supervisor"
        time.sleep(0.1)


def is_running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
