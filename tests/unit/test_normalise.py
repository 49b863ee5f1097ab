"""The normalised reading (bot/triage/normalise.py): text-speak from one table, dropped g's, and
misspellings read as the lexicon's words only when the evidence is clear; valid words never change;
the person's own words are what is quoted back. Through the reader: tests/unit/test_triage.py and the
vignettes; `python -m tests.triage.normalise_report` lists every change in the project's own text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.levels import TriageLevel
from bot.triage import assess_conversation, extract_mentions, screen
from bot.triage.normalise import TextSpeak, load_text_speak, normalise


@pytest.mark.parametrize(
    "typed, read",
    [
        ("my calf is swolen", "my calf is swollen"),
        ("short of breth", "short of breath"),
        ("chest pian", "chest pain"),
        ("been coughin up blod", "been coughing up blood"),
        ("my legg is swolen", "my leg is swollen"),
        ("brething is hard", "breathing is hard"),
        ("swellin in the calff", "swelling in the calf"),
        ("foot is numbb", "foot is numb"),
        ("pain at the bak of my knee", "pain at the back of my knee"),
        ("my caf hurts", "my calf hurts"),
        ("cant straiten it", "can't straighten it"),
        ("it dosnt lock or giv way", "it doesn't lock or give way"),
        ("rly bad for 2 wks", "really bad for 2 weeks"),
        ("knee n calf", "knee and calf"),
        ("MY KNEE IS SWOLEN", "MY KNEE IS swollen"),
        ("havin trouble walkin", "having trouble walking"),
    ],
)
def test_what_people_type_is_read_as_plain_english(typed: str, read: str) -> None:
    assert normalise(typed).text == read


@pytest.mark.parametrize(
    "text",
    [
        "I live in Honolulu and took aspirin",
        "Siobhan says my glutes are weak",
        "the physio undersold it",
        "n",  # a lone "n" is not "and"
        "cald and numb",  # calf or cold: two of the lexicon's words fit, so neither is guessed
        "my gp prescribed naproxen",
        "helo",
    ],
)
def test_valid_words_and_unclear_typos_are_left_as_written(text: str) -> None:
    assert normalise(text).changes == []
    assert normalise(text).text == text


def test_offsets_map_back_to_the_persons_own_words() -> None:
    typed = "no sweling, it dosnt lock. MY CALF IS SWOLEN n hot"
    reading = normalise(typed)
    start = reading.text.index("CALF")
    end = reading.text.index("swollen") + len("swollen")
    begin, finish = reading.to_original(start, end)
    assert typed[begin:finish] == "CALF IS SWOLEN"
    swelling = [m for m in extract_mentions(typed) if m.finding.name == "calf_swelling"]
    assert swelling and swelling[0].finding.evidence == "CALF IS SWOLEN"
    assert typed[swelling[0].finding.start : swelling[0].finding.end] == "CALF IS SWOLEN"


def test_the_examples_of_issue_19_through_the_reader() -> None:
    turns = ["my calf behind the knee is swolen and red and hot since my flight yesterday", "and now im kinda short of breth"]
    assert assess_conversation(turns[:1]).level >= TriageLevel.URGENT
    assert assess_conversation(turns).level is TriageLevel.EMERGENCY
    assert screen("chest pian and my calf is swollen").level is TriageLevel.EMERGENCY
    calm = screen("no sweling, it dosnt lock or giv way")
    assert calm.level is TriageLevel.SELF_CARE and "catching_locking" not in calm.rule_ids


def test_the_table_is_checked_when_it_is_loaded(tmp_path: Path) -> None:
    table = load_text_speak()
    assert table.expansions["dosnt"] == "doesn't" and table.between_words["n"] == "and"
    bad = tmp_path / "text_speak.yml"
    bad.write_text(yaml.safe_dump({"expansions": {"Rly": "really"}, "between_words": {}, "keep": []}))
    with pytest.raises(ValidationError, match="lower case"):
        load_text_speak(bad)
    with pytest.raises(ValidationError):
        TextSpeak(expansions={}, between_words={}, keep=[], extra=1)


@pytest.mark.parametrize(
    "text",
    [
        "my calf isn't swollen or red",
        "calf isnt red swollen or warm",
        "the calf is not swollen, red or hot",
        "no redness, swelling or heat in the calf",
    ],
)
def test_a_negated_list_denies_every_item_also_inside_a_phrase(text: str) -> None:
    """A negation in the gap of a phrase that has none of its own ("calf [isn't] swollen") denies it;
    one that is the phrase's own ("can't put weight on it") does not."""
    assessment = screen(text)
    assert assessment.level is TriageLevel.SELF_CARE, assessment
    assert screen("I can't put any weight on it").level is TriageLevel.URGENT
    assert screen("my calf is swollen, not red").level is TriageLevel.SEE_CLINICIAN
