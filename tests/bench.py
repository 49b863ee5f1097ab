"""`make bench`: Poplit side by side with Rasa's starter bot on this machine (printed, never asserted).

Both servers are driven by the same client (REST turns through `RunningAssistant.say`, one new
connection per request) through conversations of seven turns, one server at a time so they never
share the 2 cores: per-turn latency at 1, 10 and 20 concurrent conversations, throughput, /model/parse
alone, the Rasa server's resident memory after the load, cold start and training time. Each figure
is printed for both with the ratio Poplit / starter bot and, where there is one, the target and
whether it is met. The same table goes to results/bench.json; `--compare OLD.json` adds a column
with Poplit's figures from an earlier run.

Environment: BENCH_TRAIN=1 also trains both from an empty cache (about 1.5 + 2 minutes on 2 cores);
without it the training row shows the last recorded figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Optional, Sequence

from bot.channels.door import MAX_TEXT_CHARS
from tests.e2e.conversation import ANSWERS
from tests.support.assistant import PROJECT_ROOT, RunningAssistant, running_assistant
from tests.support.processes import rasa_trainings_running, sampled, started_at, wait_for_trainings_to_end, watch_log
from tests.support.starter_bot import STARTER_DIR, STARTER_TURNS, build_starter_bot, running_starter_bot
from tests.support.starter_bot import TRAINING_SECONDS_FILE as STARTER_TRAINING_SECONDS
from tests.support.training import cold_training_seconds

OPENING = "the back of my knee aches after running, about 4/10"
INTAKE_TURNS = [OPENING] + [
    ANSWERS[slot] for slot in ("pain_onset", "pain_duration", "swelling", "mechanical_symptoms", "weight_bearing")
]
POPLIT_TURNS = ["hi", *INTAKE_TURNS]
# /model/parse gets the same sentence on both servers, so the figure compares the two NLU pipelines
# on identical input rather than two different texts.
PARSE_TEXT = OPENING
RESULTS = PROJECT_ROOT / "results" / "bench.json"
LAST_MAKE_TRAIN = PROJECT_ROOT / "var" / "last-training-seconds"


@dataclass(frozen=True)
class Target:
    kind: str  # "ratio at most", "ratio at least" (Poplit / starter bot) or "at most" (Poplit's own figure)
    limit: float

    def met(self, starter: Optional[float], poplit: Optional[float]) -> Optional[bool]:
        if poplit is None:
            return None
        if self.kind == "at most":
            return poplit <= self.limit
        ratio = poplit / starter if starter else None
        if ratio is None:
            return None
        return ratio <= self.limit if self.kind == "ratio at most" else ratio >= self.limit

    def __str__(self) -> str:
        sign = ">=" if self.kind == "ratio at least" else "<="
        return f"{sign} {self.limit:g}" + ("x" if self.kind.startswith("ratio") else "")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    target: Optional[Target] = None


# The rows of the table, in order. The targets are the issue's; they are shown, never asserted.
FIGURES = [
    Figure("turn_p50_c1", "REST turn p50, 1 conversation", "ms"),
    Figure("turn_p95_c1", "REST turn p95, 1 conversation", "ms", Target("ratio at most", 1.5)),
    Figure("turn_p50_c10", "REST turn p50, 10 concurrent", "ms"),
    Figure("turn_p95_c10", "REST turn p95, 10 concurrent", "ms", Target("ratio at most", 1.5)),
    Figure("throughput_c10", "throughput, 10 concurrent", "turns/s", Target("ratio at least", 0.67)),
    Figure("turn_p95_c20", "REST turn p95, 20 concurrent", "ms"),
    Figure("throughput_c20", "throughput, 20 concurrent", "turns/s"),
    Figure("parse_p50", "/model/parse p50", "ms", Target("ratio at most", 1.3)),
    Figure("parse_p95", "/model/parse p95", "ms"),
    Figure("parse_longest_p50", "/model/parse p50, the longest message taken (2,000 characters)", "ms"),
    Figure("rss_rasa", "RSS of the Rasa server after the load", "MiB", Target("ratio at most", 1.3)),
    Figure("rss_others", "RSS of the other servers (actions, follow-ups)", "MiB"),
    Figure("rss_actions", "  of which the action server", "MiB"),
    Figure("training", "training from an empty cache", "s", Target("at most", 180)),
    Figure("cold_start", "cold start (launch to first answered turn)", "s", Target("ratio at most", 1.2)),
    Figure("rasa_start", "  of which Rasa (its process start to serving)", "s"),
    Figure(
        "screening_p50", "one message's reading p50 (normalise, screen, screening question; engine)", "ms", Target("at most", 2)
    ),
]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def one_conversation(server: RunningAssistant, turns: Sequence[str]) -> list[float]:
    """Milliseconds per REST turn of one conversation with a new sender id (a fresh tracker)."""
    sender = f"bench-{uuid.uuid4().hex[:10]}"
    timings = []
    for text in turns:
        started = time.perf_counter()
        server.say(sender, text)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


@dataclass
class Load:
    samples: list[float]  # ms per turn
    seconds: float  # wall time of the whole load

    @property
    def turns_per_second(self) -> float:
        return len(self.samples) / self.seconds


def conversation_load(server: RunningAssistant, turns: Sequence[str], concurrent: int, each: int) -> Load:
    """`concurrent` clients, each holding `each` conversations back to back. Every client starts its
    next conversation as soon as its last one ends, so the server sees `concurrent` conversations
    throughout (no waiting for the slowest of a batch) and turns / wall time is its throughput."""

    def client(_: int) -> list[float]:
        return [ms for _ in range(each) for ms in one_conversation(server, turns)]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrent) as pool:
        samples = [ms for timings in pool.map(client, range(concurrent)) for ms in timings]
    return Load(samples, time.perf_counter() - started)


def parse_latency(server: RunningAssistant, count: int, text: str = PARSE_TEXT) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        server.post_json(f"/model/parse?token={server.token}", {"text": text})
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def measure(server: RunningAssistant, turns: Sequence[str]) -> dict[str, float]:
    """The load figures of one running server (the same calls, in the same order, for both)."""
    conversation_load(server, turns, 2, 1)  # warm-up: first calls load lazily built parts
    single = conversation_load(server, turns, 1, 10)
    ten = conversation_load(server, turns, 10, 3)
    twenty = conversation_load(server, turns, 20, 2)
    parse = parse_latency(server, 300)
    # What one message can cost at most: every door refuses longer ones (bot/channels/door.py).
    longest = parse_latency(server, 20, (PARSE_TEXT + " ") * (MAX_TEXT_CHARS // (len(PARSE_TEXT) + 1)))
    rss = server.rss_bytes()  # after the load: what the server holds once it has served
    return {
        "turn_p50_c1": statistics.median(single.samples),
        "turn_p95_c1": percentile(single.samples, 0.95),
        "turn_p50_c10": statistics.median(ten.samples),
        "turn_p95_c10": percentile(ten.samples, 0.95),
        "throughput_c10": ten.turns_per_second,
        "turn_p95_c20": percentile(twenty.samples, 0.95),
        "throughput_c20": twenty.turns_per_second,
        "parse_p50": statistics.median(parse),
        "parse_p95": percentile(parse, 0.95),
        "parse_longest_p50": statistics.median(longest),
        "rss_rasa": rss.pop("rasa") / 2**20,
        # The starter bot has no other server: no figure rather than 0.
        **({"rss_others": sum(rss.values()) / 2**20} if rss else {}),
        **({"rss_actions": rss["actions"] / 2**20} if "actions" in rss else {}),
    }


def first_turn(server: RunningAssistant, text: str, launched: float) -> float:
    """Seconds from launch to the first answered REST turn."""
    server.say(f"bench-cold-{uuid.uuid4().hex[:6]}", text)
    return time.monotonic() - launched


def bench_starter_bot(model: Path) -> dict[str, float]:
    launched = time.monotonic()
    with running_starter_bot(model) as bot:
        # Its only process is Rasa, so Rasa's own start is its start-up (launch to `/` answering).
        figures = {"cold_start": first_turn(bot, STARTER_TURNS[0], launched), "rasa_start": bot.startup_seconds}
        figures.update(measure(bot, STARTER_TURNS))
    return figures


def bench_poplit(notes: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as var_dir:
        # Rasa logs this line once its model is loaded, just before it listens. The supervisor writes
        # Rasa's log to VAR_DIR/log/rasa.log; a watcher sees the line while run.sh is still starting
        # the other servers (running_assistant returns only once every server is up).
        rasa_up = watch_log(Path(var_dir) / "log" / "rasa.log", "Rasa server is up and running.", timeout=300)
        launched = time.monotonic()
        with running_assistant(Path(var_dir)) as assistant:
            figures = {"cold_start": first_turn(assistant, POPLIT_TURNS[0], launched)}
            up_at = rasa_up()
            if up_at is not None:
                figures["rasa_start"] = up_at - started_at(assistant.service_pid("rasa"))
            notes.append(f"Poplit: run.sh to every server answering (the banner) {assistant.startup_seconds:.1f} s")
            figures.update(measure(assistant, POPLIT_TURNS))
    return figures


def screening_p50() -> float:
    """One message's whole reading as the NLU makes it: normalised, every mention, the assessment,
    the screening answer and trigger (bot/triage/extract.py: read_text)."""
    from bot.triage import read_text

    texts = [OPENING, "my calf is swolen and red since the flight n im short of breth", "no sweling, it nvr gives way"]
    read_text(texts[0])  # builds the spaCy pipeline and the speller once
    samples = []
    for index in range(300):
        started = time.perf_counter()
        read_text(texts[index % len(texts)])
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def recorded_seconds(path: Path) -> Optional[float]:
    try:
        return float(path.read_text())
    except (OSError, ValueError):
        return None


def training_figures(measure_now: bool, notes: list[str]) -> tuple[Optional[float], Optional[float]]:
    """(starter bot, Poplit) seconds of a training from an empty cache: measured now with BENCH_TRAIN=1,
    otherwise the last recorded figures (Poplit's from `make train`, whose cache may have been warm)."""
    if measure_now:
        log_dir = PROJECT_ROOT / "var" / "bench"
        print("  training both from an empty cache (BENCH_TRAIN=1)", flush=True)
        starter = cold_training_seconds(STARTER_DIR, log_dir / "starter-train.log")
        poplit = cold_training_seconds(PROJECT_ROOT, log_dir / "poplit-train.log")
        notes.append("training: both measured now, `rasa train` with an empty RASA_CACHE_DIRECTORY, under the training lock")
        return starter, poplit
    recorded = recorded_seconds(LAST_MAKE_TRAIN)
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(LAST_MAKE_TRAIN.stat().st_mtime)) if recorded is not None else "never"
    notes.append(
        f"training: Poplit's is the last `make train` ({LAST_MAKE_TRAIN.relative_to(PROJECT_ROOT)}, {when}; its cache may "
        "have been warm), the starter's is its `rasa init` build from an empty cache; BENCH_TRAIN=1 measures both now"
    )
    return recorded_seconds(STARTER_TRAINING_SECONDS), recorded


