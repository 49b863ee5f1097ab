"""Red-flag triage: free text or intake answers -> findings -> rules -> an auditable assessment.

Plain Python over spaCy rules; no Rasa. Rules are data (rules.yml), phrases and cues are data
(lexicon.yml), and every assessment names the rules, findings, words and rule-set version behind it.
"""

from __future__ import annotations

from typing import Any

from bot.triage.assess import Assessment, assess, assess_conversation, combine, screen
from bot.triage.extract import Finding, Mention, extract_findings, extract_mentions
from bot.triage.profile_findings import findings_from_profile
from bot.triage.rules import Rule, RuleSet, RuleSetError, load_rules
from bot.triage.scope import Status
from bot.triage.vocabulary import FINDINGS, INTAKE_FACTS

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
    "assess_conversation",
    "combine",
    "extract_findings",
    "extract_mentions",
    "findings_from_profile",
    "load_rules",
    "screen",
]


def __getattr__(name: str) -> Any:
    # RULESET_VERSION is read from rules.yml on first use, so importing the package stays cheap.
    if name == "RULESET_VERSION":
        return load_rules().version
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
