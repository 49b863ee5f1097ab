"""Follow-up check-ins: consent after the assessment, the check-in itself (started by the follow-up
worker or by the person), its summary, and stopping or pausing them. The store, schedule, trend and
chart are the domain core's (bot.store, bot.followups); these actions only connect them to Rasa."""

from __future__ import annotations

import dataclasses
import logging
from datetime import datetime, timedelta
from typing import Any, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_question import answer_follow_up
from actions.conversation import latest_intent
from bot import names
from bot.check_in import CHECK_IN_SLOTS, MAX_TIMES_ASKED, NOT_SURE, read_answer, read_opening
from bot.conversation_channel import person_channel
from bot.escalation import evidence_sentence
from bot.followups.chart import person_chart_url
from bot.followups.schedule import DEFAULT_SCHEDULE_DAYS, DEFAULT_TIMEZONE, current_time, due_times, next_daytime, zone
from bot.followups.time_zones import read_time_zone, zone_label
from bot.followups.trend import exercise_plan, not_improving, trend
from bot.knowledge import load_knowledge
from bot.levels import TriageLevel, highest
from bot.numbers import parse_duration
from bot.profile import SymptomProfile
from bot.settings import emergency_number
from bot.store import StoreUnavailable, checkins, process_store
from bot.triage import RULESET_VERSION, Assessment, assess
from bot.triage.annotation import MessageReading, messages_findings

logger = logging.getLogger(__name__)

CHECK_IN_FORM = "check_in_form"
# Intents that are not answers to a check-in question: the rules deal with them.
NOT_ANSWERS = {"stop", "stop_check_ins", "pause_check_ins", "greet", "goodbye", "bot_challenge", "thank", names.EXTERNAL_CHECK_IN}
# How long "pause check-ins" pauses them (utter_check_ins_paused says a week).
PAUSE = timedelta(days=7)
# The levels after which check-ins are offered (urgent and emergency go to a clinician instead).
OFFERED_AT = (TriageLevel.SELF_CARE.value, TriageLevel.SEE_CLINICIAN.value)
# Set while Poplit waits to hear where the person is (see ActionNotUnderstood).
WHERE_ASKED = "where_asked"


def _now() -> datetime:
    """The clock the follow-up worker uses too (POPLIT_CLOCK moves both in tests)."""
    return current_time()


def _channel(tracker: Tracker) -> str:
    return str(tracker.get_latest_input_channel() or "rest")


def _timezone(tracker: Tracker) -> Optional[str]:
    """The person's time zone when their channel says (the web page sends the browser's)."""
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    zone = metadata.get("timezone") if isinstance(metadata, dict) else None
    return zone if isinstance(zone, str) and zone else None


def _store() -> Any:
    return process_store()


def offer_check_ins(dispatcher: CollectingDispatcher, level: str) -> list[EventType]:
    """After an assessment at a level where home care is the plan: the offer, with its buttons."""
    if level not in OFFERED_AT:
        return []
    dispatcher.utter_message(response="utter_offer_check_ins")
    return [SlotSet("check_ins_offered", True)]


def record_assessment(tracker: Tracker, level: str, red_flags: list[str], profile: SymptomProfile, exercises: list[str]) -> None:
    """The assessment goes into the person's record: the baseline later check-ins are compared with.
    Best effort: the person has had their answer; a store that is down only costs the comparison."""
    try:
        engine = _store()
        person = checkins.get_or_create_person(engine, _channel(tracker), tracker.sender_id, timezone=_timezone(tracker))
        checkins.record_assessment(engine, person.id, level, red_flags, RULESET_VERSION, profile_record(profile), exercises)
    except StoreUnavailable:
        logger.warning("the assessment could not be stored")


def profile_record(profile: SymptomProfile) -> dict[str, Any]:
    """The symptom profile as plain JSON (what was read back to the person)."""
    record = dataclasses.asdict(profile)
    return {key: sorted(value) if isinstance(value, (set, frozenset)) else value for key, value in record.items()}


class ActionCheckInsConsent(Action):
    """Yes (with how soon) or no to the check-ins: consent and the schedule go into the store."""

    def name(self) -> str:
        return "action_check_ins_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        accepted = latest_intent(tracker) in ("accept_check_ins", "affirm")
        return consent(dispatcher, tracker, accepted)


