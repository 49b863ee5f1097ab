"""Red-flag triage: free text or intake answers -> findings -> rules -> an auditable assessment.

Plain Python over spaCy rules; no Rasa. Rules are data (rules.yml), phrases and cues are data
(lexicon.yml), and every assessment names the rules, findings, words and rule-set version behind it.

The reader of free text (extract.py) loads spaCy and the lexicon, so its names are imported on first
use: a process that only reads stored readings (the action server) never loads them.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from bot.triage.assess import Assessment, assess, combine, grow_red_flags
from bot.triage.findings import Finding, Mention, Status
from bot.triage.profile_findings import findings_from_profile
from bot.triage.rules import Rule, RuleSet, RuleSetError, load_rules
from bot.triage.vocabulary import FINDINGS, INTAKE_FACTS

_READER_NAMES = ("assess_conversation", "extract_findings", "extract_mentions", "read_text", "screen")

__all__ = [
    "FINDINGS",
    "INTAKE_FACTS",
    "RULESET_VERSION",
    "Assessment",
    "Finding",
    "Mention",
    "Rule",
    "RuleSet",
    "RuleSetError",
    "Status",
    "assess",
    "combine",
    "findings_from_profile",
    "grow_red_flags",
    "load_rules",
    *_READER_NAMES,
]


def __getattr__(name: str) -> Any:
    # RULESET_VERSION is read from rules.yml on first use, so importing the package stays cheap.
    if name == "RULESET_VERSION":
        return load_rules().version
    if name in _READER_NAMES:
        return getattr(import_module("bot.triage.extract"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
