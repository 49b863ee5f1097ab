"""Where the person is, from what they say: a city or country, a time zone name or abbreviation, an
offset ("UTC+2"), or the time on their clock ("it's 3pm here"). Used when the channel does not tell
(Telegram, REST); the web page sends the browser's zone and Slack the profile's.

Returns an IANA name (what the store keeps), or None when the words do not say where the person is.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml

from bot.followups.schedule import UTC
from bot.number_words import TENS, UNITS, word_value

PLACES_FILE = Path(__file__).with_name("places.yml")

_OFFSET = re.compile(r"(?:\b(?:utc|gmt)\s*|(?<![\w:.])(?=[+-]\d))([+-])\s*(\d{1,2})(?::?(\d{2}))?\b")
_NAMED_TIMES = {"noon": (12, 0), "midday": (12, 0), "midnight": (0, 0)}
_HOUR_WORDS = {word: value for word, value in UNITS.items() if 1 <= value <= 12}
_HOUR = rf"(\d{{1,2}}|{'|'.join(sorted(_HOUR_WORDS, key=len, reverse=True))})"
_MINUTES_WORD = rf"(quarter|half|\d{{1,2}}|{'|'.join(sorted([*UNITS, *TENS], key=len, reverse=True))}(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?)"
# Which half of the day: "pm", "in the evening", "at night" (nine at night, but two at night is 02:00).
_PERIOD = (
    r"(a\s?m|p\s?m|in the morning|this morning|in the afternoon|this afternoon|in the evening|this evening|at night|tonight)"
)
_RELATIVE = re.compile(
    rf"\b{_MINUTES_WORD}\s*(?:minutes?\s*)?(past|after|to|before)\s*{_HOUR}(?:\s*o\s?clock)?(?:\s*{_PERIOD})?\b"
)
_DIGITAL = re.compile(rf"\b([01]?\d|2[0-3])\s*([:.])\s*([0-5]\d)(?:\s*{_PERIOD})?\b")
_HOUR_ONLY = re.compile(rf"\b{_HOUR}(?:\s*o\s?clock)?\s*{_PERIOD}\b")


def _period_hour(hour: int, period: Optional[str]) -> Optional[int]:
    """The 24-hour clock's hour for "`hour` `period`"; None when there is no saying which half of the day."""
    if period is None:
        return hour if hour > 12 or hour == 0 else None
    if hour > 12:
        return hour  # "15:30 in the afternoon": already a 24-hour time
    morning = period.replace(" ", "") in ("am", "inthemorning", "thismorning") or (
        period in ("at night", "tonight") and (hour < 5 or hour == 12)
    )
    return hour % 12 + (0 if morning else 12)


def _hour_value(token: str) -> int:
    return _HOUR_WORDS[token] if token in _HOUR_WORDS else int(token)


def _minutes_value(token: str) -> int:
    return {"quarter": 15, "half": 30}.get(token) or int(word_value(token))


def _said_time(words: str) -> Optional[tuple[int, int]]:
    """The time on the person's clock as (hour, minute), or None when it is not clear."""
    for name, moment in _NAMED_TIMES.items():
        if f" {name} " in words:
            return moment
    relative = _RELATIVE.search(words)
    if relative:
        minutes, direction, hour_token, period = relative.groups()
        hour, minute = _hour_value(hour_token), _minutes_value(minutes)
        if not 0 < minute < 60 or not 0 < hour <= 12:
            return None
        if direction in ("to", "before"):
            hour, minute = (hour - 1) % 12 or 12, 60 - minute
        hour_24 = _period_hour(hour, period) if period else None
        return None if hour_24 is None else (hour_24, minute)
    digital = _DIGITAL.search(words)
    if digital:
        hour_text, separator, minute_text, period = digital.groups()
        if separator == "." and period is None:
            return None  # "6.5" is a score, "7.05pm" a time
        hour = int(hour_text)
        hour_24 = _period_hour(hour, period) if period and hour else hour  # 08:15 and 20:15 are both clear
        return None if hour_24 is None else (hour_24, int(minute_text))
    hour_only = _HOUR_ONLY.search(words)
    if hour_only:
        hour = _hour_value(hour_only.group(1))
        hour_24 = _period_hour(hour, hour_only.group(2)) if 1 <= hour <= 12 else None
        return None if hour_24 is None else (hour_24, 0)
    return None


@lru_cache(maxsize=1)
def places() -> dict[str, str]:
    """places.yml: place or abbreviation -> IANA zone; a zone this machine does not know is an error."""
    table = yaml.safe_load(PLACES_FILE.read_text(encoding="utf-8")) or {}
    for place, name in table.items():
        try:
            ZoneInfo(str(name))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"{PLACES_FILE.name}: {place!r} has an unknown time zone {name!r}") from error
    return {str(place).lower(): str(name) for place, name in table.items()}