def consent(dispatcher: CollectingDispatcher, tracker: Tracker, accepted: bool) -> list[EventType]:
    try:
        engine = _store()
        person = checkins.get_or_create_person(engine, _channel(tracker), tracker.sender_id, timezone=_timezone(tracker))
        if not accepted:
            checkins.set_consent(engine, person.id, "declined")  # the store cancels anything planned
            dispatcher.utter_message(response="utter_check_ins_declined")
            return [SlotSet("check_ins_offered", False)]
        first = _first_check_in_days(tracker)
        days = [first] + [day for day in DEFAULT_SCHEDULE_DAYS if day > first]
        due = due_times(_now(), days, person.timezone, person.quiet_start, person.quiet_end)
        checkins.set_consent(engine, person.id, "accepted")
        checkins.schedule_follow_ups(engine, person.id, due)
    except StoreUnavailable:
        dispatcher.utter_message(response="utter_check_ins_unavailable")
        return [SlotSet("check_ins_offered", False)]
    first_due = due[0].astimezone(zone(person.timezone))
    later = ", then again over the next two weeks" if len(due) > 1 else ""
    dispatcher.utter_message(
        text=f"Great, I'll check in {_when(first_due)}{later}. " + 'Say "stop check-ins" or "pause check-ins" at any time.'
    )
    if _timezone(tracker) is None and person.timezone == DEFAULT_TIMEZONE:
        # The channel did not say where the person is (Telegram, REST): ask, rather than wake them at 3 am.
        dispatcher.utter_message(response="utter_ask_where_you_are")
        return [SlotSet("check_ins_offered", False), SlotSet(WHERE_ASKED, True)]
    return [SlotSet("check_ins_offered", False)]


def _first_check_in_days(tracker: Tracker) -> int:
    """From the button's entity, else from the words ("yes, in a week"), else the default."""
    chosen = next(tracker.get_latest_entity_values("check_in_days"), None)
    try:
        days = int(str(chosen))
    except ValueError:
        said = parse_duration(str((tracker.latest_message or {}).get("text") or ""))
        days = round(said.days) if said is not None and said.days is not None else DEFAULT_SCHEDULE_DAYS[0]
    return days if 1 <= days <= 30 else DEFAULT_SCHEDULE_DAYS[0]


def _when(moment: datetime) -> str:
    return moment.strftime("on %A, %-d %B, around %H:%M").replace(" 0", " ")


class ActionKeepTimeZone(Action):
    """The person says where they are: kept, and the check-ins still to come moved into their daytime."""

    def name(self) -> str:
        return "action_keep_time_zone"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        said = read_time_zone(str((tracker.latest_message or {}).get("text") or ""), _now())
        if said is None:
            dispatcher.utter_message(response="utter_time_zone_not_understood")
            return []
        return keep_time_zone(dispatcher, tracker, said)


class ActionNotUnderstood(Action):
    """Out of scope or unclear to NLU; but when Poplit has just asked where the person is, a place NLU
    has never seen ("Honolulu") is read as the answer first, and a question about an exercise (named,
    or the one just talked about) is answered."""

    def name(self) -> str:
        return "action_not_understood"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        said = _place_asked_for(tracker)
        if said is not None:
            return keep_time_zone(dispatcher, tracker, said)
        # "easier version pls" after a question about bridges: NLU cannot tell, the reading can.
        answered = answer_follow_up(dispatcher, tracker)
        if answered is not None:
            return answered
        if latest_intent(tracker) == "out_of_scope":
            dispatcher.utter_message(response="utter_out_of_scope")
        else:
            dispatcher.utter_message(response="utter_please_rephrase")
        return []


def _place_asked_for(tracker: Tracker) -> Optional[str]:
    """The time zone in the message when Poplit has asked where the person is, else None."""
    if not tracker.get_slot(WHERE_ASKED):
        return None
    return read_time_zone(str((tracker.latest_message or {}).get("text") or ""), _now())


def keep_time_zone(dispatcher: CollectingDispatcher, tracker: Tracker, said: str) -> list[EventType]:
    """Keeps the person's time zone and moves the check-ins still to come into their daytime."""
    try:
        engine = _store()
        person = checkins.get_or_create_person(engine, _channel(tracker), tracker.sender_id, timezone=said)
        still_to_come = [
            item.due_at for item in checkins.follow_ups_of(engine, person.id) if item.status in ("pending", "claimed")
        ]
        moved = [next_daytime(moment, person.timezone, person.quiet_start, person.quiet_end) for moment in still_to_come]
        if moved:
            checkins.schedule_follow_ups(engine, person.id, moved)
    except StoreUnavailable:
        dispatcher.utter_message(response="utter_check_ins_unavailable")
        return []
    local_now = _now().astimezone(zone(person.timezone))
    text = f"Thanks, I've noted your time zone as {zone_label(person.timezone)} (it's {local_now:%H:%M} there now)."
    if moved:
        text += f" Your next check-in is {_when(min(moved).astimezone(zone(person.timezone)))}."
    dispatcher.utter_message(text=text)
    return [SlotSet(WHERE_ASKED, False)]


