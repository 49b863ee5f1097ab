"""The Rasa actions, run on real rasa_sdk Trackers with a CollectingDispatcher."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answer_question import ActionAnswerQuestion
from actions.assess import ActionAssess
from actions.check_ins import WHERE_ASKED, ActionCheckInsConsent, ActionFinishCheckIn, ActionNotUnderstood, ActionYesOrNo
from actions.greet import ActionGreet
from actions.intake_form import ValidateSymptomIntakeForm
from actions.stop_intake import ActionStopIntake
from bot.followups.schedule import zone
from bot.knowledge import load_knowledge
from bot.store import checkins, database_url, open_store
from bot.triage import read_text

DOMAIN: dict[str, Any] = yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text())
BENIGN_ANSWERS = {
    "pain_location": "back_of_knee",
    "pain_onset": "gradual",
    "pain_duration": "3 weeks",
    "pain_score": "4",
    "swelling": "no",
    "mechanical_symptoms": "none",
    "weight_bearing": "normal",
}


def user_message(text: str, intent: str, entities: Optional[list[dict[str, Any]]] = None, **extra: Any) -> dict[str, Any]:
    # With the reading the NLU annotator stores: the actions read it, never the text again.
    reading = {"triage": read_text(text).to_parse_data()}
    return {"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or [], **reading, **extra}


def entity(text: str, message: str, name: str, value: Optional[str] = None) -> dict[str, Any]:
    start = message.index(text)
    return {"entity": name, "start": start, "end": start + len(text), "value": value or text}


def make_tracker(
    latest: dict[str, Any],
    slots: Optional[dict[str, Any]] = None,
    earlier: Optional[list[dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    after_latest: Optional[list[str]] = None,
) -> Tracker:
    """A tracker as Rasa sends it; a form's validation sees the form's own action last."""
    events = [{"event": "session_started"}]
    for message in [*(earlier or []), latest]:
        events.append({"event": "user", "text": message["text"], "parse_data": message})
    actions = list(after_latest or []) + ([active_loop] if active_loop else [])
    events += [{"event": "action", "name": name} for name in actions]
    latest_action_name = actions[-1] if actions else "action_listen"
    return Tracker(
        "tester",
        dict(slots or {}),
        latest,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        latest_action_name,
    )


def run(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return events, dispatcher.messages


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def test_form_prefills_what_the_first_description_said() -> None:
    text = "the back of my knee aches after running, about 4/10"
    latest = user_message(
        text,
        "describe_symptoms",
        [
            entity("back of my knee", text, "body_location", "back_of_knee"),
            entity("aches", text, "symptom", "ache"),
            entity("running", text, "activity"),
            entity("4/10", text, "pain_score"),
        ],
    )
    events, messages = run(ValidateSymptomIntakeForm(), make_tracker(latest, active_loop="symptom_intake_form"))
    slots = slot_events(events)
    assert slots["pain_location"] == "back_of_knee" and slots["pain_score"] == "4"
    assert "pain_onset" not in slots and not messages


def test_form_reads_a_free_text_answer_to_the_pending_question() -> None:
    latest = user_message("I twisted it playing five-a-side", "inform")
    tracker = make_tracker(latest, slots={"requested_slot": "pain_onset"}, active_loop="symptom_intake_form")
    events, _ = run(ValidateSymptomIntakeForm(), tracker)
    assert slot_events(events)["pain_onset"] == "injury"


def test_after_a_question_was_answered_the_message_is_not_taken_as_an_answer() -> None:
    latest = user_message("how long should I hold a stretch?", "ask_exercises")
    tracker = make_tracker(
        latest,
        slots={"requested_slot": "pain_duration"},
        active_loop="symptom_intake_form",
        after_latest=["action_answer_question"],
    )
    latest["intent"]["name"] = "inform"  # even if NLU had read it as an answer
    events, _ = run(ValidateSymptomIntakeForm(), tracker)
    assert "pain_duration" not in slot_events(events)


def test_unreadable_answer_is_asked_again_with_a_hint() -> None:
    latest = user_message("purple elephants", "inform")
    tracker = make_tracker(latest, slots={"requested_slot": "pain_score"}, active_loop="symptom_intake_form")
    events, messages = run(ValidateSymptomIntakeForm(), tracker)
    assert "pain_score" not in slot_events(events)
    assert slot_events(events)["intake_misses"] == {"pain_score": 1}
    assert messages[0]["response"] == "utter_hint_pain_score"


def test_a_second_unreadable_answer_leaves_the_question_unknown_and_moves_on() -> None:
    latest = user_message("purple elephants", "inform")
    tracker = make_tracker(
        latest, slots={"requested_slot": "pain_score", "intake_misses": {"pain_score": 1}}, active_loop="symptom_intake_form"
    )
    events, messages = run(ValidateSymptomIntakeForm(), tracker)
    assert slot_events(events)["pain_score"] == "unknown"
    assert messages[0]["response"] == "utter_intake_moving_on"


def test_an_answer_to_another_question_is_taken_and_the_pending_one_stays_open() -> None:
    latest = user_message("it's not swollen and it's been about 3 weeks", "inform")
    tracker = make_tracker(latest, slots={"requested_slot": "pain_onset"}, active_loop="symptom_intake_form")
    events, messages = run(ValidateSymptomIntakeForm(), tracker)
    slots = slot_events(events)
    assert slots["swelling"] == "no" and slots["pain_duration"] == "about 3 weeks" and slots["pain_duration_days"] == 21
    assert "pain_onset" not in slots and messages[0]["response"] == "utter_intake_noted"


def test_a_question_mid_intake_is_not_taken_as_an_answer() -> None:
    latest = user_message("how long should I hold a stretch?", "ask_exercises")
    tracker = make_tracker(latest, slots={"requested_slot": "pain_duration"}, active_loop="symptom_intake_form")
    events, _ = run(ValidateSymptomIntakeForm(), tracker)
    assert "pain_duration" not in slot_events(events)


def test_answer_uses_the_response_selector_topic() -> None:
    selector = {"ask_causes": {"response": {"intent_response_key": "ask_causes/bakers_cyst", "confidence": 0.9}}}
    latest = user_message("what's this lump behind my knee?", "ask_causes", response_selector=selector)
    _, messages = run(ActionAnswerQuestion(), make_tracker(latest))
    from bot.levels import TriageLevel

    assert messages[0]["text"] == load_knowledge().answer("ask_causes/bakers_cyst", TriageLevel.SELF_CARE)


def test_exercise_answers_are_withheld_after_an_urgent_finding() -> None:
    selector = {"ask_exercises": {"response": {"intent_response_key": "ask_exercises/which", "confidence": 0.9}}}
    latest = user_message("what exercises should I do?", "ask_exercises", response_selector=selector)
    _, normal = run(ActionAnswerQuestion(), make_tracker(latest))
    _, urgent = run(ActionAnswerQuestion(), make_tracker(latest, slots={"triage_level": "urgent"}))
    assert normal[0]["text"] != urgent[0]["text"]
    names = [exercise.name for exercise in load_knowledge().exercises]
    assert not [name for name in names if name in urgent[0]["text"]]


def test_greeting_gives_the_disclaimer_once() -> None:
    latest = user_message("hi", "greet")
    events, messages = run(ActionGreet(), make_tracker(latest))
    assert load_knowledge().disclaimer in [message["text"] for message in messages]
    assert slot_events(events) == {"disclaimer_given": True}
    events, messages = run(ActionGreet(), make_tracker(latest, slots={"disclaimer_given": True}))
    assert load_knowledge().disclaimer not in [message["text"] for message in messages] and events == []


def test_benign_intake_is_self_care_with_exercises() -> None:
    latest = user_message("I can walk normally", "inform")
    events, messages = run(ActionAssess(), make_tracker(latest, slots=dict(BENIGN_ANSWERS, disclaimer_given=True)))
    slots = slot_events(events)
    assert slots["triage_level"] == "self_care" and slots["red_flags"] == [] and slots["assessment_done"] is True
    text = " ".join(message.get("text") or "" for message in messages)
    assert sum(exercise.name in text for exercise in load_knowledge().exercises) >= 3


def test_injury_and_no_weight_bearing_is_urgent_without_exercises() -> None:
    answers = dict(BENIGN_ANSWERS, pain_onset="injury", weight_bearing="cannot_bear_weight")
    latest = user_message("I can't put any weight on it", "inform")
    events, messages = run(ActionAssess(), make_tracker(latest, slots=answers))
    slots = slot_events(events)
    assert slots["triage_level"] in ("urgent", "emergency") and slots["red_flags"]
    text = " ".join(message.get("text") or "" for message in messages)
    assert not [exercise.name for exercise in load_knowledge().exercises if exercise.name in text]
    assert slots.get("disclaimer_given") is True  # not given earlier in this session, so given now


@pytest.mark.parametrize("earlier_level", ["urgent", "emergency"])
def test_triage_level_never_drops_within_a_session(earlier_level: str) -> None:
    latest = user_message("I can walk normally", "inform")
    tracker = make_tracker(latest, slots=dict(BENIGN_ANSWERS, triage_level=earlier_level, red_flags=["x_rule"]))
    events, _ = run(ActionAssess(), tracker)
    slots = slot_events(events)
    assert slots["triage_level"] == earlier_level and slots["red_flags"][0] == "x_rule"


def test_negated_symptoms_are_dropped_but_a_cut_short_location_is_kept() -> None:
    from actions.conversation import entities_in

    text = "back of my left knee hurts, no swelling"
    message = user_message(
        text,
        "describe_symptoms",
        [
            entity("back of my", text, "body_location"),
            entity("swelling", text, "symptom"),
        ],
    )
    found = {(item.entity, item.value) for item in entities_in(message)}
    assert found == {("body_location", "back_of_knee")}


def test_consent_without_a_known_time_zone_asks_where_the_person_is_and_an_unplaced_city_answers() -> None:
    latest = user_message("/accept_check_ins", "accept_check_ins", [{"entity": "check_in_days", "value": "2"}])
    events, messages = run(ActionCheckInsConsent(), make_tracker(latest))
    assert [message.get("response") for message in messages][-1] == "utter_ask_where_you_are"
    assert slot_events(events)[WHERE_ASKED] is True
    engine = open_store(database_url())
    person = checkins.find_person(engine, "tester", "rest")
    assert person is not None and person.timezone == "UTC"

    # "Honolulu" read by NLU as out of scope: still the answer, since Poplit asked.
    answer = make_tracker(user_message("Honolulu", "out_of_scope"), slots={WHERE_ASKED: True})
    events, messages = run(ActionNotUnderstood(), answer)
    assert "Pacific/Honolulu" in messages[0]["text"] and slot_events(events)[WHERE_ASKED] is False
    person = checkins.find_person(engine, "tester", "rest")
    assert person is not None and person.timezone == "Pacific/Honolulu"
    still_to_come = [item for item in checkins.follow_ups_of(engine, person.id) if item.status == "pending"]
    assert len(still_to_come) == 3
    assert all(8 <= item.due_at.astimezone(zone("Pacific/Honolulu")).hour < 21 for item in still_to_come)

    # Not asked: out of scope is out of scope.
    _, messages = run(ActionNotUnderstood(), make_tracker(user_message("Honolulu", "out_of_scope")))
    assert [message.get("response") for message in messages] == ["utter_out_of_scope"]
    _, messages = run(ActionNotUnderstood(), make_tracker(user_message("blah blah", "nlu_fallback"), slots={WHERE_ASKED: True}))
    assert [message.get("response") for message in messages] == ["utter_please_rephrase"]


def test_a_city_that_nlu_reads_as_a_yes_answers_where_the_person_is() -> None:
    run(ActionCheckInsConsent(), make_tracker(user_message("/accept_check_ins", "accept_check_ins")))
    events, messages = run(ActionYesOrNo(), make_tracker(user_message("Leeds", "affirm"), slots={WHERE_ASKED: True}))
    assert "Europe/London" in messages[0]["text"] and slot_events(events)[WHERE_ASKED] is False


def test_with_the_store_down_consent_says_so_and_the_conversation_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://poplit@127.0.0.1:1/nowhere")
    events, messages = run(ActionCheckInsConsent(), make_tracker(user_message("/accept_check_ins", "accept_check_ins")))
    assert [message.get("response") for message in messages] == ["utter_check_ins_unavailable"]
    assert slot_events(events)["check_ins_offered"] is False


def test_a_new_sign_in_a_check_in_is_named_with_what_to_do_even_when_the_pain_is_better() -> None:
    """Calf swelling is a see-a-clinician sign: said in the person's words, and no "make them harder"."""
    engine = open_store(database_url())
    person = checkins.get_or_create_person(engine, "rest", "tester")
    checkins.record_assessment(engine, person.id, "self_care", [], "test", {"pain_score": 6}, [])
    text = "my calf is swollen now"
    latest = user_message(text, "inform")
    slots = {"checkin_change": "better", "checkin_pain": "3", "checkin_exercises": "yes", "checkin_new": text}
    _, messages = run(ActionFinishCheckIn(), make_tracker(latest, slots=slots))
    said = " ".join(message.get("text") or "" for message in messages)
    responses = [message.get("response") for message in messages]
    assert '"calf is swollen"' in said and "doctor or physical therapist" in said, said
    assert "utter_plan_progress" not in responses and "utter_plan_keep" in responses, responses

    # Nothing new: the same answers progress the exercises.
    _, messages = run(
        ActionFinishCheckIn(),
        make_tracker(user_message("nothing new", "deny"), slots={**slots, "checkin_new": "none"}),
    )
    assert "utter_plan_progress" in [message.get("response") for message in messages]


