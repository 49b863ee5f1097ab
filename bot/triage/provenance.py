"""Which files and data the engine's judgement came from, for the audit record: the rules (their
version and a digest), the lexicon, the text-speak table and the screening question (digests), and
the spaCy lemma tables and the spelling dictionary (package versions). Two
escalations with the same provenance were judged by exactly the same engine."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.triage.rules import RULES_PATH, load_rules
from bot.triage.screening import SCREENING_PATH

# Named here rather than imported from the reader, which would load spaCy into whoever audits.
ENGINE_DATA = Path(__file__).parent


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
        "lexicon.yml": _digest(ENGINE_DATA / "lexicon.yml"),
        "text_speak.yml": _digest(ENGINE_DATA / "text_speak.yml"),
        "screening.yml": _digest(SCREENING_PATH),
        "spacy": _package("spacy"),
        "spacy-lookups-data": _package("spacy-lookups-data"),
        "symspellpy": _package("symspellpy"),
    }
