"""A typo'd copy of a held-out NLU set, made the same way every time (seeded): in 1-2 words of each
message (letters only, three or more, outside entity annotations) one letter is dropped, swapped with
the next, doubled or replaced by a neighbour on the keyboard.

`python -m tests.nlu_typos tests/nlu_holdout_fresh.yml results/nlu-typos/nlu_holdout_fresh.yml`, then
`python -m tests.rasa.evaluate models/poplit.tar.gz results/eval --stories tests/stories --nlu <both>`
compares intent F1 on the clean and the typo'd set (intent_report.json under each set's folder).
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path

import yaml

SEED = 19
_ANNOTATION = re.compile(r"\[[^\]]*\](?:\([^)]*\)|\{[^}]*\})")
_WORD = re.compile(r"[A-Za-z]{3,}")
_NEIGHBOURS = {
    row[i]: row[max(0, i - 1)] + row[min(len(row) - 1, i + 1)]
    for row in ("qwertyuiop", "asdfghjkl", "zxcvbnm")
    for i in range(len(row))
}


def misspell(word: str, rng: random.Random) -> str:
    i = rng.randrange(len(word))
    slip = rng.choice(("drop", "swap", "double", "replace"))
    if slip == "drop":
        return word[:i] + word[i + 1 :]
    if slip == "swap" and i < len(word) - 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if slip == "replace" and word[i].lower() in _NEIGHBOURS:
        return word[:i] + rng.choice(_NEIGHBOURS[word[i].lower()]) + word[i + 1 :]
    return word[:i] + word[i] + word[i:]


def typo_example(text: str, rng: random.Random) -> str:
    protected = [(m.start(), m.end()) for m in _ANNOTATION.finditer(text)]
    words = [m for m in _WORD.finditer(text) if not any(start <= m.start() < end for start, end in protected)]
    if not words:
        return text
    chosen = sorted(rng.sample(words, min(len(words), rng.choice((1, 2)))), key=lambda m: m.start(), reverse=True)
    for match in chosen:
        text = text[: match.start()] + misspell(match.group(), rng) + text[match.end() :]
    return text


def typo_set(source: Path, target: Path, seed: int = SEED) -> int:
    rng = random.Random(seed)
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    changed = 0
    for item in data.get("nlu", []):
        lines = []
        for line in str(item.get("examples", "")).splitlines():
            if line.strip().startswith("- "):
                prefix, text = line.split("- ", 1)
                typo = typo_example(text, rng)
                changed += typo != text
                lines.append(f"{prefix}- {typo}")
        item["examples"] = "\n".join(lines) + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    print(f"{typo_set(args.source, args.target, args.seed)} messages typo'd into {args.target}")


if __name__ == "__main__":
    main()
