from __future__ import annotations

import pytest

from bot.intake import (
    UNKNOWN,
    Entity,
    build_profile,
    parse_answer,
    prefill_from_entities,
    summarize,
)


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [
        ("pain_location", "right in the crease behind my knee", "back_of_knee"),
        ("pain_location", "under the kneecap", "behind_kneecap"),
        ("pain_location", "more in my calf", "calf"),
        ("pain_location", "the inner side", "the inner side"),
        ("pain_onset", "I twisted it playing football", "injury"),
        ("pain_onset", "it crept up over a few weeks", "gradual"),
        ("pain_onset", "hmm", None),
        ("pain_duration", "about 3 weeks", "about 3 weeks"),
        ("pain_score", "maybe a 6", "6"),
        ("pain_score", "seven out of ten", "7"),
        ("pain_score", "it hurts a lot", None),
        ("pain_score", "11", None),
        ("swelling", "yes, a bit puffy", "yes"),
        ("swelling", "no swelling at all", "no"),
        ("swelling", "nope", "no"),
        ("mechanical_symptoms", "it locks and gives way on stairs", "locking,giving_way"),
        ("mechanical_symptoms", "none of these", "none"),
        ("weight_bearing", "I can't put any weight on it", "cannot_bear_weight"),
        ("weight_bearing", "hobbling about", "limping"),
        ("weight_bearing", "walking fine", "normal"),
        ("weight_bearing", "not sure", UNKNOWN),
        ("pain_onset", "no idea", UNKNOWN),
    ],
)
def test_free_text_answers_are_read(slot: str, text: str, expected: str | None) -> None:
    assert parse_answer(slot, text) == expected


@pytest.mark.parametrize("slot", ["pain_onset", "swelling", "weight_bearing", "pain_location"])
def test_canonical_values_pass_through_unchanged(slot: str) -> None:
    value = {"pain_onset": "injury", "swelling": "no", "weight_bearing": "limping", "pain_location": "calf"}[slot]
    assert parse_answer(slot, value) == value


def test_unknown_slot_is_an_error() -> None:
    with pytest.raises(KeyError):
        parse_answer("favourite_colour", "blue")


def test_prefill_reads_what_a_description_already_said() -> None:
    entities = [
        Entity("body_location", "back_of_knee", "back of my knee"),
        Entity("symptom", "ache", "aches"),
        Entity("activity", "running", "running"),
        Entity("pain_score", "4/10", "4/10"),
        Entity("duration", "two weeks", "two weeks"),
    ]
    assert prefill_from_entities(entities) == {
        "pain_location": "back_of_knee",
        "pain_score": "4",
        "pain_duration": "two weeks",
    }


def test_prefill_takes_injury_and_mechanical_symptoms() -> None:
    entities = [Entity("activity", "blow_to_knee", "hit my knee"), Entity("symptom", "locking", "locks"), Entity("symptom", "giving_way", "buckles")]
    assert prefill_from_entities(entities) == {"pain_onset": "injury", "mechanical_symptoms": "locking,giving_way"}


def test_profile_merges_answers_and_entities() -> None:
    profile = build_profile(
        {"pain_location": "calf", "pain_score": "3", "swelling": "yes", "mechanical_symptoms": "catching", "weight_bearing": UNKNOWN},
        [Entity("symptom", "tightness"), Entity("activity", "running"), Entity("side", "left")],
    )
    assert profile.location == "calf" and profile.pain_score == 3.0 and profile.side == "left"
    assert profile.symptoms == {"tightness", "swelling", "catching"}
    assert profile.weight_bearing is None
    assert "calf" in summarize(profile) and "3/10" in summarize(profile)