# Cities are read from zones on these continents only: the old aliases (US/Eastern, Brazil/East,
# Mexico/General) would make everyday words such as "east" or "general" read as places.
_CONTINENTS = ("Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    """Every IANA zone by its full name, and the continents' by city ("new york" -> America/New_York)."""
    names: dict[str, str] = {}
    for name in sorted(available_timezones()):
        if "/" not in name or name.startswith(("SystemV/", "posix/", "right/")):
            continue
        names[name.lower()] = name
        continent, _, city = name.partition("/")
        if continent in _CONTINENTS and "/" not in city:
            names.setdefault(city.replace("_", " ").lower(), name)
    return names


@lru_cache(maxsize=1)
def _place_pattern() -> re.Pattern[str]:
    known = [place for place in {**_zone_names(), **places()} if "/" not in place]
    alternatives = "|".join(re.escape(place) for place in sorted(known, key=len, reverse=True))
    return re.compile(rf"(?<![\w/])(?:{alternatives})(?![\w/])")


def _words(text: str) -> str:
    """Lower case, accents off ("kraków" -> "krakow"), "p.m." as "pm", punctuation as spaces."""
    plain = "".join(char for char in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(char))
    plain = re.sub(r"\b([ap])\.\s?m\.?", r"\1m", plain.replace("'", ""))
    return " " + " ".join(re.sub(r"[^a-z0-9/_+\-:. ]+", " ", plain).split()) + " "


# "I live in Lyon" beats "originally from Leeds": the place the person says they are in now.
_WHERE_NOW = re.compile(r"(?:live|living|based|staying|am|im|i am|now|currently|moved)\s+(?:in|to|near)\s+$")


def _place(words: str) -> Optional[str]:
    known = {**_zone_names(), **places()}
    found = [(match.start(), match.group(0)) for match in _place_pattern().finditer(words)]
    if not found:
        return None
    for start, place in found:
        if _WHERE_NOW.search(words[:start]):
            return known[place]
    return known[found[0][1]]


def zone_for_offset(offset: timedelta, now: datetime) -> Optional[str]:
    """A zone that is at `offset` from UTC now: Etc/GMT-N for whole hours (POSIX signs are inverted),
    else the first IANA zone with that offset (India's +5:30, say)."""
    if not timedelta(hours=-12) <= offset <= timedelta(hours=14):
        return None
    minutes = round(offset.total_seconds() / 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"
    # The names people know first (places.yml: Asia/Kolkata rather than its old alias Asia/Calcutta).
    for name in [*dict.fromkeys(places().values()), *sorted(set(_zone_names().values()))]:
        if now.astimezone(ZoneInfo(name)).utcoffset() == timedelta(minutes=minutes):
            return name
    return None


def _from_clock(words: str, now: datetime) -> Optional[str]:
    """The time the person says it is, against UTC now, to the nearest quarter hour."""
    said = _said_time(words)
    if said is None:
        return None
    utc_now = now.astimezone(UTC)
    moment = utc_now.replace(hour=said[0], minute=said[1], second=0, microsecond=0)
    difference = (moment - utc_now).total_seconds() / 60
    # The person's day may be UTC's yesterday or tomorrow: the offset is the one between -12 and +14 hours.
    difference = (difference + 12 * 60) % (24 * 60) - 12 * 60
    if difference < -12 * 60 + 15:
        difference += 24 * 60
    # The offset in use somewhere right now that is nearest to the clock (clocks are read a few minutes off).
    nearest = min(_offsets_in_use(now.replace(minute=0, second=0, microsecond=0)), key=lambda offset: abs(offset - difference))
    return zone_for_offset(timedelta(minutes=nearest), now) if abs(nearest - difference) <= 30 else None


@lru_cache(maxsize=4)
def _offsets_in_use(hour: datetime) -> tuple[int, ...]:
    """Every UTC offset (minutes) some zone has at this hour."""
    offsets = {hour.astimezone(ZoneInfo(name)).utcoffset() for name in set(_zone_names().values())}
    return tuple(sorted(int(offset.total_seconds() // 60) for offset in offsets if offset is not None))


def read_time_zone(text: str, now: datetime) -> Optional[str]:
    """The person's time zone from their words (see the module's doc), or None."""
    words = _words(text)
    for token in words.split():  # an IANA name first: "Etc/GMT+3" is not "GMT+3" (POSIX signs)
        if "/" in token and token in _zone_names():
            return _zone_names()[token]
    offset = _OFFSET.search(words)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        return zone_for_offset(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0)), now)
    return _place(words) or _from_clock(words, now)


def zone_label(name: str) -> str:
    """How a zone is said to a person: "UTC-2" for Etc/GMT+2 (POSIX signs are inverted), else its name."""
    if name.startswith("Etc/GMT") and len(name) > len("Etc/GMT"):
        hours = -int(name[len("Etc/GMT") :])
        return f"UTC{hours:+d}"
    return name.replace("_", " ")
