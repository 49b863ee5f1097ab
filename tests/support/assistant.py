"""Starts the real assistant (scripts/run.sh: action server + Rasa) for tests and benchmarks."""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional
from urllib.parse import quote

from bot.channels.door import rest_conversation_id
from tests.support.processes import stop

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_port_block(size: int) -> int:
    """The first of `size` consecutive free ports (a cluster's instances listen on a block)."""
    for _ in range(200):
        first = random.randrange(20000, 40000)
        if all(_port_is_free(first + n) for n in range(size)):
            return first
    raise RuntimeError(f"no block of {size} free ports")


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass
class RunningAssistant:
    base_url: str
    token: str
    var_dir: Path
    process: subprocess.Popen
    startup_seconds: float
    health_port: int = 0
    actions_port: int = 0
    # `cluster=True`: base_url is the balancer; these are the Rasa instances behind it, in order.
    instance_urls: tuple[str, ...] = ()

    def health(self) -> dict[str, Any]:
        """The supervisor's report (bot/serve.py): which servers are up, their pids and restarts."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.health_port}/health", timeout=5) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:  # 503 while a part is down, with the same report
            return json.loads(error.read())

    def service_pid(self, name: str) -> int:
        pid = self.health()["services"][name]["pid"]
        assert pid, f"{name} is not running: {self.health()}"
        return int(pid)

    def wait_until_up(self, name: str, timeout: float = 60) -> float:
        """Seconds until the supervisor reports `name` up."""
        started = time.monotonic()
        while self.health()["services"][name]["status"] != "up":
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{name} not up after {timeout} s: {self.health()}")
            time.sleep(0.1)
        return time.monotonic() - started

    def post_json(
        self, path: str, payload: Any, timeout: float = 30, via: Optional[str] = None, headers: Optional[dict[str, str]] = None
    ) -> Any:
        """POST to `path` on base_url, or on `via` (one instance of a cluster, passing the balancer by)."""
        request = urllib.request.Request(
            (via or self.base_url) + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")

    def get_json(self, path: str, timeout: float = 30) -> Any:
        separator = "&" if "?" in path else "?"
        with urllib.request.urlopen(f"{self.base_url}{path}{separator}token={self.token}", timeout=timeout) as response:
            return json.loads(response.read())

    def say(
        self, sender: str, text: str, via: Optional[str] = None, timeout: float = 30, request_id: Optional[str] = None
    ) -> list[dict[str, Any]]:
        """`request_id`: the message's X-Request-ID (stored as its message_id; sent again, the same answer)."""
        headers = {"X-Request-ID": request_id} if request_id else None
        return self.post_json(
            "/webhooks/rest/webhook", {"sender": sender, "message": text}, timeout=timeout, via=via, headers=headers
        )

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        return self.get_json(f"/conversations/{quote(conversation_id, safe=':')}/tracker")

    def rest_tracker(self, sender: str) -> dict[str, Any]:
        """The conversation of a REST sender (REST ids live in their own namespace, rest:<sender>)."""
        return self.tracker(rest_conversation_id(sender))

    def settled(self, sender: str, turns: int, timeout: float = 30) -> dict[str, Any]:
        """The tracker once `turns` messages from `sender` have been answered in full. For channels
        that answer in the background (Slack): Rasa sends every reply of a turn before it saves."""
        deadline = time.monotonic() + timeout
        while True:
            tracker = self.tracker(sender)
            events = tracker["events"]
            done = events and events[-1].get("event") == "action" and events[-1].get("name") == "action_listen"
            if len(user_texts(tracker)) >= turns and done:
                return tracker
            if time.monotonic() > deadline:
                raise AssertionError(f"turn {turns} of {sender} not finished after {timeout} s: {user_texts(tracker)}")
            time.sleep(0.1)

    def rss_bytes(self) -> dict[str, int]:
        """Resident memory of each server process started by run.sh (by process group)."""
        sizes: dict[str, int] = {}
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            parent_pid = int(stat[1])
            if parent_pid != self.process.pid:
                continue
            name = "actions" if " bot actions" in cmdline else "followups" if " followups run" in cmdline else "rasa"
            rss_pages = int((proc / "statm").read_text().split()[1])
            sizes[name] = rss_pages * os.sysconf("SC_PAGE_SIZE")
        return sizes


def user_texts(tracker: dict[str, Any]) -> list[str]:
    """What the person sent (trigger_intent's "EXTERNAL: ..." events are the assistant's own doing)."""
    texts = [event.get("text") or "" for event in tracker["events"] if event.get("event") == "user"]
    return [text for text in texts if not text.startswith("EXTERNAL: ")]


def _drain(stream: Any) -> None:
    for _ in stream:
        pass


@contextmanager
def running_assistant(
    var_dir: Path, env: Optional[Mapping[str, str]] = None, timeout: float = 240, cluster: bool = False
) -> Iterator[RunningAssistant]:
    """`make run` (scripts/run.sh), or with `cluster` `make cluster` (scripts/cluster.sh: the balancer
    in front of RASA_INSTANCES instances; env must name PostgreSQL and Redis)."""
    rasa_port, actions_port, health_port, followups_port = free_port(), free_port(), free_port(), free_port()
    ports_from = free_port_block(50) if cluster else 0
    token = "test-token-" + str(os.getpid())
    process_env = {
        **os.environ,
        "VAR_DIR": str(var_dir),
        "RASA_PORT": str(rasa_port),
        "ACTIONS_PORT": str(actions_port),
        "HEALTH_PORT": str(health_port),
        "FOLLOWUPS_PORT": str(followups_port),
        "RASA_AUTH_TOKEN": token,
        # Tests talk from one address at machine speed; the rate limits have tests of their own.
        "POPLIT_RATE_PER_SENDER": "100000/60",
        "POPLIT_RATE_PER_ADDRESS": "1000000/60",
        **({"CLUSTER_PORTS_FROM": str(ports_from), "BALANCER_STATUS_PORT": str(free_port())} if cluster else {}),
        **(env or {}),
    }
    started = time.monotonic()
    process = subprocess.Popen(
        ["bash", str(PROJECT_ROOT / "scripts" / ("cluster.sh" if cluster else "run.sh"))],
        cwd=PROJECT_ROOT,
        env=process_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("run.sh exited before the assistant was up:\n" + "".join(output))
        output.append(line)
        if line.startswith("Poplit is running."):
            break
        if time.monotonic() - started > timeout:
            process.kill()
            raise RuntimeError("assistant did not start in time:\n" + "".join(output))
    # Keep reading the supervisor's console after start-up: a full pipe would block it.
    threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
    assistant = RunningAssistant(
        base_url=f"http://127.0.0.1:{rasa_port}",
        token=token,
        var_dir=var_dir,
        process=process,
        startup_seconds=time.monotonic() - started,
        health_port=health_port,
        actions_port=actions_port,
        instance_urls=tuple(f"http://127.0.0.1:{ports_from + n}" for n in range(int(process_env.get("RASA_INSTANCES", "2"))))
        if cluster
        else (),
    )
    try:
        yield assistant
    finally:
        stop(process)
