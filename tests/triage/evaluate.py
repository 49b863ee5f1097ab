"""`make eval-triage`: the vignettes through the engine alone and through the running assistant.

Through the assistant each case is a new REST conversation (one message per turn) and the level
read back is the `triage_level` slot from the tracker API, so NLU, the annotator, the slot update
and the dialogue are all on the path. Prints reports; the pass/fail checks live in pytest.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.levels import TriageLevel
from bot.triage import assess_conversation
from tests.support.assistant import RunningAssistant, running_assistant
from tests.triage.vignettes import VIGNETTES, Case, format_report, load_cases


def through_engine(cases: list[Case]) -> tuple[dict[str, TriageLevel], dict[str, tuple[str, ...]]]:
    results = {case.id: assess_conversation(case.texts) for case in cases}
    return {k: v.level for k, v in results.items()}, {k: v.rule_ids for k, v in results.items()}


def through_assistant(
    assistant: RunningAssistant, cases: list[Case]
) -> tuple[dict[str, TriageLevel], dict[str, tuple[str, ...]]]:
    def run(case: Case) -> tuple[str, TriageLevel, tuple[str, ...]]:
        sender = f"vignette-{case.id}-{uuid.uuid4().hex[:6]}"
        for text in case.texts:
            assistant.say(sender, text)
        slots = assistant.rest_tracker(sender)["slots"]
        return case.id, TriageLevel(slots.get("triage_level") or "self_care"), tuple(slots.get("red_flags") or ())

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(run, cases))
    return {case_id: level for case_id, level, _ in outcomes}, {case_id: rules for case_id, _, rules in outcomes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vignettes", type=Path, default=VIGNETTES)
    parser.add_argument("--engine-only", action="store_true")
    args = parser.parse_args()
    cases = load_cases(args.vignettes)
    print("\n".join(format_report(f"Engine alone ({args.vignettes.name})", cases, *through_engine(cases))))
    if args.engine_only:
        return
    with tempfile.TemporaryDirectory() as var_dir, running_assistant(Path(var_dir)) as assistant:
        started = time.monotonic()
        levels, rules = through_assistant(assistant, cases)
        title = f"Through the running assistant over REST ({args.vignettes.name}, {time.monotonic() - started:.0f} s)"
        print("\n" + "\n".join(format_report(title, cases, levels, rules)))


if __name__ == "__main__":
    main()
