"""Unit tests for bot.triage: numbers, scope (negation, hypotheticals, other people, the past),
the rule schema, profile mapping, assessment and combining."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from pathlib import Path

import pytest
import yaml

from bot import number_words, triage
from bot.levels import TriageLevel
from bot.profile import SymptomProfile
from bot.triage import (
    Assessment,
    Finding,
    RuleSetError,
    Status,
    assess,
    assess_conversation,
    combine,
    extract_findings,
    extract_mentions,
    findings_from_profile,
    load_rules,
    screen,
)
from bot.triage import numbers as triage_numbers
from bot.triage.numbers import find_ages, parse_pain_score
from bot.triage.pipeline import (
    LexiconError,
    compile_phrase,
    get_compiled_lexicon,
    get_nlp,
    lexicon_patterns,
    load_lexicon,
    make_doc,
)
from bot.triage.rules import RULES_PATH
from bot.triage.vocabulary import DERIVED_FINDINGS, FINDINGS, INTAKE_FACTS, NUMERIC_FINDINGS, SCREENING_FINDINGS
from tests.support.assistant import PROJECT_ROOT


def names(text: str) -> set[str]:
    return {finding.name for finding in extract_findings(text)}


def status_of(text: str, name: str) -> Status:
    statuses = [mention.status for mention in extract_mentions(text) if mention.finding.name == name]
    assert statuses, f"{name} not mentioned in {text!r}: {extract_mentions(text)}"
    return statuses[0]


# ---------------------------------------------------------------- pain scores and ages
@pytest.mark.parametrize(
    "text, score",
    [
        ("it's 9/10", 9),
        ("9 / 10 today", 9),
        ("nine out of ten", 9),
        ("10 out of 10", 10),
        ("the pain is a 9", 9),
        ("I'd rate it a 7", 7),
        ("pain level 8", 8),
        ("pain is 7-8", 8),
        ("7-8/10", 8),
        ("7 to 8 out of 10", 8),
        ("8 or 9 out of 10", 9),
        ("11/10, awful", 10),
        ("a 6 on the pain scale", 6),
        ("the pain is a solid 8", 8),
        ("9.5/10", 9.5),
        ("zero out of ten", 0),
    ],
)
def test_pain_score_parser_reads_scores(text: str, score: float) -> None:
    assert parse_pain_score(text) == score


@pytest.mark.parametrize(
    "text",
    [
        "It's a 10 minute walk to work",
        "I'm 60",
        "I run 5k three times a week",
        "it happened at 9 am",
        "I walked up 4 flights of stairs",
        "it was at 8 this morning",
    ],
)
def test_pain_score_parser_ignores_other_numbers(text: str) -> None:
    assert parse_pain_score(text) is None


@pytest.mark.parametrize(
    "text, age",
    [
        ("I'm 62 and fell", 62),
        ("I am 58", 58),
        ("58 years old", 58),
        ("a 70-year-old man", 70),
        ("67 y/o", 67),
        ("I'm sixty-two", 62),
        ("in my late fifties", 57),
        ("in my 70s", 70),
        ("in my early eighties", 81),
        ("in my mid 60's", 65),
        ("I'm seventy one", 71),
        ("aged ninety", 90),
    ],
)
def test_age_parser(text: str, age: float) -> None:
    assert [span.value for span in find_ages(text)] == [age]


def test_number_words_come_from_the_one_table() -> None:
    # bot/triage/numbers.py keeps no table of its own, and the table imports nothing of the triage engine.
    assert not {"WORD_NUMBERS", "_TENS", "_UNITS", "_DECADES"} & set(vars(triage_numbers))
    tree = ast.parse(Path(number_words.__file__).read_text(encoding="utf-8"))
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if name.startswith("bot")]
    assert parse_pain_score("pain is like eleven out of ten") == 10


def test_age_parser_ignores_weights_and_durations() -> None:
    assert find_ages("I'm 80kg and 18 weeks pregnant") == []


def test_age_finding_only_at_55_or_over() -> None:
    assert "age_55_plus" in names("I'm 55, knee aches")
    assert "age_55_plus" not in names("I'm 54, knee aches")


def test_pain_score_finding_carries_its_value() -> None:
    (finding,) = [f for f in extract_findings("pain is 8-9 out of 10") if f.name == "pain_score"]
    assert finding.value == 9 and finding.evidence == "8-9 out of 10"


# ---------------------------------------------------------------- colloquial phrasing
@pytest.mark.parametrize(
    "text, name",
    [
        ("it buckles", "giving_way"),
        ("my knee gives out", "giving_way"),
        ("it goes from under me", "giving_way"),
        ("it jams", "locking"),
        ("it gets stuck", "locking"),
        ("it won't straighten", "cannot_straighten"),
        ("I can't put weight on it", "cannot_bear_weight"),
        ("I fell and can't get back up", "cannot_bear_weight"),
        ("hobbling about", "limping"),
        ("it's ballooned", "swelling"),
        ("the back of it is puffy", "swelling"),
        ("heard it pop", "recent_injury"),
        ("it's burning hot", "warmth"),
        ("I can't catch my breath", "breathless"),
        ("it's excruciating", "severe_pain"),
        ("worst pain ever", "severe_pain"),
        ("it's locked and stuck now", "locking_now"),
        ("my calf is swollen", "calf_swelling"),
        ("got tackled", "recent_injury"),
        ("dashboard injury", "recent_injury"),
        ("I'm 30 weeks pregnant", "pregnancy"),
        ("I flew back from Sydney", "long_journey"),
    ],
)
def test_colloquial_phrases_make_findings(text: str, name: str) -> None:
    assert name in names(text)


@pytest.mark.parametrize(
    "text", ["the ache wakes me and I can't get back to sleep", "I can't get back to running yet", "I can't get back on my bike"]
)
def test_getting_back_to_sleep_or_sport_is_not_about_bearing_weight(text: str) -> None:
    assert "cannot_bear_weight" not in names(text)


def test_offsets_point_at_the_evidence() -> None:
    text = "Yesterday my knee ballooned."
    (finding,) = extract_findings(text)
    assert text[finding.start : finding.end] == finding.evidence == "ballooned"


def test_curly_apostrophes_work_like_straight_ones() -> None:
    assert "cannot_bear_weight" in names("I can\u2019t put weight on it")


def test_finding_is_frozen() -> None:
    finding = Finding("swelling", "swollen", 0, 7)
    with pytest.raises(dataclasses.FrozenInstanceError):
        finding.name = "fever"  # type: ignore[misc]


# ---------------------------------------------------------------- scope
@pytest.mark.parametrize(
    "text, name",
    [
        ("no swelling", "swelling"),
        ("it isn't hot", "warmth"),
        ("it has never given way", "giving_way"),
        ("without any fever", "fever"),
        ("not swollen or red", "redness"),
        ("no swelling, redness or heat", "warmth"),
        ("I don't have any calf pain", "calf_pain"),
        ("swelling yes, redness no", "redness"),
        ("the pain isn't severe", "severe_pain"),
        ("no injury at all", "recent_injury"),
    ],
)
def test_negated_findings_do_not_count(text: str, name: str) -> None:
    assert status_of(text, name) is Status.NEGATED
    assert name not in names(text)


@pytest.mark.parametrize(
    "text, kept",
    [
        ("No swelling but it locks", "locking"),
        ("it's not red, it's swollen", "swelling"),
        ("no fever and it's swollen", "swelling"),
        ("swelling yes, redness no", "swelling"),
        ("it's not that swollen", "swelling"),
        ("I don't know why it's swollen", "swelling"),
        ("it doesn't always lock but when it does it hurts", "locking"),
    ],
)
def test_negation_stops_at_clause_boundaries_and_pseudo_negations(text: str, kept: str) -> None:
    assert kept in names(text)


def test_negation_inside_the_finding_phrase_is_part_of_it() -> None:
    assert "cannot_bear_weight" in names("I can't walk on it")
    assert "not_improving" in names("it's not getting any better")


@pytest.mark.parametrize(
    "text, name",
    [
        ("Should I worry if it locks?", "locking"),
        ("What if it swells?", "swelling"),
        ("Can a Baker's cyst burst?", "burst_cyst"),
        ("what are the signs of a clot after a flight?", "long_journey"),
        ("If it gives way should I go to A&E?", "giving_way"),
        ("I'm scared it might lock up", "locking"),
        ("Is severe pain a sign of something bad?", "severe_pain"),
        ("just in case it swells", "swelling"),
        ("can it give way without warning?", "giving_way"),
        ("If it swells I'll call the GP", "swelling"),
    ],
)
def test_questions_and_hypotheticals_do_not_count(text: str, name: str) -> None:
    assert status_of(text, name) is Status.HYPOTHETICAL


@pytest.mark.parametrize(
    "text, kept",
    [
        ("If I squat it locks", "locking"),
        ("Why is my knee swollen?", "swelling"),
        ("Is it normal that my knee gives way?", "giving_way"),
        ("what should I do if it gives way again?", "giving_way"),
    ],
)
def test_real_complaints_inside_questions_and_conditionals_count(text: str, kept: str) -> None:
    assert kept in names(text)


@pytest.mark.parametrize(
    "text, name",
    [
        ("my dad has a swollen calf", "calf_swelling"),
        ("my mum's knee gives way", "giving_way"),
        ("my friend tore her ACL", "ligament_injury"),
        ("he fell off his bike", "recent_injury"),
    ],
)
def test_other_peoples_findings_do_not_count(text: str, name: str) -> None:
    assert status_of(text, name) is Status.OTHER_PERSON


def test_the_writer_is_the_nearest_person() -> None:
    text = "My mum has a Baker's cyst, and my knee is swollen"
    assert status_of(text, "lump") is Status.OTHER_PERSON
    assert "swelling" in names(text)
    assert "swelling" in names("My wife says my knee looks swollen")


@pytest.mark.parametrize(
    "text, name",
    [
        ("it gave way years ago, fine since surgery", "giving_way"),
        ("my knee used to lock", "locking"),
        ("the swelling went down last week", "swelling"),
        ("I twisted it years ago", "recent_injury"),
        ("back in 2018 I couldn't walk on it", "cannot_bear_weight"),
        ("I had a swollen knee as a teenager", "swelling"),
    ],
)
def test_past_and_resolved_findings_do_not_count(text: str, name: str) -> None:
    assert status_of(text, name) is Status.PAST


@pytest.mark.parametrize(
    "text, name",
    [
        ("I had a clot in 2015", "past_clot"),
        ("I had cancer years ago", "cancer"),
        ("fine since surgery", "recent_surgery"),
    ],
)
def test_risk_factors_count_although_in_the_past(text: str, name: str) -> None:
    assert name in names(text)


def test_the_nearest_time_marker_decides() -> None:
    text = "I twisted it years ago and now it's swollen"
    assert "swelling" in names(text)
    assert "recent_injury" not in names(text)
    assert "recent_injury" in names("I twisted it two days ago")


# ---------------------------------------------------------------- lexicon
def test_lexicon_loads_and_covers_every_finding() -> None:
    lexicon = load_lexicon()
    assert set(lexicon.findings) | NUMERIC_FINDINGS | DERIVED_FINDINGS | SCREENING_FINDINGS == set(FINDINGS)
    assert set(lexicon.lasting.values()) == DERIVED_FINDINGS


def test_lexicon_rejects_unknown_findings(tmp_path: Path) -> None:
    data = yaml.safe_load((Path(triage.__file__).with_name("lexicon.yml")).read_text())
    data["findings"]["swollen_toe"] = ["toe"]
    path = tmp_path / "lexicon.yml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(LexiconError, match="swollen_toe"):
        load_lexicon(path)


def test_phrase_mini_language() -> None:
    (pattern,) = compile_phrase("=stuck ~2 knee?", frozenset({"and"}))
    assert pattern[0] == {"LOWER": {"IN": ["stuck"]}}
    assert len(pattern) == 4 and pattern[-1]["OP"] == "?"
    assert len(compile_phrase("swell|=puffy", frozenset())) == 2  # a lemma and an exact form
    with pytest.raises(LexiconError):
        compile_phrase("~2", frozenset())


def test_pipeline_is_built_once() -> None:
    assert get_nlp() is get_nlp()


def _corpus() -> list[str]:
    """Every vignette turn and every NLU example: thousands of ways people write."""
    from tests.triage.vignettes import VIGNETTES, load_cases

    texts = [text for path in sorted(VIGNETTES.parent.glob("vignettes*.yml")) for case in load_cases(path) for text in case.texts]
    for path in sorted((PROJECT_ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text()).get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                texts.append(re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}", r"\1\2", line.strip()[2:]))
    return texts


def test_the_anchored_matcher_finds_what_one_matcher_over_every_pattern_finds() -> None:
    from spacy.matcher import Matcher

    full = Matcher(get_nlp().vocab)
    for label, patterns in lexicon_patterns(load_lexicon()):
        full.add(label, patterns)
    anchored = get_compiled_lexicon().matcher
    texts = _corpus()
    assert len(texts) > 1500
    matched = 0
    for text in texts:
        doc = make_doc(text)
        expected = sorted(set(full(doc)), key=lambda match: (match[1], match[2], match[0]))
        assert anchored(doc) == expected, text
        matched += bool(expected)
    assert matched > 1000  # the comparison is not over texts where nothing matches


# ---------------------------------------------------------------- rules and schema
def _rules_data() -> dict:
    return yaml.safe_load(RULES_PATH.read_text())


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_packaged_rules_load() -> None:
    rules = load_rules()
    assert rules.version == triage.RULESET_VERSION
    assert {"pe_signs", "dvt_signs", "ottawa", "locked_knee", "cannot_fully_bend", "systemic"} <= {
        rule.id for rule in rules.rules
    }
    assert all(rule.criteria and rule.source for rule in rules.rules)


def test_every_finding_is_used_by_some_rule() -> None:
    used: set[str] = set()

    def walk(condition: object) -> None:
        if hasattr(condition, "parts"):
            for part in condition.parts:  # type: ignore[attr-defined]
                walk(part)
        else:
            used.add(condition.name)  # type: ignore[attr-defined]

    for rule in load_rules().rules:
        walk(rule.when)
    assert set(FINDINGS) - used == INTAKE_FACTS  # the intake reads these; no rule may
    assert not used & INTAKE_FACTS


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d["rules"][0].update(when={"any": ["swollen_toe"]}), "unknown finding 'swollen_toe'"),
        (lambda d: d["rules"][0].update(level="asap"), "level 'asap'"),
        (lambda d: d["rules"][0].pop("source"), "missing keys \\['source'\\]"),
        (lambda d: d["rules"][0].update(criteria="  "), "criteria must be non-empty"),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "duplicate rule id"),
        (lambda d: d["rules"][0].update(when={"some": ["swelling"]}), "unknown operator 'some'"),
        (lambda d: d["rules"][0].update(when={"all": []}), "non-empty list"),
        (lambda d: d["rules"][0].update(when={"at_least": {"swelling": 2}}), "at_least works only on"),
        (lambda d: d["rules"][0].update(extra=1), "unknown keys \\['extra'\\]"),
        (lambda d: d.update(version=3), "version must be text"),
        (lambda d: d["rules"][0].update(id="Bad Id"), "id must be snake_case"),
    ],
)
def test_rule_schema_errors_are_clear(tmp_path: Path, mutate, message: str) -> None:
    data = _rules_data()
    mutate(data)
    with pytest.raises(RuleSetError, match=message):
        load_rules(_write(tmp_path, data))


def test_invalid_yaml_is_a_rule_set_error(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_text("version: [unclosed\n")
    with pytest.raises(RuleSetError, match="not valid YAML"):
        load_rules(path)


# ---------------------------------------------------------------- assessment
def test_nothing_found_is_self_care() -> None:
    result = screen("")
    assert result.level is TriageLevel.SELF_CARE and result.rule_ids == () and result.evidence == ()


def test_assessment_orders_rules_most_serious_first_with_evidence() -> None:
    result = screen("I fell and now my knee is swollen and I feel breathless")
    assert result.level is TriageLevel.EMERGENCY
    assert result.rule_ids[0] == "pe_signs"
    levels = [load_rules().level_of(rule_id) for rule_id in result.rule_ids]
    assert [level.rank for level in levels] == sorted((level.rank for level in levels), reverse=True)
    assert ("swelling_after_injury", "swelling", "swollen") in result.evidence


def test_pain_threshold_lives_in_the_rules() -> None:
    assert "severe_pain" in screen("pain 8/10").rule_ids
    assert "severe_pain" not in screen("pain 7/10").rule_ids
    assert ("severe_pain", "pain_score", "8/10") in screen("pain 8/10").evidence


def test_to_dict_is_json_friendly() -> None:
    as_dict = screen("my knee is hot and swollen").to_dict()
    assert json.loads(json.dumps(as_dict)) == as_dict
    assert as_dict["level"] == "urgent" and as_dict["ruleset_version"] == load_rules().version
    assert {"rule_id": "hot_swollen_knee", "finding": "warmth", "text": "hot"} in as_dict["evidence"]


def test_combine_takes_the_higher_level_and_the_union() -> None:
    first, second = screen("it locks sometimes"), screen("my knee is hot and swollen")
    combined = combine(first, second)
    assert combined.level is TriageLevel.URGENT
    assert set(combined.rule_ids) == set(first.rule_ids) | set(second.rule_ids)
    assert combined.rule_ids[0] == "hot_swollen_knee"
    assert combine(combined, screen("all fine now")).level is TriageLevel.URGENT  # never lowered
    assert combine(first, first) == first


def test_combine_notes_both_rule_set_versions_when_they_differ() -> None:
    old = Assessment(TriageLevel.SEE_CLINICIAN, ("swelling",), (), "2026.1.1")
    assert combine(old, screen("it buckles")).ruleset_version == f"2026.1.1+{load_rules().version}"


def test_conversation_meets_findings_across_messages() -> None:
    turns = ["My calf has been sore for two days", "I got back from a 14 hour flight on Tuesday"]
    assert "dvt_signs" not in combine(screen(turns[0]), screen(turns[1])).rule_ids
    assert "dvt_signs" in assess_conversation(turns).rule_ids


# ---------------------------------------------------------------- intake profile
def test_profile_maps_to_findings() -> None:
    profile = SymptomProfile(
        swelling="yes",
        weight_bearing="cannot_bear_weight",
        mechanical=frozenset({"locking", "giving_way"}),
        onset="injury",
        pain_score=9,
        symptoms=frozenset({"numbness", "lump", "ache"}),
    )
    found = {finding.name: finding for finding in findings_from_profile(profile)}
    assert set(found) == {
        "swelling",
        "cannot_bear_weight",
        "locking",
        "giving_way",
        "recent_injury",
        "pain_score",
        "numbness",
        "lump",
    }
    assert found["pain_score"].value == 9 and found["swelling"].start == -1
    result = assess(findings_from_profile(profile))
    assert {"severe_pain", "cannot_bear_weight", "swelling_after_injury", "ottawa", "neuro_deficit"} <= set(result.rule_ids)


def test_profile_limping_and_calf_location() -> None:
    profile = SymptomProfile(location="calf", swelling="yes", weight_bearing="limping", pain_score=3)
    found = {finding.name for finding in findings_from_profile(profile)}
    assert found == {"calf_swelling", "calf_pain", "limping", "pain_score"}
    assert assess(findings_from_profile(profile)).level is TriageLevel.URGENT  # swollen and painful calf


def test_empty_or_unknown_profile_is_self_care() -> None:
    profile = SymptomProfile(swelling="unknown", weight_bearing="normal", mechanical=frozenset({"none"}), onset="gradual")
    assert findings_from_profile(profile) == []
    assert assess(findings_from_profile(SymptomProfile())).level is TriageLevel.SELF_CARE


def test_public_api() -> None:
    for name in (
        "Finding",
        "Assessment",
        "extract_findings",
        "assess",
        "screen",
        "findings_from_profile",
        "combine",
        "load_rules",
        "RuleSetError",
        "RULESET_VERSION",
    ):
        assert hasattr(triage, name), name
