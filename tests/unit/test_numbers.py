from datetime import date

import pytest

from bot.numbers import Duration, parse_duration, parse_pain_score


@pytest.mark.parametrize(
    ("text", "score"),
    [
        ("about 4/10", 4),
        ("four out of ten", 4),
        ("7", 7),
        ("a six", 6),
        ("maybe 7-8", 8),
        ("pain is 9", 9),
        ("12/10", 10),
        ("0", 0),
        ("it hurts", None),
        ("for 3 weeks", None),
        ("15", None),
    ],
)
def test_pain_scores(text: str, score: float | None) -> None:
    assert parse_pain_score(text) == score


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("3 days", 3),
        ("a couple of weeks", 14),
        ("two months", 60),
        ("since yesterday", 1),
        ("half a day", 0.5),
        ("ages", None),
        ("about 3 weeks", 21),
        ("2 wks", 14),
        ("roughly a fortnight", 14),
        ("ten days or so", 10),
        ("over a year", 365),
    ],
)
def test_durations(text: str, days: float | None) -> None:
    parsed = parse_duration(text)
    assert parsed is not None and parsed.days == days


@pytest.mark.parametrize(
    ("text", "days", "phrase"),
    [
        ("gradually, over the last 3 weeks", 21, "3 weeks"),
        ("for about two months", 60, "about two months"),
        ("a couple of days", 2, "a couple of days"),
        ("since last Tuesday", 2, "since last Tuesday"),  # 2026-11-26 is a Thursday
        ("since Christmas", 336, "since Christmas"),
        ("for ages", None, "for ages"),
        ("since the marathon", None, "since the marathon"),
    ],
)
def test_durations_keep_the_persons_words(text: str, days: float | None, phrase: str) -> None:
    assert parse_duration(text, today=date(2026, 11, 26)) == Duration(days, phrase)


def test_no_duration() -> None:
    assert parse_duration("it hurts when I kneel") is None


@pytest.mark.parametrize(
    "answer, score",
    [
        ("five, maybe six", 6),
        ("5, possibly even 6", 6),
        ("a 6 maybe 7 on bad days", 7),
        ("its 5 or 6 atm", 6),
        ("7 or 8 out of 10", 8),
        ("4 out of 10, maybe 5", 5),
        ("oops, I meant 5 not 6", 5),
        ("6, no wait, 5", 5),
        ("not 6, 5", 5),
        ("7/10", 7),
    ],
)
def test_ranges_keep_the_higher_number_and_corrections_the_one_meant(answer: str, score: float) -> None:
    assert parse_pain_score(answer) == score


@pytest.mark.parametrize("answer", ["2 or 3 weeks", "4 to 5 days", "3 or 4 times a day"])
def test_a_range_of_something_else_is_not_a_score(answer: str) -> None:
    assert parse_pain_score(answer) is None
