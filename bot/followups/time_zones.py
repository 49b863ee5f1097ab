"""Where the person is, from what they say: a city or country, a time zone name or abbreviation, an
offset ("UTC+2"), or the time on their clock ("it's 3pm here"). Used when the channel does not tell
(Telegram, REST); the web page sends the browser's zone and Slack the profile's.

Returns an IANA name (what the store keeps), or None when the words do not say where the person is.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Optional
from zoneinfo import ZoneInfo, available_timezones

from bot.followups.schedule import UTC

# Abbreviations people use, and places without a zone of their own name. Countries spanning several
# zones (the US, Canada, Australia, Brazil, Russia, Mexico) are not here: the person is asked for a city.
PLACES = {
    "utc": "UTC",
    "gmt": "Europe/London",
    "bst": "Europe/London",
    "uk": "Europe/London",
    "united kingdom": "Europe/London",
    "england": "Europe/London",
    "scotland": "Europe/London",
    "wales": "Europe/London",
    "manchester": "Europe/London",
    "birmingham": "Europe/London",
    "leeds": "Europe/London",
    "liverpool": "Europe/London",
    "bristol": "Europe/London",
    "glasgow": "Europe/London",
    "edinburgh": "Europe/London",
    "cardiff": "Europe/London",
    "ireland": "Europe/Dublin",
    "cork": "Europe/Dublin",
    "frankfurt": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "lyon": "Europe/Paris",
    "marseille": "Europe/Paris",
    "philadelphia": "America/New_York",
    "washington dc": "America/New_York",
    "austin": "America/Chicago",
    "las vegas": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "ottawa": "America/Toronto",
    "calgary": "America/Edmonton",
    "chennai": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "germany": "Europe/Berlin",
    "munich": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "france": "Europe/Paris",
    "spain": "Europe/Madrid",
    "barcelona": "Europe/Madrid",
    "italy": "Europe/Rome",
    "milan": "Europe/Rome",
    "netherlands": "Europe/Amsterdam",
    "switzerland": "Europe/Zurich",
    "geneva": "Europe/Zurich",
    "austria": "Europe/Vienna",
    "poland": "Europe/Warsaw",
    "sweden": "Europe/Stockholm",
    "norway": "Europe/Oslo",
    "denmark": "Europe/Copenhagen",
    "finland": "Europe/Helsinki",
    "greece": "Europe/Athens",
    "portugal": "Europe/Lisbon",
    "turkey": "Europe/Istanbul",
    "eet": "Europe/Athens",
    "est": "America/New_York",
    "edt": "America/New_York",
    "eastern": "America/New_York",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "miami": "America/New_York",
    "atlanta": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "central": "America/Chicago",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mountain": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "california": "America/Los_Angeles",
    "india": "Asia/Kolkata",
    "ist": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "japan": "Asia/Tokyo",
    "jst": "Asia/Tokyo",
    "china": "Asia/Shanghai",
    "beijing": "Asia/Shanghai",
    "singapore": "Asia/Singapore",
    "philippines": "Asia/Manila",
    "israel": "Asia/Jerusalem",
    "tel aviv": "Asia/Jerusalem",
    "uae": "Asia/Dubai",
    "egypt": "Africa/Cairo",
    "nigeria": "Africa/Lagos",
    "kenya": "Africa/Nairobi",
    "south africa": "Africa/Johannesburg",
    "cape town": "Africa/Johannesburg",
    "new zealand": "Pacific/Auckland",
    "nz": "Pacific/Auckland",
    "wellington": "Pacific/Auckland",
    "aest": "Australia/Sydney",
    "canberra": "Australia/Sydney",
}

_OFFSET = re.compile(r"\b(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b")
# "3pm", "3:30 pm", "15:30", "9 in the morning" is left out: too easily a pain score or a count.
_CLOCK = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*(a\s?m|p\s?m)\b|\b([01]?\d|2[0-3]):([0-5]\d)\b")


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


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9/_+\-: ]+", " ", text.lower()).strip() + " "


def zone_for_offset(offset: timedelta, now: datetime) -> Optional[str]:
    """A zone that is at `offset` from UTC now: Etc/GMT-N for whole hours (POSIX signs are inverted),
    else the first IANA zone with that offset (India's +5:30, say)."""
    if not timedelta(hours=-12) <= offset <= timedelta(hours=14):
        return None
    minutes = round(offset.total_seconds() / 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return "UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"
    # The names people know first (PLACES: Asia/Kolkata rather than its old alias Asia/Calcutta).
    for name in [*dict.fromkeys(PLACES.values()), *sorted(set(_zone_names().values()))]:
        if now.astimezone(ZoneInfo(name)).utcoffset() == timedelta(minutes=minutes):
            return name
    return None


def _from_clock(text: str, now: datetime) -> Optional[str]:
    """The time the person says it is, against UTC now, to the nearest quarter hour."""
    match = _CLOCK.search(text)
    if match is None:
        return None
    if match.group(3):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        hour = hour % 12 + (12 if match.group(3).startswith("p") else 0)
    else:
        hour, minute = int(match.group(4)), int(match.group(5))
    utc_now = now.astimezone(UTC)
    said = utc_now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    difference = (said - utc_now).total_seconds() / 60
    # The person's day may be UTC's yesterday or tomorrow: the offset is the one between -12 and +14 hours.
    difference = (difference + 12 * 60) % (24 * 60) - 12 * 60
    if difference < -12 * 60 + 15:
        difference += 24 * 60
    quarter_hours = round(difference / 15)
    return zone_for_offset(timedelta(minutes=15 * quarter_hours), now)


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
    # The longest place named wins ("new york" over "york").
    known = {**_zone_names(), **PLACES}
    for place in sorted(known, key=len, reverse=True):
        if "/" not in place and f" {place} " in words:
            return known[place]
    return _from_clock(words, now)


def zone_label(name: str) -> str:
    """How a zone is said to a person: "UTC-2" for Etc/GMT+2 (POSIX signs are inverted), else its name."""
    if name.startswith("Etc/GMT") and len(name) > len("Etc/GMT"):
        hours = -int(name[len("Etc/GMT") :])
        return f"UTC{hours:+d}"
    return name.replace("_", " ")
