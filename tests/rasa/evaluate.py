"""Loads the trained model once and runs Rasa's own evaluations with it: the held-out NLU sets
(`rasa test nlu`) and the test stories (`rasa test core`). Loading the model is most of each
evaluation's time, so one load serves all of them.

`python -m tests.rasa.evaluate MODEL OUT --stories tests/stories --nlu tests/nlu_holdout_fresh.yml ...`
writes each NLU set's reports under OUT/<set name>/ and the stories' under OUT/stories/, then prints
the number of failed test stories as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

import yaml


async def evaluate(model: str, out: Path, stories: str, nlu_sets: list[str]) -> dict[str, int]:
    from rasa.core.agent import Agent
    from rasa.core.test import test as test_stories
    from rasa.nlu.test import run_evaluation

    agent = Agent.load(model_path=model)
    for nlu_set in nlu_sets:
        target = out / Path(nlu_set).stem
        target.mkdir(parents=True, exist_ok=True)
        await run_evaluation(nlu_set, agent.processor, output_directory=str(target), disable_plotting=True, report_as_dict=True)
    story_out = out / "stories"
    story_out.mkdir(parents=True, exist_ok=True)
    await test_stories(stories, agent, out_directory=str(story_out), disable_plotting=True, warnings=False)
    failed = yaml.safe_load((story_out / "failed_test_stories.yml").read_text()) or {}
    return {"failed_stories": len(failed.get("stories") or [])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("model")
    parser.add_argument("out", type=Path)
    parser.add_argument("--stories", required=True)
    parser.add_argument("--nlu", nargs="+", default=[])
    args = parser.parse_args()
    print(json.dumps(asyncio.run(evaluate(args.model, args.out, args.stories, args.nlu))))


if __name__ == "__main__":
    main()