def warm_file_cache() -> None:
    """Imports Rasa and TensorFlow once, so whichever server starts first does not also pay for the
    first read of those libraries from disk in its cold start."""
    code = "import rasa.core.agent, rasa.nlu.classifiers.diet_classifier"
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})


def measured(name: str, run: Callable[[], dict[str, float]], notes: list[str]) -> dict[str, float]:
    """One server's figures, measured once no training runs. Someone else may start one meanwhile
    (the machine is shared): the share of the measurement it overlapped goes into the notes."""
    wait_for_trainings_to_end()
    print(f"  measuring {name}", flush=True)
    with sampled(rasa_trainings_running) as trainings:
        figures = run()
    overlap = sum(1 for count in trainings if count) / max(1, len(trainings))
    if overlap:
        notes.append(f"{name}: a `rasa train` ran during {overlap:.0%} of its measurement, so its figures are slowed")
    else:
        notes.append(f"{name}: no `rasa train` ran during its measurement")
    return figures


def table_rows(starter: dict[str, float], poplit: dict[str, float]) -> list[dict[str, Any]]:
    rows = []
    for figure in FIGURES:
        mine, theirs = poplit.get(figure.key), starter.get(figure.key)
        rows.append(
            {
                "key": figure.key,
                "label": figure.label,
                "unit": figure.unit,
                "starter": theirs,
                "poplit": mine,
                "ratio": mine / theirs if mine is not None and theirs else None,
                "target": str(figure.target) if figure.target else None,
                "met": figure.target.met(theirs, mine) if figure.target else None,
            }
        )
    return rows


