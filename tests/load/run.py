"""`make loadtest`: locust (headless, .venv-tools) through the balancer of a real cluster, once with 1
Rasa instance and once with 2, then the conversations read back: every acknowledged message stored
once and in order, and no Slack event answered twice. Prints the table and writes results/load.json.

    python -m tests.load.run [--instances 1 2] [--users 100] [--seconds 120]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import redis

from tests.support.assistant import PROJECT_ROOT, RunningAssistant, running_assistant
from tests.support.databases import REDIS_HOST, REDIS_PORT, fresh_postgres_database
from tests.support.slack_api import SlackStandIn

LOCUST = PROJECT_ROOT / ".venv-tools" / "bin" / "locust"
LOCUSTFILE = PROJECT_ROOT / "tests" / "load" / "locustfile.py"
RESULTS = PROJECT_ROOT / "results" / "load.json"
REDIS_DB = 4


def run_locust(
    cluster: RunningAssistant, slack: SlackStandIn, users: int, seconds: int, scratch: Path
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    acks_file = scratch / "acks.json"
    env = {
        **os.environ,
        "RASA_AUTH_TOKEN": cluster.token,
        "SLACK_SIGNING_SECRET": slack.signing_secret,
        "LOAD_ACKS_FILE": str(acks_file),
    }
    command = [
        str(LOCUST), "-f", str(LOCUSTFILE), "--headless", "--host", cluster.base_url,
        "-u", str(users), "-r", str(max(1, users // 10)), "-t", f"{seconds}s",
        "--csv", str(scratch / "load"), "--only-summary", "--stop-timeout", "30",
    ]  # fmt: skip
    subprocess.run(command, env=env, cwd=PROJECT_ROOT, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(scratch / "load_stats.csv") as stats_file:
        rows = list(csv.DictReader(stats_file))
    acks = json.loads(acks_file.read_text()) if acks_file.exists() else []
    return rows, acks


def stored_user_events(cluster: RunningAssistant, conversation_id: str) -> list[dict[str, Any]]:
    events = cluster.get_json(f"/conversations/{conversation_id}/tracker")["events"]
    return [e for e in events if e.get("event") == "user" and not (e.get("text") or "").startswith("EXTERNAL: ")]


def check_conversations(cluster: RunningAssistant, acks: list[dict[str, Any]]) -> dict[str, Any]:
    """Acknowledged REST messages: each stored once, in the order acknowledged. Socket.IO: the
    acknowledged words in order among the stored. Slack: one stored message per event, retries or not."""
    by_conversation: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for ack in acks:
        by_conversation[(ack["channel"], ack["sender"])].append(ack)
    problems: list[str] = []
    for (channel, sender), conversation_acks in by_conversation.items():
        if channel == "rest":
            stored = [str(e.get("message_id")) for e in stored_user_events(cluster, f"rest:{sender}")]
            acked = [ack["request_id"] for ack in conversation_acks]
            if len(set(stored)) != len(stored):
                problems.append(f"rest:{sender}: a message stored twice")
            if [request_id for request_id in stored if request_id in set(acked)] != acked:
                problems.append(f"rest:{sender}: an acknowledged message missing or out of order")
        elif channel == "socketio":
            stored_texts = iter(e.get("text") for e in stored_user_events(cluster, sender))
            if not all(any(text == ack["text"] for text in stored_texts) for ack in conversation_acks):
                problems.append(f"socketio:{sender}: an acknowledged message missing or out of order")
        elif channel == "slack":
            stored = stored_user_events(cluster, sender)
            if len(stored) != len(conversation_acks):
                problems.append(f"slack:{sender}: {len(stored)} messages stored for {len(conversation_acks)} events")
    return {"acknowledged": len(acks), "conversations": len(by_conversation), "problems": problems}


def row_figures(row: dict[str, str], seconds: float) -> dict[str, Any]:
    requests = int(row["Request Count"])
    return {
        "requests": requests,
        "failures": int(row["Failure Count"]),
        "p50_ms": float(row["50%"] or 0),
        "p95_ms": float(row["95%"] or 0),
        "p99_ms": float(row["99%"] or 0),
        "per_second": round(requests / seconds, 2),
    }


def measure(instances: int, users: int, seconds: int) -> dict[str, Any]:
    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()
    database = fresh_postgres_database("poplit_load")
    with tempfile.TemporaryDirectory() as scratch, SlackStandIn() as slack:
        env = {
            **slack.assistant_env(),
            "DATABASE_URL": database,
            "REDIS_URL": f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
            "RASA_INSTANCES": str(instances),
        }
        with running_assistant(Path(scratch) / "var", env=env, cluster=True) as cluster:
            started = time.monotonic()
            rows, acks = run_locust(cluster, slack, users, seconds, Path(scratch))
            elapsed = time.monotonic() - started
            checked = check_conversations(cluster, acks)
    per_kind = {f"{row['Type']} {row['Name']}": row_figures(row, elapsed) for row in rows if row["Name"] != "Aggregated"}
    total = next(row for row in rows if row["Name"] == "Aggregated")
    return {"instances": instances, "turns": per_kind, "all": row_figures(total, elapsed), "check": checked}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=120)
    args = parser.parse_args()
    if not LOCUST.exists():
        print(f"error: no locust at {LOCUST}; run `make loadtest`, which installs it", file=sys.stderr)
        return 2
    results = {
        "users": args.users,
        "seconds": args.seconds,
        "cpu_cores": os.cpu_count(),
        "runs": [measure(n, args.users, args.seconds) for n in args.instances],
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{args.users} concurrent people for {args.seconds} s through HAProxy ({os.cpu_count()} cores):")
    print(f"{'instances':>9}  {'kind':<32} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'per s':>6}")
    for run in results["runs"]:
        for kind, figures in [*run["turns"].items(), ("all", run["all"])]:
            print(
                f"{run['instances']:>9}  {kind:<32} {figures['requests']:>8} {figures['failures']:>6} "
                f"{figures['p50_ms']:>7.0f} {figures['p95_ms']:>7.0f} {figures['p99_ms']:>7.0f} {figures['per_second']:>6}"
            )
        check = run["check"]
        print(f"{'':>9}  read back: {check['acknowledged']} acknowledged messages in {check['conversations']} conversations, "
              f"{len(check['problems'])} problems {check['problems'][:3]}")  # fmt: skip
    print(f"written to {RESULTS.relative_to(PROJECT_ROOT)}")
    return 1 if any(run["check"]["problems"] for run in results["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
