"""The red-flag rules as data (rules.yml): schema checked at load, conditions evaluated over findings."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.levels import TriageLevel
from bot.triage.vocabulary import FINDINGS, INTAKE_FACTS, VALUED_FINDINGS

RULES_PATH = Path(__file__).with_name("rules.yml")
_RULE_KEYS = {"id", "level", "criteria", "source", "when"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"^\d{4}\.\d{1,2}\.\d+$")


class RuleSetError(ValueError):
    """rules.yml breaks the schema; the message names the file, the rule and the problem."""


@dataclass(frozen=True)
class FindingPresent:
    name: str


@dataclass(frozen=True)
class AtLeast:
    name: str
    threshold: float


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


Condition = FindingPresent | AtLeast | AllOf | AnyOf


@dataclass(frozen=True)
class Rule:
    id: str
    level: TriageLevel
    criteria: str
    source: str
    when: Condition


def condition_findings(condition: Condition) -> frozenset[str]:
    """Every finding name a condition tests."""
    if isinstance(condition, (FindingPresent, AtLeast)):
        return frozenset({condition.name})
    return frozenset().union(*(condition_findings(part) for part in condition.parts))


@dataclass(frozen=True)
class RuleSet:
    version: str
    rules: tuple[Rule, ...]

    def level_of(self, rule_id: str) -> TriageLevel | None:
        return next((rule.level for rule in self.rules if rule.id == rule_id), None)

    def order_of(self, rule_id: str) -> int:
        return next((index for index, rule in enumerate(self.rules) if rule.id == rule_id), len(self.rules))


def satisfied_by(condition: Condition, values: Mapping[str, float | None]) -> tuple[str, ...] | None:
    """The finding names that satisfy the condition, or None when it is not met.

    `values` maps each present finding to its largest value (None for findings without one).
    """
    if isinstance(condition, FindingPresent):
        return (condition.name,) if condition.name in values else None
    if isinstance(condition, AtLeast):
        value = values.get(condition.name)
        return (condition.name,) if value is not None and value >= condition.threshold else None
    results = [satisfied_by(part, values) for part in condition.parts]
    met = [names for names in results if names is not None]
    if isinstance(condition, AllOf) and len(met) < len(results):
        return None
    if not met:
        return None
    return tuple(dict.fromkeys(name for names in met for name in names))


def _parse_condition(node: Any, where: str) -> Condition:
    if isinstance(node, str):
        if node not in FINDINGS:
            raise RuleSetError(f"{where}: unknown finding {node!r}")
        if node in INTAKE_FACTS:
            # Where it hurts or how it began is read for the intake; it is no red flag by itself.
            raise RuleSetError(f"{where}: {node!r} is an intake fact, which no rule may test")
        return FindingPresent(node)
    if not isinstance(node, dict) or len(node) != 1:
        raise RuleSetError(
            f"{where}: a condition is a finding name or one of {{all: [...]}}, {{any: [...]}}, "
            f"{{at_least: {{finding: number}}}}; got {node!r}"
        )
    ((operator, argument),) = node.items()
    if operator in ("all", "any"):
        if not isinstance(argument, list) or not argument:
            raise RuleSetError(f"{where}: {operator!r} needs a non-empty list")
        parts = tuple(_parse_condition(part, f"{where}.{operator}[{i}]") for i, part in enumerate(argument))
        return AllOf(parts) if operator == "all" else AnyOf(parts)
    if operator == "at_least":
        if not isinstance(argument, dict) or len(argument) != 1:
            raise RuleSetError(f"{where}: at_least needs one {{finding: number}}")
        ((name, threshold),) = argument.items()
        if name not in VALUED_FINDINGS:
            raise RuleSetError(f"{where}: at_least works only on {sorted(VALUED_FINDINGS)}, not {name!r}")
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
            raise RuleSetError(f"{where}: at_least threshold for {name!r} must be a number")
        return AtLeast(name, float(threshold))
    raise RuleSetError(f"{where}: unknown operator {operator!r} (use all, any or at_least)")


def _parse_rule(node: Any, index: int, path: Path) -> Rule:
    where = f"{path.name}: rules[{index}]"
    if not isinstance(node, dict):
        raise RuleSetError(f"{where}: each rule is a mapping")
    rule_id = node.get("id")
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise RuleSetError(f"{where}: id must be snake_case text, got {rule_id!r}")
    where = f"{path.name}: rule {rule_id!r}"
    missing = sorted(_RULE_KEYS - set(node))
    unknown = sorted(set(node) - _RULE_KEYS)
    if missing or unknown:
        raise RuleSetError(f"{where}: missing keys {missing}, unknown keys {unknown}")
    if node["level"] not in {level.value for level in TriageLevel}:
        raise RuleSetError(f"{where}: level {node['level']!r} is not one of {[level.value for level in TriageLevel]}")
    for key in ("criteria", "source"):
        if not isinstance(node[key], str) or not node[key].strip():
            raise RuleSetError(f"{where}: {key} must be non-empty text")
    return Rule(
        rule_id,
        TriageLevel(node["level"]),
        node["criteria"].strip(),
        node["source"].strip(),
        _parse_condition(node["when"], f"{where}: when"),
    )


def parse_rules(data: Any, path: Path = RULES_PATH) -> RuleSet:
    # Keys starting with "_" only hold YAML anchors shared by several rules.
    if not isinstance(data, dict) or {key for key in data if not str(key).startswith("_")} != {"version", "rules"}:
        raise RuleSetError(f"{path.name}: the top level must have 'version' and 'rules' (and only _anchors besides)")
    version = data["version"]
    if not isinstance(version, str) or not _VERSION.match(version):
        raise RuleSetError(f'{path.name}: version must be text like "2026.11.1", got {version!r}')
    if not isinstance(data["rules"], list) or not data["rules"]:
        raise RuleSetError(f"{path.name}: rules must be a non-empty list")
    rules = tuple(_parse_rule(node, index, path) for index, node in enumerate(data["rules"]))
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise RuleSetError(f"{path.name}: duplicate rule id {rule.id!r}")
        seen.add(rule.id)
    return RuleSet(version, rules)


def load_rules(path: Path | str | None = None) -> RuleSet:
    """The rule set in `path` (default: the packaged rules.yml, read once and cached)."""
    return _load_rules_cached(Path(path) if path is not None else RULES_PATH)


@lru_cache(maxsize=8)
def _load_rules_cached(path: Path) -> RuleSet:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RuleSetError(f"{path.name}: not valid YAML: {error}") from error
    return parse_rules(data, path)