def number(value: Optional[float]) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"


def render(rows: list[dict[str, Any]], before: Optional[dict[str, Optional[float]]]) -> str:
    header = f"{'figure':56s} {'starter bot':>11s} {'Poplit':>9s}"
    header += f" {'Poplit before':>13s}" if before is not None else ""
    lines = [header + f" {'ratio':>7s}  {'target':9s} met?"]
    for row in rows:
        line = f"{row['label'] + ' (' + row['unit'] + ')':56s} {number(row['starter']):>11s} {number(row['poplit']):>9s}"
        if before is not None:
            line += f" {number(before.get(row['key'])):>13s}"
        ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "-"
        met = {True: "pass", False: "MISS", None: "-" if row["target"] is None else "?"}[row["met"]]
        lines.append(line + f" {ratio:>7s}  {row['target'] or '':9s} {met}")
    return "\n".join(lines)


def load_before(path: Path) -> dict[str, Optional[float]]:
    """Poplit's figures from an earlier results/bench.json, by key."""
    return {row["key"]: row["poplit"] for row in json.loads(path.read_text())["figures"]}


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--compare", type=Path, help="an earlier results/bench.json: adds Poplit's figures from it")
    args = parser.parse_args(argv)
    before = load_before(args.compare) if args.compare else None

    notes: list[str] = []
    print(f"Poplit vs Rasa's starter bot ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores)", flush=True)
    model = build_starter_bot()
    starter_training, poplit_training = training_figures(os.environ.get("BENCH_TRAIN") == "1", notes)
    warm_file_cache()
    load_average = os.getloadavg()

    starter = measured("the starter bot", lambda: bench_starter_bot(model), notes)
    poplit = measured("Poplit", lambda: bench_poplit(notes), notes)
    poplit["screening_p50"] = screening_p50()
    if starter_training is not None:
        starter["training"] = starter_training
    if poplit_training is not None:
        poplit["training"] = poplit_training

    notes.append(f"conversations: Poplit {POPLIT_TURNS}; starter bot {STARTER_TURNS}; /model/parse of {PARSE_TEXT!r} on both")
    notes.append(f"load average before measuring: {' '.join(f'{value:.2f}' for value in load_average)}")

    rows = table_rows(starter, poplit)
    print()
    print(render(rows, before))
    print()
    for note in notes:
        print(f"  {note}")
    RESULTS.parent.mkdir(exist_ok=True)
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cores": os.cpu_count(),
        "notes": notes,
        "targets": {figure.key: asdict(figure.target) for figure in FIGURES if figure.target},
        "figures": rows,
    }
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"  written to {RESULTS.relative_to(PROJECT_ROOT)}; keep a copy (e.g. results/bench-before.json) for --compare")


if __name__ == "__main__":
    main()
