"""How well intent classification generalises, per pipeline option and seed: each option's NLU model
is trained with two seeds, and each model's intent macro-F1 is read with Rasa's own evaluation on the
held-out sets (never trained on). Prints a table and writes results/nlu-study.json.

    python -m tests.nlu_study [--options current transformer_1 words_only] [--seeds 42 7]

`make nlu-study` runs it (about 3 minutes per option and seed on two cores; the response selector,
which sets no intent, is left out of the trainings). The options:
- current: config.yml as it is (DIET for intents without a transformer, words and word pairs);
- transformer_1: one small transformer layer (size 128) in the intent DIET;
- words_only: single words only in the word CountVectorsFeaturizer (config.yml before issue 21).
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT_ROOT / "results" / "nlu-study.json"
HELD_OUT = ("tests/nlu_holdout_3.yml", "tests/nlu_holdout_fresh.yml", "tests/nlu_holdout.yml")
DIET = "EagerlyBuiltDIETClassifier"


def _diet(pipeline: list[dict[str, Any]]) -> dict[str, Any]:
    return next(component for component in pipeline if str(component["name"]).endswith(DIET))


def _transformer_1(pipeline: list[dict[str, Any]]) -> None:
    _diet(pipeline).update(number_of_transformer_layers=1, transformer_size=128)


def _words_only(pipeline: list[dict[str, Any]]) -> None:
    words = next(c for c in pipeline if c["name"] == "CountVectorsFeaturizer" and "analyzer" not in c)
    words.update(min_ngram=1, max_ngram=1)


OPTIONS: dict[str, Callable[[list[dict[str, Any]]], None]] = {
    "current": lambda pipeline: None,
    "transformer_1": _transformer_1,
    "words_only": _words_only,
}


def config_for(option: str, seed: int) -> dict[str, Any]:
    config = yaml.safe_load((PROJECT_ROOT / "config.yml").read_text())
    pipeline = copy.deepcopy(config["pipeline"])
    OPTIONS[option](pipeline)
    # The response selector picks a question's topic after the intent is set: it changes no intent
    # and is half of a training, so the study leaves it out.
    pipeline = [component for component in pipeline if not str(component["name"]).endswith("QuestionResponseSelector")]
    for component in pipeline:
        if "random_seed" in component:
            component["random_seed"] = seed
    return {**config, "pipeline": pipeline}


def train(config: dict[str, Any], out: Path) -> tuple[Path, float]:
    config_path = out / "config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "rasa", "train", "nlu", "--config", str(config_path), "--nlu", "data/nlu"]
        + ["--out", str(out), "--fixed-model-name", "nlu"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
        check=True,
        capture_output=True,
    )
    return out / "nlu.tar.gz", time.monotonic() - started


async def macro_f1(model: Path, out: Path) -> dict[str, float]:
    from rasa.core.agent import Agent
    from rasa.nlu.test import run_evaluation

    agent = Agent.load(model_path=str(model))
    scores = {}
    for held_out in HELD_OUT:
        if not (PROJECT_ROOT / held_out).exists():
            continue
        target = out / Path(held_out).stem
        await run_evaluation(str(PROJECT_ROOT / held_out), agent.processor, output_directory=str(target), disable_plotting=True)
        report = json.loads((target / "intent_report.json").read_text())
        scores[held_out] = round(report["macro avg"]["f1-score"], 3)
    return scores


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--options", nargs="+", default=list(OPTIONS), choices=list(OPTIONS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 7])
    args = parser.parse_args()
    runs = []
    for option in args.options:
        for seed in args.seeds:
            with tempfile.TemporaryDirectory(prefix=f"nlu-study-{option}-{seed}-") as work:
                model, seconds = train(config_for(option, seed), Path(work))
                scores = asyncio.run(macro_f1(model, Path(work)))
            runs.append({"option": option, "seed": seed, "train_seconds": round(seconds, 1), "macro_f1": scores})
            print(json.dumps(runs[-1]), flush=True)
    sets = sorted({name for run in runs for name in run["macro_f1"]})
    print(f"\n{'option':15s} {'train s':>8s} " + " ".join(f"{Path(name).stem:>22s}" for name in sets))
    for option in args.options:
        mine = [run for run in runs if run["option"] == option]
        cells = []
        for name in sets:
            values = [run["macro_f1"][name] for run in mine if name in run["macro_f1"]]
            cells.append(f"{statistics.mean(values):.3f} ({min(values):.3f}-{max(values):.3f})".rjust(22))
        print(f"{option:15s} {statistics.mean(run['train_seconds'] for run in mine):8.0f} " + " ".join(cells))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps({"seeds": args.seeds, "runs": runs}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
