"""Findings to an assessment: which rules match, the level they reach, and the words behind them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.levels import TriageLevel
from bot.triage.extract import Finding, extract_findings
from bot.triage.rules import RuleSet, load_rules, satisfied_by

EvidenceItem = tuple[str, str, str]  # (rule id, finding name, the words it came from)


@dataclass(frozen=True)
class Assessment:
    level: TriageLevel
    rule_ids: tuple[str, ...]  # most serious first, then in rules.yml order
    evidence: tuple[EvidenceItem, ...]
    ruleset_version: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "rule_ids": list(self.rule_ids),
            "evidence": [{"rule_id": r, "finding": f, "text": t} for r, f, t in self.evidence],
            "ruleset_version": self.ruleset_version,
        }


def _ordered(rule_ids: Iterable[str], rules: RuleSet) -> tuple[str, ...]:
    def seriousness(rule_id: str) -> tuple[int, int]:
        level = rules.level_of(rule_id) or TriageLevel.SELF_CARE
        return (-level.rank, rules.order_of(rule_id))

    return tuple(sorted(dict.fromkeys(rule_ids), key=seriousness))


def assess(findings: Iterable[Finding], rules: RuleSet | None = None) -> Assessment:
    """Apply every rule to the findings; self_care with no rule ids when nothing matches."""
    rules = rules or load_rules()
    findings = list(findings)
    values: dict[str, float | None] = {}
    first_evidence: dict[str, str] = {}
    for finding in findings:
        first_evidence.setdefault(finding.name, finding.evidence)
        previous = values.get(finding.name)
        if finding.value is not None and (previous is None or finding.value > previous):
            values[finding.name] = finding.value
        else:
            values.setdefault(finding.name, previous)
    matched: list[str] = []
    evidence: list[EvidenceItem] = []
    for rule in rules.rules:
        names = satisfied_by(rule.when, values)
        if names is None:
            continue
        matched.append(rule.id)
        evidence.extend((rule.id, name, first_evidence[name]) for name in names)
    rule_ids = _ordered(matched, rules)
    order = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    evidence.sort(key=lambda item: order[item[0]])
    level = max(
        (rules.level_of(rule_id) or TriageLevel.SELF_CARE for rule_id in rule_ids),
        key=lambda lvl: lvl.rank,
        default=TriageLevel.SELF_CARE,
    )
    return Assessment(level, rule_ids, tuple(evidence), rules.version)


def screen(text: str, rules: RuleSet | None = None) -> Assessment:
    """Extract findings from one message and assess them."""
    return assess(extract_findings(text), rules)


def combine(first: Assessment, second: Assessment, rules: RuleSet | None = None) -> Assessment:
    """Accumulate over a conversation: the higher level, the union of rule ids and evidence.

    Assessing each message alone and combining never lowers a level; rules that need two findings
    from different messages are caught by assessing the findings of the whole conversation.
    """
    rules = rules or load_rules()
    level = max(first.level, second.level, key=lambda lvl: lvl.rank)
    rule_ids = _ordered(first.rule_ids + second.rule_ids, rules)
    order = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    evidence = sorted(dict.fromkeys(first.evidence + second.evidence), key=lambda item: order[item[0]])
    versions = dict.fromkeys(v for v in (first.ruleset_version, second.ruleset_version) if v)
    return Assessment(level, rule_ids, tuple(evidence), "+".join(versions))


def assess_conversation(texts: Iterable[str], rules: RuleSet | None = None, known_findings: Iterable[Finding] = ()) -> Assessment:
    """A whole conversation: each message screened and combined, plus the rules applied to all
    findings together, so a sign in one message and its context in another ("my calf is sore" ...
    "I just flew back from Sydney") still meet. `known_findings` (e.g. from the intake answers)
    take part in that joint assessment."""
    rules = rules or load_rules()
    all_findings: list[Finding] = list(known_findings)
    result = assess(all_findings, rules)
    for text in texts:
        findings = extract_findings(text)
        all_findings.extend(findings)
        result = combine(result, assess(findings, rules), rules)
    return combine(result, assess(all_findings, rules), rules)
