"""What the normaliser changes in the text the project already has (NLU examples, vignettes, scripted
conversations): every change, counted per source, so a change to a correctly spelled word shows.
`python -m tests.triage.normalise_report` (the blind sets in tests/blind are left out: they are
written with typos on purpose)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml

from bot.triage.normalise import normalise

ROOT = Path(__file__).resolve().parents[2]
_EXAMPLE = re.compile(r"^\s*-\s+(.*)$")
_ENTITY = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


def nlu_examples() -> list[str]:
    texts = []
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                match = _EXAMPLE.match(line)
                if match:
                    texts.append(_ENTITY.sub(lambda m: m.group(1) or m.group(2), match.group(1)))
    return texts


def vignette_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "triage").glob("vignettes*.yml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            texts.extend([case["text"]] if "text" in case else case["turns"])
    return texts


def conversation_texts() -> list[str]:
    texts = []
    for path in sorted((ROOT / "tests" / "conversations").glob("*.yml")):
        for conversation in yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]:
            texts.extend(turn["user"] for turn in conversation["turns"])
    return texts


def changes(texts: list[str]) -> Counter[tuple[str, str]]:
    return Counter(change for text in texts for change in normalise(text).changes)


def main() -> None:
    for name, texts in (
        ("NLU examples", nlu_examples()),
        ("vignettes", vignette_texts()),
        ("conversations", conversation_texts()),
    ):
        found = changes(texts)
        words = sum(len(text.split()) for text in texts)
        print(f"{name}: {len(texts)} messages, {words} words, {sum(found.values())} words changed ({len(found)} distinct)")
        for (written, read), count in found.most_common():
            print(f"  {count:4d}  {written!r} -> {read!r}")


if __name__ == "__main__":
    main()