class ActionYesOrNo(Action):
    """A bare yes or no: the answer to what is waiting for one (deleting the person's data, the
    check-ins offer, or where the person is, when a city reads as a yes), else an offer of help."""

    def name(self) -> str:
        return "action_yes_or_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        place = _place_asked_for(tracker)  # "Leeds" can read as a yes to NLU
        if place is not None:
            return keep_time_zone(dispatcher, tracker, place)
        yes = latest_intent(tracker) == "affirm"
        if tracker.get_slot(names.DELETE_REQUESTED):
            return delete_my_data(dispatcher, tracker) if yes else _keep_data(dispatcher)
        if tracker.get_slot("check_ins_offered"):
            return consent(dispatcher, tracker, yes)
        return offer_help(dispatcher, tracker)


def offer_help(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """What would help, unless the message follows up on the exercise just talked about ("and if that's
    too easy?" can read as a yes or a don't-know to NLU)."""
    answered = answer_follow_up(dispatcher, tracker)
    if answered is not None:
        return answered
    dispatcher.utter_message(response="utter_how_can_i_help")
    return []


class ActionOfferHelp(Action):
    """After a bare "don't know": what would help (or the exercise follow-up it really was)."""

    def name(self) -> str:
        return "action_offer_help"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        return offer_help(dispatcher, tracker)


class ActionAskDeleteMyData(Action):
    def name(self) -> str:
        return "action_ask_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(response="utter_confirm_delete_my_data")
        return [SlotSet(names.DELETE_REQUESTED, True), SlotSet("check_ins_offered", False)]


def _keep_data(dispatcher: CollectingDispatcher) -> list[EventType]:
    dispatcher.utter_message(response="utter_data_kept")
    return [SlotSet(names.DELETE_REQUESTED, False)]


def delete_my_data(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """The person's rows in Poplit's store (people, assessments, check-ins, follow-ups, escalation
    audit) go now; the conversation's tracker events go when Rasa saves this turn (erase_conversation)."""
    try:
        counts = checkins.delete_person(_store(), _channel(tracker), tracker.sender_id)
    except StoreUnavailable:
        dispatcher.utter_message(response="utter_check_ins_unavailable")
        return [SlotSet(names.DELETE_REQUESTED, False)]
    logger.info("deleted a person's records at their request: %s", counts)
    dispatcher.utter_message(response="utter_data_deleted")
    return [SlotSet(names.DELETE_REQUESTED, False), SlotSet(names.ERASE_CONVERSATION, True)]


def change_consent(dispatcher: CollectingDispatcher, tracker: Tracker, consent: str) -> bool:
    """Stop or pause (the store cancels what was planned when consent becomes "stopped"). False,
    having said why, when there is nobody to change or the store is down."""
    try:
        engine = _store()
        person = checkins.find_person(engine, tracker.sender_id, _channel(tracker))
        if person is None:
            dispatcher.utter_message(response="utter_no_check_ins")
            return False
        checkins.set_consent(engine, person.id, consent, paused_until=_now() + PAUSE if consent == "paused" else None)
    except StoreUnavailable:
        dispatcher.utter_message(response="utter_check_ins_unavailable")
        return False
    return True


class ActionStopCheckIns(Action):
    def name(self) -> str:
        return "action_stop_check_ins"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if change_consent(dispatcher, tracker, "stopped"):
            dispatcher.utter_message(response="utter_check_ins_stopped")
        return [SlotSet("check_ins_offered", False)]


class ActionPauseCheckIns(Action):
    def name(self) -> str:
        return "action_pause_check_ins"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if change_consent(dispatcher, tracker, "paused"):
            dispatcher.utter_message(response="utter_check_ins_paused")
        return []


class ActionStartCheckIn(Action):
    """Marks the scheduled follow-up delivered before anything is said, and says nothing if it
    already was: the worker may trigger a follow-up more than once, the person sees it once."""

    def name(self) -> str:
        return "action_start_check_in"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        public_id = tracker.get_slot("follow_up_id")
        by_worker = latest_intent(tracker) == names.EXTERNAL_CHECK_IN
        if by_worker and public_id:
            try:
                follow_up = checkins.follow_up_for(_store(), str(public_id), _channel(tracker), tracker.sender_id)
                # The person's own messages must be on the follow-up's channel too (a trigger names the
                # channel it wants; the stored conversation says which one is the person's).
                if follow_up is None or person_channel(tracker.events) not in (None, follow_up.channel):
                    # Not this person's follow-up (or none at all): nothing is marked, nothing is said.
                    logger.warning("a check-in trigger named a follow-up this conversation does not own; ignored")
                    return [SlotSet("follow_up_id", None)]
                if not checkins.mark_delivered(_store(), follow_up.id, _now()):
                    logger.info("follow-up %s was already delivered; staying silent", follow_up.id)
                    return []
                checkins.cancel_superseded(_store(), follow_up.id)
            except StoreUnavailable:
                # Not marked, so not said: the worker's lease runs out and it tries again later.
                logger.warning("a follow-up could not be marked delivered; not starting it now")
                return []
        if not by_worker and not _has_record(tracker):
            # "been going on for ages" reads like a check-in, but there is nothing to check in on:
            # a first description, so the intake it is.
            return [FollowupAction(names.INTAKE_FORM)]
        events: list[EventType] = [SlotSet(slot, None) for slot in CHECK_IN_SLOTS]
        events += [SlotSet("checkin_misses", {}), SlotSet("check_in_started_by", "worker" if by_worker else "person")]
        if not by_worker:
            opening = MessageReading.from_parse_data(tracker.latest_message or {})
            events += [SlotSet(slot, value) for slot, value in read_opening(opening).items()]
            events.append(SlotSet("follow_up_id", _answer_due_follow_up(tracker)))
        return events + [FollowupAction(CHECK_IN_FORM)]


def _answer_due_follow_up(tracker: Tracker) -> Optional[str]:
    """A person who comes back on their own answers the check-in that is due, if one is: it is marked
    delivered (so the worker does not send it as well) and the check-in is kept against it."""
    try:
        engine = _store()
        person = checkins.find_person(engine, tracker.sender_id, _channel(tracker))
        due = checkins.latest_pending_follow_up(engine, person.id, _now()) if person is not None else None
        if due is not None and checkins.mark_delivered(engine, due.id, _now()):
            checkins.cancel_superseded(engine, due.id)
            return due.public_id
    except StoreUnavailable:
        logger.warning("the store is down: this check-in is not matched with a scheduled one")
    return None


def _has_record(tracker: Tracker) -> bool:
    """An assessment in this conversation or in the store: something a check-in can compare with."""
    if tracker.get_slot(names.ASSESSMENT_DONE):
        return True
    try:
        engine = _store()
        person = checkins.find_person(engine, tracker.sender_id, _channel(tracker))
        return person is not None and bool(checkins.assessments_of(engine, person.id))
    except StoreUnavailable:
        return False


class ValidateCheckInForm(Action):
    """Reads each answer with bot.check_in; a question is asked at most twice, then "not sure"."""

    def name(self) -> str:
        return "validate_check_in_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        asked = tracker.get_slot(names.REQUESTED_SLOT)
        latest = tracker.latest_message or {}
        if latest_intent(tracker) in NOT_ANSWERS:
            return []
        if asked is None:  # the form has just started: the opening message was read by action_start_check_in
            return [SlotSet("checkin_misses", dict(tracker.get_slot("checkin_misses") or {}))]
        misses = dict(tracker.get_slot("checkin_misses") or {})
        value = read_answer(asked, MessageReading.from_parse_data(latest))
        events: list[EventType] = []
        if value is not None:
            events.append(SlotSet(asked, value))
        else:
            misses[asked] = misses.get(asked, 0) + 1
            if misses[asked] >= MAX_TIMES_ASKED:
                events.append(SlotSet(asked, NOT_SURE))
            elif f"utter_hint_{asked}" in domain.get("responses", {}):
                dispatcher.utter_message(response=f"utter_hint_{asked}")
        return events + [SlotSet("checkin_misses", misses)]


class ActionFinishCheckIn(Action):
    """Keeps the check-in, then says how the pain has moved, what to do with the exercises, whether
    to see a clinician (not_improving), and when the next check-in is."""

    def name(self) -> str:
        return "action_finish_check_in"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        answers = {slot: tracker.get_slot(slot) for slot in CHECK_IN_SLOTS}
        pain = int(answers["checkin_pain"]) if str(answers["checkin_pain"] or "").isdigit() else None
        change = answers["checkin_change"] if answers["checkin_change"] in ("better", "same", "worse") else None
        exercises = answers["checkin_exercises"] if answers["checkin_exercises"] in ("yes", "some", "no") else None
        new_signs = answers["checkin_new"] if answers["checkin_new"] not in (None, "none", NOT_SURE) else None
        public_id = tracker.get_slot("follow_up_id")
        try:
            engine = _store()
            person = checkins.get_or_create_person(engine, _channel(tracker), tracker.sender_id, timezone=_timezone(tracker))
            follow_up = checkins.follow_up_for(engine, str(public_id), person.channel, person.sender_id) if public_id else None
            follow_up_id = follow_up.id if follow_up is not None else None
            # A scheduled check-in counts at its due time (the worker's clock, which tests set forward).
            at = max(_now(), follow_up.due_at) if follow_up is not None else _now()
            previous = checkins.check_ins_of(engine, person.id)
            checkins.record_check_in(engine, person.id, follow_up_id, pain, change, exercises, new_signs, None, at)
            history = checkins.check_ins_of(engine, person.id)
            assessments = checkins.assessments_of(engine, person.id)
            upcoming = checkins.next_follow_up(engine, person.id, at)
        except StoreUnavailable:
            dispatcher.utter_message(response="utter_check_ins_unavailable")
            return [SlotSet("follow_up_id", None)]
        baseline = assessments[-1] if assessments else None
        baseline_pain = _baseline_pain(baseline)
        baseline_at = baseline.created_at if baseline else None
        dispatcher.utter_message(text=trend(history, baseline_pain, baseline_at).sentence)
        previous_pain = next((reading.pain for reading in reversed(previous) if reading.pain is not None), baseline_pain)
        new_sign = _flagged_during_check_in(tracker)
        plan = exercise_plan(pain, change, previous_pain, exercises, new_sign_to_check=new_sign is not None)
        dispatcher.utter_message(response=f"utter_plan_{plan}")
        events: list[EventType] = [SlotSet("follow_up_id", None)]
        stalled = baseline_at is not None and not_improving(baseline_pain, baseline_at, history, at)
        if new_sign is not None:
            # Urgent and emergency signs interrupted the check-in (RedFlagPolicy); one to show a clinician
            # within days is said here, in the person's words, whatever the pain score did.
            advice = load_knowledge().level_message(new_sign.level, emergency_number())
            dispatcher.utter_message(text=f"{evidence_sentence(new_sign)} {advice}".strip())
        elif stalled:
            dispatcher.utter_message(response="utter_not_improving")
        if stalled:
            level = highest(TriageLevel.SEE_CLINICIAN, tracker.get_slot(names.TRIAGE_LEVEL))
            flags = list(tracker.get_slot(names.RED_FLAGS) or [])
            events += [
                SlotSet(names.TRIAGE_LEVEL, level.value),
                SlotSet(names.RED_FLAGS, flags + (["not_improving"] if "not_improving" not in flags else [])),
            ]
        if len([reading for reading in history if reading.pain is not None]) >= 2:
            chart = person_chart_url(tracker.sender_id, person.channel, at)
            dispatcher.utter_message(text="Here is your pain over time:", image=chart)
        if upcoming is not None:
            dispatcher.utter_message(text=f"I'll check in again {_when(upcoming.due_at.astimezone(zone(person.timezone)))}.")
        elif person.consent == "accepted":
            dispatcher.utter_message(response="utter_offer_more_check_ins")
            events.append(SlotSet("check_ins_offered", True))
        return events


def _flagged_during_check_in(tracker: Tracker) -> Optional[Assessment]:
    """What the red-flag screening found (see a clinician or above) in the person's answers since the
    check-in began, from the findings the NLU annotator attached to each message; None if nothing."""
    answers: list[dict[str, Any]] = []
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_start_check_in":
            break
        if event.get("event") == "user":
            answers.append(event.get("parse_data") or {})
    found = assess(messages_findings(answers))
    return found if found.level.rank >= TriageLevel.SEE_CLINICIAN.rank else None


def _baseline_pain(assessment: Optional[checkins.Assessment]) -> Optional[int]:
    score = (assessment.profile or {}).get("pain_score") if assessment is not None else None
    try:
        return int(float(str(score)))
    except (TypeError, ValueError):
        return None
