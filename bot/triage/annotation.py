"""The "triage" annotation a message carries in its parse data: written once by the NLU annotator
(bot/nlu), read here by everything that needs a message's findings (the safety policy, the actions).

It holds the message's own assessment, its current findings, and the spans that are not current
(negated, hypothetical, someone else's, past), so no later step screens the message again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict
from typing import Any

from bot.triage.assess import assess
from bot.triage.extract import Finding, extract_findings, extract_mentions
from bot.triage.scope import Status
from bot.triage.vocabulary import INTAKE_FACTS

TRIAGE_KEY = "triage"


def triage_annotation(text: str) -> dict[str, Any]:
    # Red flags only: the intake facts (where it hurts, how it began) are read by the intake itself;
    # as excluded spans they would also drop the NLU's location entities, which the intake still uses.
    mentions = [mention for mention in extract_mentions(text) if mention.finding.name not in INTAKE_FACTS]
    findings = [mention.finding for mention in mentions if mention.status is Status.CURRENT]
    excluded = [[mention.finding.start, mention.finding.end] for mention in mentions if mention.status is not Status.CURRENT]
    return {
        **assess(findings).to_dict(),
        "findings": [asdict(finding) for finding in findings],
        "excluded_spans": excluded,
    }


def message_findings(parse_data: Mapping[str, Any]) -> list[Finding]:
    """A message's current findings from its annotation; a message that skipped NLU (a `/intent`
    payload, a triggered intent) has none stored and is screened here if it has text."""
    stored = parse_data.get(TRIAGE_KEY)
    if stored is not None:
        return [Finding(**finding) for finding in stored.get("findings", [])]
    text = parse_data.get("text") or ""
    return [finding for finding in extract_findings(text) if finding.name not in INTAKE_FACTS] if text.strip() else []


def messages_findings(messages: Iterable[Mapping[str, Any]]) -> list[Finding]:
    return [finding for parse_data in messages for finding in message_findings(parse_data)]


def excluded_spans(parse_data: Mapping[str, Any]) -> list[tuple[int, int]]:
    """Character spans of findings that do not count (negated, hypothetical, someone else's, past)."""
    stored = (parse_data.get(TRIAGE_KEY) or {}).get("excluded_spans")
    if stored is not None:
        return [(int(start), int(end)) for start, end in stored]
    return [
        (mention.finding.start, mention.finding.end)
        for mention in extract_mentions(parse_data.get("text") or "")
        if mention.status is not Status.CURRENT and mention.finding.name not in INTAKE_FACTS
    ]
