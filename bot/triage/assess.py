"""Findings to an assessment: which rules match, the level they reach, and the words behind them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.levels import TriageLevel
from bot.triage.findings import Finding
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


def grow_red_flags(red_flags: Sequence[str] | None, rule_ids: Iterable[str]) -> list[str]:
    """A session's red flags only ever grow: the ones it had, then any new rule ids in order."""
    grown = list(red_flags or [])
    return grown + [rule_id for rule_id in dict.fromkeys(rule_ids) if rule_id not in grown]
