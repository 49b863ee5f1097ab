"""Which files and data the engine's judgement came from, for the audit record: the rules (their
version and a digest), the lexicon (a digest) and the spaCy lemma tables (package versions). Two
escalations with the same provenance were judged by exactly the same engine."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.triage.pipeline import LEXICON_PATH
from bot.triage.rules import RULES_PATH, load_rules


def _digest(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _package(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


@lru_cache(maxsize=1)
def engine_provenance() -> dict[str, str]:
    return {
        "rules.yml": f"{load_rules().version} {_digest(RULES_PATH)}",
        "lexicon.yml": _digest(LEXICON_PATH),
        "spacy": _package("spacy"),
        "spacy-lookups-data": _package("spacy-lookups-data"),
    }