def test_an_answer_nlu_took_for_a_stop_goes_back_to_the_intake_and_a_real_stop_stops() -> None:
    slots = {"requested_slot": "weight_bearing"}
    kept = make_tracker(
        user_message("normal", "stop"), slots=slots, active_loop="symptom_intake_form", after_latest=["action_stop_intake"]
    )
    events, messages = run(ActionStopIntake(), kept)
    assert events == [{"event": "followup", "timestamp": None, "name": "symptom_intake_form"}] and not messages
    validated, _ = run(ValidateSymptomIntakeForm(), kept)
    assert slot_events(validated)["weight_bearing"] == "normal"
    stopped = make_tracker(user_message("stop asking me questions", "stop"), slots=slots, active_loop="symptom_intake_form")
    events, messages = run(ActionStopIntake(), stopped)
    assert {"event": "active_loop", "timestamp": None, "name": None} in events and messages[0][
        "response"
    ] == "utter_intake_stopped"


# ---- Follow-up questions in context ----


def test_an_exercise_question_is_answered_from_its_entry_and_remembered() -> None:
    bridge = next(e for e in load_knowledge().exercises if e.id == "glute_bridge")
    events, messages = run(ActionAnswerQuestion(), make_tracker(user_message("my glute bridges feel too easy", "ask_exercises")))
    assert messages[-1]["text"] == f"Glute bridge: {bridge.harder}"
    assert slot_events(events)["last_exercise"] == "glute_bridge"


