from __future__ import annotations

from datetime import date

import pytest

from bot.intake import UNKNOWN, Entity, IntakeUpdate, build_profile, read_message, summarize, update_intake
from bot.triage import read_text

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("slot", "text", "expected"),
    [
        ("pain_location", "right in the crease behind my knee", "back_of_knee"),
        ("pain_location", "under the kneecap", "behind_kneecap"),
        ("pain_location", "more in my calf", "calf"),
        ("pain_location", "the inner side", "the inner side"),
        ("pain_onset", "I twisted it playing football", "injury"),
        ("pain_onset", "it crept up over a few weeks", "gradual"),
        ("pain_onset", "it crept up on me", "gradual"),
        ("pain_onset", "hmm", None),
        ("pain_duration", "about 3 weeks", "about 3 weeks"),
        ("pain_duration", "gradually, over the last 3 weeks", "3 weeks"),
        ("pain_duration", "for about two months", "about two months"),
        ("pain_score", "maybe a 6", "6"),
        ("pain_score", "seven out of ten", "7"),
        ("pain_score", "4", "4"),
        ("pain_score", "it hurts a lot", None),
        ("pain_score", "11", None),
        ("swelling", "yes, a bit puffy", "yes"),
        ("swelling", "no swelling at all", "no"),
        ("swelling", "not swollen at all", "no"),
        ("swelling", "I don't think it's swollen", "no"),
        ("swelling", "I don't think so", "no"),
        ("swelling", "nope", "no"),
        ("mechanical_symptoms", "it locks and gives way on stairs", "locking,giving_way"),
        ("mechanical_symptoms", "no locking", "none"),
        ("mechanical_symptoms", "it doesn't lock or give way", "none"),
        ("mechanical_symptoms", "none of these", "none"),
        ("weight_bearing", "I can't put any weight on it", "cannot_bear_weight"),
        ("weight_bearing", "I can't walk without limping a bit", "limping"),
        ("weight_bearing", "hobbling about", "limping"),
        ("weight_bearing", "walking fine", "normal"),
        ("weight_bearing", "I walk normally", "normal"),
        ("weight_bearing", "not sure", UNKNOWN),
        ("pain_onset", "no idea", UNKNOWN),
        ("pain_onset", "erm not really sure", UNKNOWN),
        ("weight_bearing", "not 100% sure tbh", UNKNOWN),
        ("pain_duration", "not quite certain", UNKNOWN),
        ("swelling", "not entirely sure whether it's swollen", UNKNOWN),
        ("pain_score", "somewhere around five i guess", "5"),
        ("pain_score", "4, but it's worse at night", "4"),
        ("pain_score", "three i'd say", "3"),
        ("swelling", "i honestly can't tell if it's swollen", UNKNOWN),
        ("mechanical_symptoms", "I haven't noticed anything like that", "none"),
        ("weight_bearing", "I was hobbling a bit last week but that's gone, I'm walking normally now", "normal"),
        ("pain_location", "I get pain behind my knee", "back_of_knee"),
        ("pain_duration", "about twenty days", "about twenty days"),
        ("pain_duration", "yesterday", "since yesterday"),
        ("pain_duration", "a week and a half", "a week and a half"),
        ("pain_duration", "bout 3 weks", "bout 3 weks"),
        ("pain_duration", "I'm a 34 year old runner and for the last fortnight it's been tight", "a fortnight"),
        ("pain_duration", "I walk the dog twice a day. Started maybe a month ago, gradually.", "maybe a month"),
    ],
)
def test_answers_are_read_by_the_triage_engines_reader(slot: str, text: str, expected: str | None) -> None:
    assert read_message(read_text(text), asked=slot, today=TODAY).answers.get(slot) == expected


def test_a_denial_is_never_read_as_the_symptom() -> None:
    for text in ("no locking", "it doesn't give way", "never catches"):
        assert read_message(read_text(text), asked="mechanical_symptoms").answers["mechanical_symptoms"] == "none"
    assert read_message(read_text("my knee isn't swollen")).answers["swelling"] == "no"


def test_one_message_answers_several_questions_in_any_order() -> None:
    answers = read_message(read_text("gradual, about 3 weeks, 4/10, no swelling"), asked="pain_onset", today=TODAY).answers
    assert answers == {"pain_onset": "gradual", "pain_duration": "about 3 weeks", "pain_score": "4", "swelling": "no"}


def test_a_description_answers_what_it_says() -> None:
    answers = read_message(read_text("the back of my right knee aches and sometimes it buckles on the stairs")).answers
    assert answers == {"pain_location": "back_of_knee", "mechanical_symptoms": "giving_way"}


def test_a_correction_does_not_answer_the_question_asked() -> None:
    assert read_message(read_text("no, it's my calf"), asked="swelling").answers == {"pain_location": "calf"}
    assert read_message(read_text("actually it's more like a 6"), asked="swelling").answers == {"pain_score": "6"}
    assert read_message(read_text("sorry, it does swell"), asked="mechanical_symptoms").answers == {"swelling": "yes"}


