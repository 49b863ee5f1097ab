"""When check-ins fall due: some days after now, in the person's daytime.

A check-in that would arrive in the person's quiet hours (their own timezone; 21:00-08:00 unless they
chose otherwise) moves to the end of those hours; one that falls in daytime keeps its local time of
day, so someone who talked to us at 10:15 hears back at 10:15, summer time or not.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, time, timedelta
from datetime import timezone as _timezone
from pathlib import Path
from typing import Mapping, Optional, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# No digital musculoskeletal programme publishes an evidence-based check-in schedule
# (../shared/clinical.md, "Check-in measures"); 2 days, 1 week and 2 weeks are the offer in issue 9,
# the last one where `not_improving` ("about two weeks of home care") can first be judged.
DEFAULT_SCHEDULE_DAYS: tuple[int, ...] = (2, 7, 14)
DEFAULT_QUIET_START = "21:00"
DEFAULT_QUIET_END = "08:00"
DEFAULT_TIMEZONE = "UTC"

UTC = _timezone.utc
_CLOCK_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")


def zone(name: Optional[str]) -> ZoneInfo:
    """The IANA zone `name`; UTC for an empty or unknown name (a browser or profile may send anything)."""
    try:
        return ZoneInfo((name or "").strip() or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def is_valid_timezone(name: Optional[str]) -> bool:
    """Whether `name` is an IANA zone this machine knows (to check before storing it)."""
    if not name or not name.strip():
        return False
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def clock_time(text: Optional[str], default: str) -> time:
    """ "HH:MM" as a time of day; `default` when it is missing or malformed."""
    match = _CLOCK_TIME.match((text or "").strip()) or _CLOCK_TIME.match(default)
    assert match is not None, f"default {default!r} is not HH:MM"
    return time(int(match.group(1)), int(match.group(2)))


def in_quiet_hours(local: time, quiet_start: time, quiet_end: time) -> bool:
    """Whether a local time of day is inside [quiet_start, quiet_end), which may span midnight."""
    if quiet_start == quiet_end:
        return False  # no quiet hours
    if quiet_start < quiet_end:
        return quiet_start <= local < quiet_end
    return local >= quiet_start or local < quiet_end


def _aware(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Local wall time `at` on `day`, as an aware time that exists (a time skipped by a clock change
    becomes the same moment one offset later)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC).astimezone(tz)


def next_daytime(
    moment: datetime,
    timezone: Optional[str] = DEFAULT_TIMEZONE,
    quiet_start: Optional[str] = DEFAULT_QUIET_START,
    quiet_end: Optional[str] = DEFAULT_QUIET_END,
) -> datetime:
    """`moment` if it is daytime for the person, else the end of their quiet hours (UTC)."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    tz = zone(timezone)
    start, end = clock_time(quiet_start, DEFAULT_QUIET_START), clock_time(quiet_end, DEFAULT_QUIET_END)
    local = moment.astimezone(tz)
    if not in_quiet_hours(local.timetz().replace(tzinfo=None), start, end):
        return moment.astimezone(UTC)
    wake = _aware(local.date(), end, tz)
    if wake <= local:
        wake = _aware(local.date() + timedelta(days=1), end, tz)
    return wake.astimezone(UTC)


def due_times(
    now: datetime,
    days: Sequence[int] = DEFAULT_SCHEDULE_DAYS,
    timezone: Optional[str] = DEFAULT_TIMEZONE,
    quiet_start: Optional[str] = DEFAULT_QUIET_START,
    quiet_end: Optional[str] = DEFAULT_QUIET_END,
) -> list[datetime]:
    """One due time (UTC) per entry of `days`: that many calendar days after `now` in the person's
    own timezone, moved out of their quiet hours. Sorted, without duplicates."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if any(day < 0 for day in days):
        raise ValueError("days must not be negative")
    tz = zone(timezone)
    local_now = now.astimezone(tz)
    times = set()
    for day in days:
        # Calendar days in local time, so a clock change in between keeps the time of day.
        local = _aware(local_now.date() + timedelta(days=day), local_now.timetz().replace(tzinfo=None), tz)
        times.add(next_daytime(local, timezone, quiet_start, quiet_end))
    return sorted(times)


_OFFSET = re.compile(r"^([+-])\s*(\d+(?:\.\d+)?)\s*([dhms])$")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_clock(spec: str, real_now: datetime) -> datetime:
    """A test clock setting as a time: an ISO time (the clock stands still there; naive means UTC) or an
    offset from the real time such as "+3d", "+36h", "-90m", "+30s"; "@PATH" reads either from a file,
    so a test can move the clock of running processes by rewriting it (no file, or an empty one: the
    real time)."""
    text = spec.strip()
    if text.startswith("@"):
        clock_file = Path(text[1:])
        text = clock_file.read_text().strip() if clock_file.is_file() else ""
        if not text:
            return real_now.astimezone(UTC)
    offset = _OFFSET.match(text)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        return real_now.astimezone(UTC) + sign * timedelta(seconds=float(offset.group(2)) * _UNIT_SECONDS[offset.group(3)])
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def current_time(env: Optional[Mapping[str, str]] = None) -> datetime:
    """Now (UTC): the real time, or POPLIT_CLOCK's (see parse_clock) when it is set, so tests can
    make weeks pass for the worker and the check-in actions alike."""
    env = os.environ if env is None else env
    real_now = datetime.now(UTC)
    spec = env.get("POPLIT_CLOCK", "").strip()
    return parse_clock(spec, real_now) if spec else real_now