def test_an_unplaced_follow_up_is_about_the_exercise_talked_about_last() -> None:
    curl = next(e for e in load_knowledge().exercises if e.id == "standing_hamstring_curl")
    tracker = make_tracker(user_message("easier version pls", "nlu_fallback"), slots={"last_exercise": curl.id})
    _, messages = run(ActionNotUnderstood(), tracker)
    assert messages[-1]["text"] == f"Standing hamstring curl: {curl.easier}"


def test_a_short_follow_up_naming_nothing_gets_the_topic_answered_last() -> None:
    tracker = make_tracker(user_message("will it burst?", "nlu_fallback"), slots={"last_topic": "ask_causes/bakers_cyst"})
    _, messages = run(ActionNotUnderstood(), tracker)
    assert messages[-1]["text"] == load_knowledge().answer("ask_causes/bakers_cyst")


def test_something_plainly_off_topic_is_not_taken_for_a_follow_up() -> None:
    tracker = make_tracker(user_message("what's the weather?", "out_of_scope"), slots={"last_topic": "ask_causes/bakers_cyst"})
    _, messages = run(ActionNotUnderstood(), tracker)
    assert messages[-1].get("response") == "utter_out_of_scope"


def test_a_yes_that_is_really_a_follow_up_gets_the_exercise_answer() -> None:
    raise_ = next(e for e in load_knowledge().exercises if e.id == "calf_raise")
    tracker = make_tracker(user_message("and if thats too easy?", "affirm"), slots={"last_exercise": raise_.id})
    _, messages = run(ActionYesOrNo(), tracker)
    assert messages[-1]["text"] == f"Calf raise: {raise_.harder}"
