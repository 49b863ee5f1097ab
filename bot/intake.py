"""The symptom intake: its questions, how free-text answers are read, and the resulting profile.

Everything here is plain data in, plain data out, so the Rasa form in actions/ stays thin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Iterable, Mapping, Optional, Sequence

from bot import names
from bot.numbers import Duration, corrected_score, durations_in, parse_duration, parse_pain_score
from bot.profile import SymptomProfile
from bot.triage.annotation import MessageReading
from bot.triage.findings import Status
from bot.triage.vocabulary import FINDINGS, FindingKind

UNKNOWN = "unknown"
SCREENING_SLOT = names.RED_FLAG_SCREEN
SCREENING_UNSURE = "unsure"

# Order in which the intake asks; it skips whatever earlier messages already answered. The red-flag
# screening question comes first, right after the description that started the intake, and only a
# direct answer to it fills it.
INTAKE_SLOTS = (
    SCREENING_SLOT,
    "pain_location",
    "pain_onset",
    "pain_duration",
    "pain_score",
    "swelling",
    "mechanical_symptoms",
    "weight_bearing",
)


@dataclass(frozen=True)
class Entity:
    """An entity as NLU found it: type, canonical value and the text it came from."""

    entity: str
    value: str
    text: str = ""


# "not really sure", "not 100% sure", "not quite certain": the hedge leaves the meaning as it is.
_NOT_SURE = r"not (?:really |quite |totally |entirely |completely |100% |that |too |so )?(?:sure|certain)"
_DONT_KNOW = re.compile(
    r"\b(" + _NOT_SURE + r"|unsure|don'?t know|dont know|do not know|no idea|dunno|idk|can'?t (?:say|tell|remember)|"
    r"hard to say|no clue|couldn'?t (?:say|tell)|pass|can'?t (?:really )?pin it down|moves around|"
    r"hard to pin down|no clue)\b",
    re.I,
)
# Bare answers, read only as the answer to the question just asked ("no" means nothing on its own).
_BARE_NO = re.compile(
    r"^\W*(no+|nope|nah|not really|not at all|none|neither|nothing|n|i don'?t think so|"
    r"don'?t think so|not that i(?:'ve| have)? noticed|i haven'?t noticed|haven'?t noticed|never|"
    r"it doesn'?t do any|no it'?s not|no it isn'?t)\b",
    re.I,
)
_BARE_YES = re.compile(
    r"^\W*(yes|yeah|yep|yup|ya|y|definitely|i think so|a (?:little )?bit|a little|slightly|"
    r"kind of|sort of|somewhat|it is|it does)\b",
    re.I,
)
# "not sure if it's swollen": the person does not know, which is an answer of its own.
_UNSURE_ABOUT = re.compile(
    r"\b(?:" + _NOT_SURE + r"|unsure|can'?t (?:really )?tell|don'?t know|do not know|no idea|hard to tell|couldn'?t say)\s+"
    r"(?:if|whether|about)\b[^,.;!?]*$",
    re.I,
)
_SLOT_OF_FINDING = {
    "swelling": "swelling",
    "locking": "mechanical_symptoms",
    "locking_now": "mechanical_symptoms",
    "catching": "mechanical_symptoms",
    "giving_way": "mechanical_symptoms",
    "unstable": "mechanical_symptoms",
    "limping": "weight_bearing",
    "cannot_bear_weight": "weight_bearing",
    "walks_normally": "weight_bearing",
}
# "no, it's my calf": the "no" rejects an earlier answer and says nothing about the question asked.
_CORRECTION_CUE = re.compile(r"^\W*(no+\b|nope\b|actually\b|sorry\b|i meant\b|wait\b|correction\b|oops\b)", re.I)
_BARE_GRADUAL = re.compile(r"^\W*(gradual(?:ly)?|slowly|slow|over time|by itself|on its own)\b", re.I)
_BARE_INJURY = re.compile(r"^\W*((?:after |from )?(?:an |a )?(?:injury|accident|fall|knock|twist))\b", re.I)
# The answer to "how did it start?", in any words: an injury word, unless it is denied, is an injury;
# any other account of how it began ("just came on", "started slow", "no knock or anything") is gradual.
_INJURY_WORDS = (
    r"injur\w*|accident|fell|fall(?:en)?|knock(?:ed)?|bang(?:ed)?|bash(?:ed)?|hit|whack(?:ed)?|twist(?:ed)?|"
    r"trip(?:ped)?|slip(?:ped)?|tackl\w*|kick(?:ed)?|landed|crash\w*|collid\w*|sprain(?:ed)?|tore|torn|"
    r"jarred|wrench(?:ed)?|bump(?:ed)?|stepped off|stepping off|hurt (?:it|my)|did (?:it|something) (?:at|playing|while)"
)
_INJURY = re.compile(rf"\b(?:{_INJURY_WORDS})\b", re.I)
_DENIED_INJURY = re.compile(
    rf"\b(?:no|not|never|without|nothing|didn't|don't|wasn't|nah)\b[^.!?]{{0,25}}?\b(?:{_INJURY_WORDS})\b", re.I
)
_ONSET_ACCOUNT = re.compile(
    r"\b(?:came|come|comes|coming|started|starting|start|began|begun|crept|creeping|built|building|developed|"
    r"appeared|slow(?:ly)?|gradual(?:ly)?|over time|by itself|on its own|out of (?:nowhere|the blue))\b",
    re.I,
)
# A filler may come first: "yeah normal", "mostly fine", "it's ok".
_BARE_NORMAL = re.compile(
    r"^\W*(?:(?:yes|yeah|yep|yup|ya|so|well|um|erm|oh|i think|i guess|it's|its|seems?|pretty|mostly|totally|all|"
    r"walking|walk|i walk|i'm walking|im walking|getting about)\W+)*"
    r"(fine|ok|okay|alright|all right|normal(?:ly)?|no problems?|no issues?|no bother|good|grand)\b",
    re.I,
)

_LOCATION_FINDINGS = {
    "location_back_of_knee": "back_of_knee",
    "location_behind_kneecap": "behind_kneecap",
    "location_calf": "calf",
    "location_hamstring": "hamstring",
}
_INJURY_FINDINGS = ("recent_injury", "ligament_injury", "lasting_injury")
_MECHANICAL_FINDINGS = {
    "locking": "locking",
    "locking_now": "locking",
    "catching": "catching",
    "giving_way": "giving_way",
    "unstable": "giving_way",
}
_MECHANICAL_ORDER = ("locking", "catching", "giving_way")
_WALKING_ANSWER = {"cannot_bear_weight": "cannot_bear_weight", "limping": "limping", "walks_normally": "normal"}
# Durations that are not how long the pain has lasted ("after sitting for 3 hours", "3 times a week").
_NOT_PAIN_DURATION_BEFORE = re.compile(
    r"\b(?:(?:sit\w*|sat|run\w*|ran|walk\w*|stand\w*|stood|driv\w*|drove|fl(?:y|ew|ying)|hik\w*|cycl\w*|"
    r"play\w*|train\w*|hold\w*|kneel\w*|work\w*)\s+for|times|x|per|every|each|once|twice|first)\s+"
    r"(?:(?:about|around|over|more than|an?|the)\s+)?$",
    re.I,
)
_NOT_PAIN_DURATION_AFTER = re.compile(
    r"^\W*(?:long\s+)?(?:flight|drive|journey|shift|trip|run|walk|hike|ride|session|stretch|old)\b",
    re.I,
)


@dataclass(frozen=True)
class Reading:
    """What one message answers of the intake: slot -> canonical value, plus the duration."""

    answers: dict[str, str]
    duration: Optional[Duration] = None


def says_dont_know(text: str) -> bool:
    return bool(_DONT_KNOW.search(text))


# What may come between a mention and the date that belongs to it ("had a fever last month").
_SAME_CLAUSE = re.compile(r"^[^,.;:!?]{0,40}$")
_CLAUSE_BREAK = re.compile(r"\b(?:but|and|though|although|because|so)\b", re.I)


def _pain_duration(
    text: str, found: Sequence[tuple[int, int, Duration]], not_current: Sequence[tuple[int, int]] = ()
) -> Optional[Duration]:
    """The first duration `found` in the text that is about the pain, not an activity ("after sitting
    for 3 hours") nor the date of something past, hypothetical or someone else's that comes just
    before it in its clause ("had a fever last month", `not_current` holding where those mentions are)."""
    for start, end, duration in found:
        # (the "for" of "sit for ages" may open the duration found)
        before = text[:start] + ("for " if text[start:].lower().startswith("for ") else "")
        if _NOT_PAIN_DURATION_BEFORE.search(before) or _NOT_PAIN_DURATION_AFTER.search(text[end:]):
            continue
        between = [text[mention_end:start] for _, mention_end in not_current if mention_end <= start]
        if any(_SAME_CLAUSE.match(words) and not _CLAUSE_BREAK.search(words) for words in between):
            continue
        return duration
    return None


def read_message(message: MessageReading, asked: Optional[str] = None, today: Optional[date] = None) -> Reading:
    """Everything a message answers of the intake, from the triage engine's reading of it that the
    NLU stored (the same negation, hypothetical, other-person and past scope as the safety net).
    `asked` is the question the message answers, which gives bare answers ("no", "4", "not sure")
    their meaning."""
    text = message.text
    all_mentions = message.mentions
    unsure_slots = {
        _SLOT_OF_FINDING[m.finding.name]
        for m in all_mentions
        if m.finding.name in _SLOT_OF_FINDING and _UNSURE_ABOUT.search(text[: m.finding.start])
    }
    mentions = [
        m
        for m in all_mentions
        if m.status in (Status.CURRENT, Status.NEGATED, Status.PAST) and _SLOT_OF_FINDING.get(m.finding.name) not in unsure_slots
    ]
    current = [m.finding for m in mentions if m.status is Status.CURRENT]
    # what is past, hypothetical, someone else's or history ("had bowel cancer 3 yrs ago") dates itself
    not_current = [
        (m.finding.start, m.finding.end)
        for m in all_mentions
        if m.status not in (Status.CURRENT, Status.NEGATED) or FINDINGS.get(m.finding.name) is FindingKind.HISTORY
    ]
    current_names = [finding.name for finding in current]
    # "it came on gradually a month ago": for where it hurts and how it began, a date says when it
    # started, not that it is over.
    dated = {m.finding.name for m in mentions if m.status is Status.PAST}
    negated_names = {m.finding.name for m in mentions if m.status is Status.NEGATED}
    answers: dict[str, str] = {}

    locations = [_LOCATION_FINDINGS[name] for name in [*current_names, *sorted(dated)] if name in _LOCATION_FINDINGS]
    if locations:
        answers["pain_location"] = locations[0]

    if (set(current_names) | dated) & set(_INJURY_FINDINGS):
        answers["pain_onset"] = "injury"
    elif "gradual_onset" in {*current_names, *dated} or "recent_injury" in negated_names:
        answers["pain_onset"] = "gradual"

    if "swelling" in current_names:
        answers["swelling"] = "yes"
    elif "swelling" in negated_names:
        answers["swelling"] = "no"

    mechanical = {_MECHANICAL_FINDINGS[name] for name in current_names if name in _MECHANICAL_FINDINGS}
    if mechanical:
        answers["mechanical_symptoms"] = ",".join(m for m in _MECHANICAL_ORDER if m in mechanical)
    elif negated_names & set(_MECHANICAL_FINDINGS):
        answers["mechanical_symptoms"] = "none"

    # The last thing said about walking wins ("I was hobbling last week, I'm walking normally now").
    walking = [
        ("normal" if m.status is Status.NEGATED else _WALKING_ANSWER[m.finding.name])
        for m in sorted(mentions, key=lambda m: m.finding.start)
        if m.finding.name in _WALKING_ANSWER
        and (m.status is Status.CURRENT or (m.status is Status.NEGATED and m.finding.name != "walks_normally"))
    ]
    if walking:
        answers["weight_bearing"] = walking[-1]

    scores = [finding.value for finding in current if finding.name == "pain_score" and finding.value is not None]
    corrected = corrected_score(message.normalised)
    if corrected is not None:  # "sorry I meant 4 not 7, and no swelling", whatever the question pending
        answers["pain_score"] = f"{corrected:g}"
    elif scores:
        answers["pain_score"] = f"{scores[-1]:g}"

    for slot in unsure_slots:
        answers.setdefault(slot, UNKNOWN)

    # As typed first (the phrase read back is theirs), then as normalised ("abt 5 dyas").
    typed = durations_in(text, today)
    duration = _pain_duration(text, typed, not_current)
    if not typed or (duration is not None and duration.days is None):
        # "abt 5 dyas", "since yday": as normalised (mention offsets are the typed text's: none apply)
        normalised = _pain_duration(message.normalised, durations_in(message.normalised, today))
        if normalised is not None and (duration is None or normalised.days is not None):
            duration = normalised
    if duration is not None:
        answers["pain_duration"] = duration.phrase

    if asked == SCREENING_SLOT and message.screening_answer.slot_value is not None:
        answers[SCREENING_SLOT] = message.screening_answer.slot_value
    # A bare answer said first, then something past or someone else's ("no, my ankle was swollen
    # last summer but that's long gone"); with something current, "no," may open a correction.
    only_elsewhere = bool(not_current) and corrected is None and not any(m.status is Status.CURRENT for m in all_mentions)
    if asked and asked not in answers and not (answers and not only_elsewhere and _CORRECTION_CUE.search(text)):
        bare = _bare_answer(asked, message.normalised)
        if asked == "pain_score":
            score = score_answer(message)
            bare = f"{score:g}" if score is not None else bare
        if bare is not None:
            answers[asked] = bare
    return Reading(answers, duration)


# A question, at the start or after a comma or "and" ("the MRI said a torn meniscus, is that why it hurts").
_EXPLICIT_QUESTION = re.compile(
    r"\?|(?:^|[,;:]|\band\b|\bso\b)\W*(?:what|why|how|which|when|where|who|should|can|could|would|is|are|do|does|will|any)\b"
    r"|\b(?:is that why|is this why|what does (?:that|this|it) mean|should i (?:see|get|go)|do i need)\b",
    re.I,
)
# Asking for help is no question about knees ("my knee has been bugging me, can you help?").
_PLEA_FOR_HELP = re.compile(
    r"[,.!]?\s*\b(?:(?:can|could|would|will) (?:you|u) (?:please |pls |plz )?help(?: me)?(?: with (?:it|this|that))?|"
    r"(?:please|pls|plz) help(?: me)?|help me please)\W*$",
    re.I,
)
_PAIN_WORD = re.compile(r"\b(?:pain\w*|hurt\w*|ach\w*|sore\w*|throb\w*|twing\w*|niggl\w*|stiff\w*|agony)\b", re.I)
_FIRST_PERSON = re.compile(r"\b(i|i'm|im|i've|ive|my|me|mine)\b", re.I)


# What a knee does when it troubles its owner ("hurts", "playing up", "giving me grief").
_COMPLAINT = (
    r"(?:hurt\w*|pain\w*|ach\w*|sore|bugging|bothering|killing|playing up|acting up|niggl\w*|throbb\w*|twing\w*|stiff|"
    r"giving me (?:grief|gyp|jip|hell|trouble|bother))"
)
_LEG_PART = r"(?:knee|knees|leg|legs|calf|thigh|hamstring)"
# "my knee hurts", "my left calf's been aching", "knee pain, been going on for ages" (not "my dad's knee")
_OWN_KNEE_PAIN = re.compile(
    rf"(?:\bmy\s+(?:(?:left|right|bad|poor|dodgy|old|other)\s+)?{_LEG_PART}(?:'s|s)?\b[^.?!]{{0,40}}\b{_COMPLAINT}\b"
    r"|^\W*(?:\w+\s+)?(?:knee|leg|calf)\s+(?:pain|ache|problems?)\b"
    # the pain first, then the place: "pain in my leg", "aching at the back of my knee"
    r"|\b(?:pain|ache|aching|hurting|soreness|twinge)\s+(?:in|behind|at the back of|round|around|on)\s+(?:the back of\s+)?my\s+"
    rf"(?:(?:left|right|bad|other)\s+)?{_LEG_PART}\b"
    # opening with the knee, no "my": "knee's been playing up", "left knee killing me"
    rf"|^\W*(?:(?:the|left|right|bad|dodgy)\s+)?{_LEG_PART}(?:'s|s|\s+is|\s+has)?\s+(?:\w+\s+){{0,2}}?{_COMPLAINT}\b)",
    re.I,
)


def describes_own_pain(message: MessageReading) -> bool:
    """True for a first-person description of the knee that answers something of the intake and is
    not an explicit question ("pain behind my knee when I sit for long at work")."""
    text = message.normalised  # "knee's been playin up" reads "playing up"
    if _EXPLICIT_QUESTION.search(_PLEA_FOR_HELP.sub("", text)):
        return False
    if _OWN_KNEE_PAIN.search(text):
        return True
    facts = read_message(message).answers.keys() - {"pain_duration"}
    # Without "I" or "my", two facts of the intake still make a description ("achey back of knee,
    # slow onset"), and so does a place with a word of pain ("pain back of knee", "back of knee aches").
    placed_pain = "pain_location" in facts and bool(_PAIN_WORD.search(text))
    return bool(facts) and (bool(_FIRST_PERSON.search(text)) or len(facts) >= 2 or placed_pain)


# A question proper opens with a question word; "maybe 3 weeks?" or "a 6?" is an answer said unsure.
_OPENS_A_QUESTION = re.compile(
    r"^\W*(?:what|why|how|which|when|where|who|whose|should|shall|can|could|would|will|is|are|am|do|does|did|"
    r"was|were|has|have|any|isn't|aren't|don't|doesn't)\b",
    re.I,
)


# Words that ask to stop, whatever else the message says.
_STOP_WORDS = re.compile(r"\b(?:stop|quit|cancel|enough|end|exit|leave it|later|no more|don't want|bye)\b", re.I)


# A message that takes back an earlier answer: "actually for about two months", "I meant the left".
_CORRECTS = re.compile(r"^\W*(?:actually|i meant|i mean|sorry|oops|no wait|correction|wait)\b", re.I)


def answers_despite_intent(message: MessageReading, asked: Optional[str], social: bool = False) -> bool:
    """A message NLU took for a question or a wish to stop that is the answer to the question
    pending: it answers it, does not open as a question does and asks nothing to stop ("maybe 3
    weeks?", "6?", "the back of the knee?", a bare "normal"). Said with thanks or a greeting
    (`social`), or as a correction ("actually for about two months"), an answer to any question
    of the intake counts ("walking ok ty")."""
    if not asked or _OPENS_A_QUESTION.search(message.normalised) or _STOP_WORDS.search(message.normalised):
        return False
    answers = read_message(message, asked).answers
    return asked in answers or ((social or bool(_CORRECTS.search(message.normalised))) and bool(answers))


def score_answer(message: MessageReading) -> Optional[float]:
    """The answer to the pain-score question: read in the normalised text, or, when the message also
    rates a pain that is not today's ("3, but what if it gets to a 9?", "it was 8 last week"), in
    the person's words with those ratings left out."""
    elsewhere = [m.finding for m in message.mentions if m.finding.name == "pain_score" and m.status is not Status.CURRENT]
    if not elsewhere:
        return parse_pain_score(message.normalised)
    text = message.text
    for finding in elsewhere:
        text = text[: finding.start] + " " * (finding.end - finding.start) + text[finding.end :]
    return parse_pain_score(text)


def _bare_answer(asked: str, text: str) -> Optional[str]:
    """A short answer that means something only as the answer to `asked`, read in its normalised
    text ("nah no knock, just came on", "startd slow")."""
    if says_dont_know(text):
        return UNKNOWN
    if asked == "swelling":
        if _BARE_NO.search(text):
            return "no"
        if _BARE_YES.search(text):
            return "yes"
    if asked == "pain_onset":
        if _BARE_GRADUAL.search(text):
            return "gradual"
        if _BARE_INJURY.search(text):
            return "injury"
        denied = _DENIED_INJURY.search(text)
        if _INJURY.search(text) and not denied:
            return "injury"
        if denied or _ONSET_ACCOUNT.search(text):
            return "gradual"
    if asked == "mechanical_symptoms" and _BARE_NO.search(text):
        return "none"
    if asked == "weight_bearing" and _BARE_NORMAL.search(text):
        return "normal"
    if asked == "pain_location" and _BODY_WORDS.search(text):
        return " ".join(text.split())[:80]  # a place described in their own words is an answer too
    return None


_BODY_WORDS = re.compile(
    r"\b(knee|leg|thigh|shin|calf|hamstring|tendon|joint|side|inside|outside|inner|outer|top|bottom|behind)\b", re.I
)


def without_excluded_spans(entities: Iterable[Entity], spans: Iterable[tuple[int, int]], starts: Sequence[int]) -> list[Entity]:
    """Drops entities whose text overlaps a span the triage engine found negated, hypothetical,
    about someone else or in the past ("no swelling" must not count as swelling).

    `starts` gives each entity's character offset in its message, in the same order.
    """
    excluded = list(spans)
    kept = []
    for found, start in zip(entities, starts, strict=False):
        end = start + len(found.text)
        if not any(start < span_end and span_start < end for span_start, span_end in excluded):
            kept.append(found)
    return kept


@dataclass(frozen=True)
class IntakeUpdate:
    """What one turn changes in the intake."""

    changes: dict[str, str]  # intake slot -> its new value
    duration_days: Optional[float]  # of pain_duration; None when unknown or not changed
    duration_days_changed: bool
    misses: dict[str, int]  # unreadable answers so far, per question
    responses: list[str]  # domain responses to say before the form's next question


MAX_TIMES_ASKED = 3
# Domain responses the intake says before the form's next question.
HINT_PREFIX = "utter_hint_"  # + the slot: the choices, after an answer that could not be read
MOVING_ON_RESPONSE = "utter_intake_moving_on"  # a second unreadable answer: the question is left unknown
NOTED_RESPONSE = "utter_intake_noted"  # an answer to another question, before the pending one again
# "Not sure" to the screening question: what to look out for and when to get help at once.
SCREENING_SAFETY_RESPONSE = "utter_screening_safety_advice"


def intake_responses() -> set[str]:
    return {HINT_PREFIX + slot for slot in INTAKE_SLOTS} | {MOVING_ON_RESPONSE, NOTED_RESPONSE, SCREENING_SAFETY_RESPONSE}


def update_intake(
    current: Mapping[str, Optional[str]],
    earlier_messages: Sequence[MessageReading],
    latest_message: Optional[MessageReading],
    asked: Optional[str],
    misses: Mapping[str, int],
    times_asked: Mapping[str, int],
    today: Optional[date] = None,
) -> IntakeUpdate:
    """The intake after one more message.

    Earlier messages of the session fill only questions still open (so nothing already said is
    asked again); the latest message fills whatever it answers, in any order, and corrects an
    earlier answer. An answer that cannot be read gets a hint with the choices; a second one leaves
    the question as unknown. No question is asked more than MAX_TIMES_ASKED times.
    """
    values = {slot: current.get(slot) for slot in INTAKE_SLOTS}
    changes: dict[str, str] = {}
    duration: Optional[Duration] = None
    misses = dict(misses)
    responses: list[str] = []

    def take(slot: str, value: str, reading: Reading) -> None:
        nonlocal duration
        if values.get(slot) == value:
            return
        values[slot] = changes[slot] = value
        if slot == "pain_duration":
            duration = reading.duration

    for message in earlier_messages:
        reading = read_message(message, None, today)
        for slot, value in reading.answers.items():
            if values.get(slot) is None:
                take(slot, value, reading)

    if latest_message is not None:
        reading = read_message(latest_message, asked, today)
        for slot, value in reading.answers.items():
            take(slot, value, reading)
        if asked and values.get(asked) is None and not reading.answers:
            misses[asked] = misses.get(asked, 0) + 1
            if misses[asked] >= 2 and asked == SCREENING_SLOT:
                # Twice unreadable: taken as "not sure", which gets the safety advice.
                take(asked, SCREENING_UNSURE, reading)
            elif misses[asked] >= 2:
                take(asked, UNKNOWN, reading)
                responses.append(MOVING_ON_RESPONSE)
            else:
                responses.append(HINT_PREFIX + asked)
        elif asked and values.get(asked) is None and reading.answers:
            responses.append(NOTED_RESPONSE)

    for slot in INTAKE_SLOTS:  # no dead ends: a question asked three times is not asked again
        if values.get(slot) is None and times_asked.get(slot, 0) >= MAX_TIMES_ASKED:
            values[slot] = changes[slot] = SCREENING_UNSURE if slot == SCREENING_SLOT else UNKNOWN
            if HINT_PREFIX + slot in responses:  # no hint for a question that is not asked again
                responses.remove(HINT_PREFIX + slot)
                if slot != SCREENING_SLOT:  # (the screening question gets its safety advice below)
                    responses.append(MOVING_ON_RESPONSE)
    if changes.get(SCREENING_SLOT) == SCREENING_UNSURE:
        responses.append(SCREENING_SAFETY_RESPONSE)
    duration_changed = "pain_duration" in changes
    days = duration.days if duration is not None and duration_changed else None
    return IntakeUpdate(changes, days, duration_changed, misses, responses)


def _days(duration_text: Optional[str]) -> Optional[float]:
    duration = parse_duration(duration_text) if duration_text else None
    return duration.days if duration else None


def build_profile(slots: Mapping[str, Optional[str]], entities: Sequence[Entity]) -> SymptomProfile:
    """The profile from the intake answers plus everything the person's messages mentioned."""

    def known(name: str) -> Optional[str]:
        value = slots.get(name)
        return None if value in (None, "", UNKNOWN) else str(value)

    symptoms = {found.value for found in entities if found.entity == "symptom" and found.value}
    activities = {found.value for found in entities if found.entity == "activity" and found.value}
    sides = [found.value for found in entities if found.entity == "side" and found.value]
    mechanical = {value for value in (known("mechanical_symptoms") or "").split(",") if value and value != "none"}
    swelling = known("swelling")
    # A direct answer to the intake question outranks a word picked up earlier.
    if swelling == "yes":
        symptoms.add("swelling")
    elif swelling == "no":
        symptoms.discard("swelling")
    if known("mechanical_symptoms") == "none":
        symptoms -= {"locking", "catching", "giving_way"}
    symptoms |= mechanical
    score_text = known("pain_score")
    duration_text = known("pain_duration")
    return SymptomProfile(
        location=known("pain_location"),
        side=sides[-1] if sides else None,
        symptoms=frozenset(symptoms),
        activities=frozenset(activities),
        onset=known("pain_onset"),
        duration_text=duration_text,
        duration_days=_days(duration_text),
        pain_score=float(score_text) if score_text else None,
        swelling=swelling,
        mechanical=frozenset(mechanical),
        mechanical_denied=known("mechanical_symptoms") == "none",
        weight_bearing=known("weight_bearing"),
    )


_LOCATION_PHRASES = {
    "back_of_knee": "at the back of your {side}knee",
    "behind_kneecap": "behind or around your {side}kneecap",
    "calf": "in your {side}calf, just below the knee",
    "hamstring": "in the back of your {side}thigh",
}
_MECHANICAL_NAMES = {"locking": "locking", "catching": "catching", "giving_way": "giving way"}
_WEIGHT_NAMES = {
    "normal": "you're walking normally",
    "limping": "you're limping",
    "cannot_bear_weight": "you can't put weight on the leg",
}


def summarize(profile: SymptomProfile) -> str:
    """A short read-back of what the person reported, so they can spot a misunderstanding."""
    side = f"{profile.side} " if profile.side in ("left", "right") else ""
    if profile.location in _LOCATION_PHRASES:
        parts = ["pain " + _LOCATION_PHRASES[profile.location].format(side=side)]
    elif profile.location:
        parts = [f'pain in your {side}leg, where you described it as "{profile.location}"']
    else:
        parts = [f"pain in your {side}knee"]
    if profile.onset == "injury":
        parts.append("which started after an injury")
    elif profile.onset == "gradual":
        parts.append("which came on gradually")
    if profile.duration_text:
        duration = profile.duration_text
        parts.append(duration if duration.lower().startswith(("for ", "since ")) else f"for {duration}")
    if profile.pain_score is not None:
        parts.append(f"about {profile.pain_score:g}/10 right now")
    sentence = "Here's what I understood: " + ", ".join(parts) + "."
    details: list[str] = []
    if profile.swelling == "yes":
        details.append("some swelling")
    elif profile.swelling == "no":
        details.append("no swelling")
    if profile.mechanical:
        details.append(" and ".join(_MECHANICAL_NAMES[m] for m in sorted(profile.mechanical)))
    elif profile.mechanical_denied:
        details.append("no locking, catching or giving way")
    if details:
        sentence += " You mentioned " + ", ".join(details) + "."
    if profile.weight_bearing in _WEIGHT_NAMES:
        sentence += f" You said {_WEIGHT_NAMES[profile.weight_bearing]}."
    return sentence
