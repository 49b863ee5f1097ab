import pytest

from bot.numbers import parse_duration_days, parse_pain_score


@pytest.mark.parametrize(
    ("text", "score"),
    [("about 4/10", 4), ("four out of ten", 4), ("7", 7), ("a six", 6), ("maybe 7-8", 8), ("pain is 9", 9),
     ("12/10", 10), ("0", 0), ("it hurts", None), ("for 3 weeks", None), ("15", None)],
)
def test_pain_scores(text: str, score: float | None) -> None:
    assert parse_pain_score(text) == score


@pytest.mark.parametrize(
    ("text", "days"),
    [("3 days", 3), ("a couple of weeks", 14), ("two months", 60), ("since yesterday", 1), ("half a day", 0.5), ("ages", None)],
)
def test_durations(text: str, days: float | None) -> None:
    assert parse_duration_days(text) == days
