"""The check-in's answers read from what people type (bot/check_in.py)."""

from __future__ import annotations

import pytest

from bot.check_in import NOT_SURE, read_answer, read_opening
from bot.triage import read_text


@pytest.mark.parametrize(
    "text, change",
    [
        ("It's better", "better"),
        ("a lot easier this week", "better"),
        ("improving slowly", "better"),
        ("not better really", "same"),
        ("it's no better", "same"),
        ("about the same", "same"),
        ("no change", "same"),
        ("still sore", "same"),
        ("It's worse", "worse"),
        ("it flared up again", "worse"),
        ("not worse, at least", "same"),
        ("not sure", NOT_SURE),
        ("what should I do?", None),
    ],
)
def test_change(text: str, change: str) -> None:
    assert read_answer("checkin_change", read_text(text)) == change


@pytest.mark.parametrize(
    "text, score",
    [
        ("3", "3"),
        ("about a 5", "5"),
        ("6/10", "6"),
        ("seven", "7"),
        ("maybe 4, worse at night", "4"),
        ("dunno", NOT_SURE),
        ("no idea tbh", NOT_SURE),
        ("banana", None),
    ],
)
def test_pain(text: str, score: str) -> None:
    assert read_answer("checkin_pain", read_text(text)) == score


@pytest.mark.parametrize(
    "text, done",
    [
        ("yes, most days", "yes"),
        ("every day", "yes"),
        ("some of the time", "some"),
        ("a few times", "some"),
        ("not really", "no"),
        ("no, I forgot", "no"),
        ("haven't had time", "no"),
    ],
)
def test_exercises(text: str, done: str) -> None:
    assert read_answer("checkin_exercises", read_text(text)) == done


def test_anything_new_keeps_the_persons_words_unless_nothing_is_new() -> None:
    assert read_answer("checkin_new", read_text("nothing new")) == "none"
    assert read_answer("checkin_new", read_text("no")) == "none"
    assert read_answer("checkin_new", read_text("the knee swelled up on Tuesday")) == "the knee swelled up on Tuesday"


def test_a_persons_own_check_in_message_prefills_what_it_says() -> None:
    assert read_opening(read_text("it's been a week, still sore, about a 5")) == {"checkin_pain": "5", "checkin_change": "same"}
    assert read_opening(read_text("checking in, my knee is better")) == {"checkin_change": "better"}
    assert read_opening(read_text("it has been 2 weeks")) == {}
