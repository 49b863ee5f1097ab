"""`make bench`: numbers for the running assistant on this machine (printed, never asserted).

Starts the real servers the way `make run` does, then measures per-turn REST latency through a
full intake at 1 and 10 concurrent conversations, /model/parse alone, cold start, RSS, the last
training time and the cost of red-flag screening per message.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.e2e.conversation import ANSWERS
from tests.support.assistant import PROJECT_ROOT, RunningAssistant, running_assistant

OPENING = "the back of my knee aches after running, about 4/10"
INTAKE_TURNS = [OPENING] + [
    ANSWERS[slot] for slot in ("pain_onset", "pain_duration", "swelling", "mechanical_symptoms", "weight_bearing")
]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def one_conversation(assistant: RunningAssistant) -> list[float]:
    sender = f"bench-{uuid.uuid4().hex[:10]}"
    timings = []
    for text in ["hi", *INTAKE_TURNS]:
        started = time.perf_counter()
        assistant.say(sender, text)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def conversation_latency(assistant: RunningAssistant, concurrent: int, rounds: int) -> list[float]:
    samples: list[float] = []
    with ThreadPoolExecutor(max_workers=concurrent) as pool:
        for _ in range(rounds):
            for timings in pool.map(lambda _: one_conversation(assistant), range(concurrent)):
                samples.extend(timings)
    return samples


def parse_latency(assistant: RunningAssistant, count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        assistant.post_json(f"/model/parse?token={assistant.token}", {"text": OPENING})
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def screening_cost(count: int = 300) -> tuple[float, float]:
    from bot.triage import screen

    texts = [OPENING, "my calf is swollen and red since the flight and I'm short of breath", "no swelling, it never gives way"]
    screen(texts[0])  # builds the spaCy pipeline once
    samples = []
    for index in range(count):
        started = time.perf_counter()
        screen(texts[index % len(texts)])
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), percentile(samples, 0.95)


def cold_training_seconds() -> float:
    """A full `rasa train` with an empty component cache, as on a new machine."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(scratch) / "cache"), "TF_CPP_MIN_LOG_LEVEL": "2"}
        started = time.monotonic()
        subprocess.run(
            [str(Path(sys.executable).parent / "rasa"), "train", "--out", scratch, "--fixed-model-name", "bench"],
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        return time.monotonic() - started


def row(label: str, samples: list[float]) -> str:
    return f"  {label:44s} p50 {statistics.median(samples):7.1f} ms   p95 {percentile(samples, 0.95):7.1f} ms   n={len(samples)}"


def main() -> None:
    with tempfile.TemporaryDirectory() as var_dir, running_assistant(Path(var_dir)) as assistant:
        print(f"Poplit benchmark ({time.strftime('%Y-%m-%d %H:%M')})")
        print(f"  server cold start (run.sh to both servers answering)  {assistant.startup_seconds:.1f} s")
        conversation_latency(assistant, 2, 1)  # warm-up
        print(row("REST turn, full intake, 1 conversation", conversation_latency(assistant, 1, 10)))
        print(row("REST turn, full intake, 10 concurrent", conversation_latency(assistant, 10, 3)))
        print(row("/model/parse alone", parse_latency(assistant, 100)))
        for name, size in sorted(assistant.rss_bytes().items()):
            print(f"  RSS {name:40s} {size / 2**20:7.0f} MiB")
    print(f"  training from scratch (empty cache)          {cold_training_seconds():.0f} s")
    median_ms, p95_ms = screening_cost()
    print(f"  red-flag screening per message (engine)      p50 {median_ms:.2f} ms   p95 {p95_ms:.2f} ms")


if __name__ == "__main__":
    main()