def test_a_date_of_something_else_is_not_the_pains_duration() -> None:
    assert "pain_duration" not in read_message(read_text("I ran yesterday and my knee aches at the back"), today=TODAY).answers


def test_an_activity_duration_is_not_the_pains() -> None:
    answers = read_message(read_text("my knee hurts after sitting for 3 hours at work"), today=TODAY).answers
    assert "pain_duration" not in answers


def update(
    latest: str | None,
    asked: str | None = None,
    current: dict | None = None,
    earlier: tuple[str, ...] = (),
    misses: dict | None = None,
    times_asked: dict | None = None,
) -> IntakeUpdate:
    readings = [read_text(text) for text in earlier]
    return update_intake(
        current or {},
        readings,
        None if latest is None else read_text(latest),
        asked,
        misses or {},
        times_asked or {},
        today=TODAY,
    )


def test_earlier_messages_fill_only_open_questions_and_the_latest_corrects() -> None:
    result = update(
        "actually it's more like a 6",
        asked="swelling",
        current={"pain_score": "4"},
        earlier=("pain behind my knee when I sit for long at work",),
    )
    assert result.changes == {"pain_location": "back_of_knee", "pain_score": "6"}
    assert result.responses == ["utter_intake_noted"]


def test_an_unreadable_answer_gets_a_hint_then_the_question_is_left_unknown() -> None:
    first = update("banana", asked="pain_onset")
    assert first.changes == {} and first.responses == ["utter_hint_pain_onset"] and first.misses == {"pain_onset": 1}
    second = update("hmm blue", asked="pain_onset", misses=first.misses)
    assert second.changes == {"pain_onset": UNKNOWN} and second.responses == ["utter_intake_moving_on"]


def test_a_question_asked_three_times_is_not_asked_again() -> None:
    result = update(None, asked="pain_duration", times_asked={"pain_duration": 3})
    assert result.changes == {"pain_duration": UNKNOWN}


def test_durations_come_with_days() -> None:
    result = update("for about two months", asked="pain_duration")
    assert result.changes == {"pain_duration": "about two months"} and result.duration_days == 60
    vague = update("for ages", asked="pain_duration")
    assert vague.changes == {"pain_duration": "for ages"} and vague.duration_days is None and vague.duration_days_changed


def test_profile_merges_answers_and_entities() -> None:
    profile = build_profile(
        {
            "pain_location": "calf",
            "pain_score": "3",
            "swelling": "yes",
            "mechanical_symptoms": "catching",
            "weight_bearing": UNKNOWN,
        },
        [Entity("symptom", "tightness"), Entity("activity", "running"), Entity("side", "left")],
    )
    assert profile.location == "calf" and profile.pain_score == 3.0 and profile.side == "left"
    assert profile.symptoms == {"tightness", "swelling", "catching"}
    assert profile.weight_bearing is None
    assert "calf" in summarize(profile) and "3/10" in summarize(profile)


def test_the_read_back_says_denials_as_denials() -> None:
    profile = build_profile(
        {
            "pain_location": "back_of_knee",
            "pain_duration": "about two months",
            "swelling": "no",
            "mechanical_symptoms": "none",
            "weight_bearing": "normal",
        },
        [],
    )
    summary = summarize(profile)
    assert "no swelling" in summary and "no locking, catching or giving way" in summary
    assert "for about two months" in summary and "walking normally" in summary


@pytest.mark.parametrize(
    "answer, onset",
    [
        ("just came on", "gradual"),
        ("nah no knock, just came on", "gradual"),
        ("started slow", "gradual"),
        ("I didn't fall or anything", "gradual"),
        ("gradualy", "gradual"),
        ("banged it on a bench", "injury"),
        ("hurt it stepping off the curb", "injury"),
        ("twisted it", "injury"),
        ("it just hurts", None),
    ],
)
def test_how_it_started_is_read_in_any_words(answer: str, onset: str) -> None:
    """The answer to the onset question: an injury word that is not denied is an injury; any other
    account of how it began is gradual."""
    assert read_message(read_text(answer), "pain_onset").answers.get("pain_onset") == onset


def test_a_verdict_like_not_good_negates_nothing_after_it() -> None:
    assert read_message(read_text("not good, limping"), "weight_bearing").answers.get("weight_bearing") == "limping"


@pytest.mark.parametrize(
    "text, asked, answers",
    [
        # a score corrected in the middle of another answer, whatever the question pending
        ("sorry i meant 4 not 7, fat fingers. and no swelling", "mechanical_symptoms", {"pain_score": "4", "swelling": "no"}),
        ("no swelling. actually the pain is more like 9 tbh", "mechanical_symptoms", {"pain_score": "9", "swelling": "no"}),
        ("i meant 3 weeks not 2", "pain_score", {"pain_duration": "3 weeks"}),
        ("3 or so, no swelling", "pain_score", {"pain_score": "3", "swelling": "no"}),
        ("walkin grand", "weight_bearing", {"weight_bearing": "normal"}),
    ],
)
def test_casual_answers_given_alongside_others(text: str, asked: str, answers: dict[str, str]) -> None:
    assert read_message(read_text(text), asked=asked, today=TODAY).answers == answers
