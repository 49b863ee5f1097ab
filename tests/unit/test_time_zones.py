"""Reading where a person is from what they say (bot/followups/time_zones.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.followups.schedule import UTC
from bot.followups.time_zones import read_time_zone, zone_for_offset, zone_label

# 17:05 UTC on a November day (no daylight saving in Europe or North America).
NOW = datetime(2026, 11, 26, 17, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("I live in Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("I'm based in Sydney", "Australia/Sydney"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("I'm in Lagos, Nigeria", "Africa/Lagos"),
        ("we are in Mexico City", "America/Mexico_City"),
        ("I am in the UK", "Europe/London"),
        ("I live in India", "Asia/Kolkata"),
        ("my time zone is PST", "America/Los_Angeles"),
        ("we're on central time", "America/Chicago"),
        ("time zone CET", "Europe/Berlin"),
        ("my timezone is Europe/Lisbon", "Europe/Lisbon"),
        ("Etc/GMT+3", "Etc/GMT+3"),  # an IANA name is taken as written, POSIX sign and all
        ("UTC+2", "Etc/GMT-2"),
        ("gmt -5", "Etc/GMT+5"),
        ("UTC+5:30", "Asia/Kolkata"),
        ("utc", "UTC"),
    ],
)
def test_places_zones_and_offsets(said: str, expected: str) -> None:
    assert read_time_zone(said, NOW) == expected


@pytest.mark.parametrize(
    ("said", "hours_from_utc"),
    [
        ("it's 3pm here", -2),
        ("my local time is 7am", -10),
        ("it's 10 pm where I am", 5),
        ("it's 10:05 p.m. where I am", 5),
        ("my clock says 18:05", 1),
        ("the time here is 08:05", -9),
        ("it is 6:05 am", -11),
        ("it's 2:05 am here", 9),  # tomorrow already, at UTC+9
        ("it's 5:05 am", 12),  # UTC+12 (New Zealand's summer is +13)
        ("five past three in the afternoon", -2),
        ("ten past nine in the evening", 4),  # 21:10: a few minutes off, the nearest offset in use
        ("it's noon here", -5),
        ("just after midnight", 7),
        ("9 at night", 4),
        ("7.05pm", 2),
    ],
)
def test_the_time_on_the_persons_clock(said: str, hours_from_utc: int) -> None:
    zone = read_time_zone(said, NOW)
    assert zone is not None and NOW.astimezone(ZoneInfo(zone)).utcoffset() == timedelta(hours=hours_from_utc)


def test_half_hour_clocks_find_a_zone_that_has_them() -> None:
    zone = read_time_zone("it's 10:35 pm", NOW)  # UTC+5:30
    assert zone == "Asia/Kolkata"


@pytest.mark.parametrize(
    "said",
    [
        "no idea",
        "pain is 6",
        "pain about 6.5",
        "about 3 weeks",
        "in the east",
        "general pain behind the knee",
        "in york",
        "it's 3 here",
        "it's 6 o'clock",
        "25:10",
        "nice of you to ask",
        "I eat well",
    ],
)
def test_words_that_do_not_say_where_the_person_is(said: str) -> None:
    assert read_time_zone(said, NOW) is None


def test_offsets_out_of_range_are_refused_and_labels_read_as_people_say_them() -> None:
    assert zone_for_offset(timedelta(hours=15), NOW) is None
    assert zone_label("Etc/GMT-2") == "UTC+2" and zone_label("Etc/GMT+5") == "UTC-5"
    assert zone_label("America/New_York") == "America/New York"
