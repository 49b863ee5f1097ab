"""How a person's pain is going, from their check-ins: the change since the assessment in plain words,
whether home care is failing them (`not_improving`), and what to do with the exercises.

Pure functions over anything shaped like a stored check-in (created_at, pain 0-10 or None, change
better/same/worse or None); no store, no Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Protocol, Sequence

# Meaningful change on the 0-10 pain scale: about 2 points or 30% (Farrar et al. 2001; Salaffi et al.
# 2004: 2 points or 33% for "much better"), ../shared/clinical.md "Check-in measures". Both studies
# measured improvement; a rise counts at 2 points only, because on a low score the percentage would
# call a 1-point rise (say 2 -> 3) a real worsening.
MEANINGFUL_CHANGE_POINTS = 2
MEANINGFUL_CHANGE_FRACTION = 0.30
# The warning sign "pain that does not improve with home treatment" (the seed article; issue 9 says
# about two weeks). "About": a check-in answered a few hours before the two weeks are up still counts.
HOME_CARE_DAYS = 14
HOME_CARE_SLACK = timedelta(hours=12)
# The person saying "worse" at this many check-ins in a row counts as getting worse, whatever the scores.
WORSE_ANSWERS_IN_A_ROW = 2
# Pain-monitoring model (Thomee 1997; Silbernagel et al. 2007; ../shared/clinical.md "Exercise"): pain
# up to 5/10 is acceptable if it settles by the next morning and does not build week to week;
# otherwise step back a level.
ACCEPTABLE_EXERCISE_PAIN = 5

IMPROVING, SAME, WORSE = "improving", "same", "worse"
PROGRESS, KEEP, STEP_BACK = "progress", "keep", "step_back"


class PainReading(Protocol):
    """What these functions read of a check-in (bot.store.checkins.CheckIn has these and more)."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def pain(self) -> Optional[int]: ...

    @property
    def change(self) -> Optional[str]: ...


@dataclass(frozen=True)
class Trend:
    direction: str  # improving | same | worse
    change_points: int  # latest minus first score: negative is less pain
    change_percent: Optional[float]  # of the first score; None when that was 0 or there is nothing to compare
    days: int  # between the first and the latest score
    sentence: str  # the trend in plain words, for the person


def meaningful_drop(first: float, last: float) -> bool:
    drop = first - last
    return drop > 0 and (drop >= MEANINGFUL_CHANGE_POINTS or (first > 0 and drop >= MEANINGFUL_CHANGE_FRACTION * first))


def meaningful_rise(first: float, last: float) -> bool:
    return last - first >= MEANINGFUL_CHANGE_POINTS


def meaningful_change(first: float, last: float) -> bool:
    """Whether going from `first` to `last` (0-10) is a change a person would notice: a drop of 2 points
    or 30% of the first score, or a rise of 2 points."""
    return meaningful_drop(first, last) or meaningful_rise(first, last)


def _scores(check_ins: Sequence[PainReading]) -> list[tuple[datetime, int]]:
    return sorted((reading.created_at, reading.pain) for reading in check_ins if reading.pain is not None)


def _ago(days: int) -> str:
    if days <= 0:
        return "earlier today"
    if days == 1:
        return "yesterday"
    if days < 14 and days % 7:
        return f"{days} days ago"
    weeks = round(days / 7)
    return "a week ago" if weeks == 1 else f"{weeks} weeks ago"


def _points(value: int) -> str:
    return "1 point" if abs(value) == 1 else f"{abs(value)} points"


def trend(check_ins: Sequence[PainReading], baseline_pain: Optional[int] = None, baseline_at: Optional[datetime] = None) -> Trend:
    """The change from the first score (the assessment's, when it had one and `baseline_at` says when)
    to the latest check-in's."""
    scores = _scores(check_ins)
    if baseline_pain is not None:
        first_at = baseline_at or (scores[0][0] if scores else None)
        if first_at is not None:
            scores.insert(0, (first_at, baseline_pain))
    if not scores:
        return Trend(SAME, 0, None, 0, "We don't have a pain score from you yet, so there's nothing to compare.")
    (first_at, first), (last_at, last) = scores[0], scores[-1]
    if len(scores) == 1:
        return Trend(SAME, 0, None, 0, f"Your pain is {last} out of 10. That's our first score, so next time we can compare.")
    change = last - first
    percent = round(100.0 * change / first, 1) if first else None
    days = max(0, (last_at - first_at).days)
    ago = _ago(days)
    if meaningful_drop(first, last):
        direction = IMPROVING
        sentence = f"Your pain is {last} out of 10; {ago} it was {first}. That's {_points(change)} less: a real improvement."
    elif meaningful_rise(first, last):
        direction = WORSE
        sentence = (
            f"Your pain is {last} out of 10; {ago} it was {first}. That's {_points(change)} more: a real change for the worse."
        )
    elif change == 0:
        direction = SAME
        sentence = f"Your pain is {last} out of 10, the same as {ago}."
    else:
        direction = SAME
        sentence = (
            f"Your pain is {last} out of 10; {ago} it was {first}. "
            "That's about the same, within the usual ups and downs from day to day."
        )
    return Trend(direction, change, percent, days, sentence)


def not_improving(baseline_pain: Optional[int], baseline_at: datetime, check_ins: Sequence[PainReading], now: datetime) -> bool:
    """The warning sign `not_improving` (see_clinician): pain up by 2 points or more from the first score,
    the person saying "worse" at two check-ins in a row, or about two weeks of home care since the
    assessment without a meaningful drop (unless the pain is gone)."""
    answers = [reading.change for reading in sorted(check_ins, key=lambda reading: reading.created_at)]
    if len(answers) >= WORSE_ANSWERS_IN_A_ROW and all(answer == "worse" for answer in answers[-WORSE_ANSWERS_IN_A_ROW:]):
        return True
    scores = [pain for _, pain in _scores(check_ins)]
    if not scores:
        return False
    first = baseline_pain if baseline_pain is not None else scores[0]
    latest = scores[-1]
    if meaningful_rise(first, latest):
        return True
    long_enough = now - baseline_at >= timedelta(days=HOME_CARE_DAYS) - HOME_CARE_SLACK
    return long_enough and latest > 0 and not meaningful_drop(first, latest)


def exercise_plan(
    pain: Optional[int],
    change: Optional[str],
    previous_pain: Optional[int] = None,
    exercises_done: Optional[str] = None,
    new_sign_to_check: bool = False,
) -> str:
    """progress, keep or step_back the exercises, by the pain-monitoring model: step back when pain is
    above 5/10 or building (the person says worse, or 2 points up since last time); progress when it is
    within 5/10 and getting better and the exercises are being done, unless something new needs a
    clinician's look first; otherwise keep the level."""
    if pain is not None and pain > ACCEPTABLE_EXERCISE_PAIN:
        return STEP_BACK
    if change == "worse" or (pain is not None and previous_pain is not None and meaningful_rise(previous_pain, pain)):
        return STEP_BACK
    if change == "better" and exercises_done in (None, "yes", "some") and not new_sign_to_check:
        return PROGRESS
    return KEEP
