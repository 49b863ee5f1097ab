"""The labelled vignettes and the report printed for them (engine, pytest and REST evaluation)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml

from bot.levels import TriageLevel

VIGNETTES = Path(__file__).with_name("vignettes.yml")
LEVELS = list(TriageLevel)


@dataclass(frozen=True)
class Case:
    id: str
    texts: tuple[str, ...]
    min_level: TriageLevel
    max_level: TriageLevel
    expect_rules: tuple[str, ...]


def load_cases(path: Path = VIGNETTES) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for raw in data["cases"]:
        texts = tuple(raw["turns"]) if "turns" in raw else (raw["text"],)
        cases.append(
            Case(
                raw["id"], texts, TriageLevel(raw["min_level"]), TriageLevel(raw["max_level"]), tuple(raw.get("expect_rules", ()))
            )
        )
    return cases


def format_report(
    title: str, cases: list[Case], levels: Mapping[str, TriageLevel], rule_ids: Mapping[str, tuple[str, ...]]
) -> list[str]:
    """Sensitivity per level, under- and over-triage rates and a confusion table."""
    over = [case for case in cases if levels[case.id] > case.max_level]
    under = [case for case in cases if levels[case.id] < case.min_level]
    serious = [case for case in cases if case.min_level >= TriageLevel.URGENT]
    serious_under = [case for case in under if case.min_level >= TriageLevel.URGENT]
    lines = [f"{title}"]
    lines.append(
        f"Vignettes: {len(cases)}  over-triage: {len(over)} ({len(over) / len(cases):.1%})  "
        f"under-triage: {len(under)} ({len(under) / len(cases):.1%})  "
        f"under-triage of urgent/emergency: {len(serious_under)} of {len(serious)}"
    )
    lines.append("Sensitivity per level (cases whose min_level is the level that reached at least it):")
    for level in LEVELS:
        at_level = [case for case in cases if case.min_level == level]
        if not at_level:
            continue
        reached = sum(levels[case.id] >= level for case in at_level)
        within = sum(case.min_level <= levels[case.id] <= case.max_level for case in at_level)
        lines.append(
            f"  {level.value:<14} n={len(at_level):>3}  sensitivity={reached / len(at_level):6.1%}  "
            f"within range={within / len(at_level):6.1%}"
        )
    counts = Counter((case.min_level, levels[case.id]) for case in cases)
    lines.append("Confusion (rows: expected min_level, columns: assessed level):")
    lines.append("  " + " " * 14 + "".join(f"{level.value:>15}" for level in LEVELS))
    for expected in LEVELS:
        lines.append(f"  {expected.value:<14}" + "".join(f"{counts[(expected, got)]:>15}" for got in LEVELS))
    for label, listed in (("over-triaged", over), ("under-triaged", under)):
        for case in listed:
            lines.append(f"  {label}: {case.id} -> {levels[case.id].value} {list(rule_ids[case.id])}")
    return lines
