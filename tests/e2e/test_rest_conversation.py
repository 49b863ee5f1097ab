"""The real servers (scripts/run.sh, as `make run` starts them) chatting over REST on SQLite."""

from __future__ import annotations

import sqlite3
import urllib.error
import urllib.request

import pytest

from bot.knowledge import load_knowledge
from tests.e2e.conversation import run_intake
from tests.support.assistant import RunningAssistant

pytestmark = pytest.mark.e2e


def texts(replies: list[dict]) -> list[str]:
    return [reply.get("text", "") for reply in replies]


def test_greeting_carries_the_disclaimer_once(assistant: RunningAssistant) -> None:
    disclaimer = load_knowledge().disclaimer
    first = texts(assistant.say("greeter", "hi"))
    assert any(disclaimer == text for text in first), first
    second = texts(assistant.say("greeter", "hello again"))
    assert second and disclaimer not in second


def test_description_leads_through_intake_to_a_triaged_assessment(assistant: RunningAssistant) -> None:
    assistant.say("runner", "hi")
    replies = run_intake(assistant, "runner", "the back of my knee aches after running, about 4/10")
    tracker = assistant.rest_tracker("runner")
    slots = tracker["slots"]
    assert slots["triage_level"] == "self_care"
    assert slots["red_flags"] == []
    # The description already gave location and score: the intake must not ask for them again.
    asked = [
        event.get("value")
        for event in tracker["events"]
        if event.get("event") == "slot" and event.get("name") == "requested_slot"
    ]
    assert "pain_location" not in asked and "pain_score" not in asked, asked
    assert slots["pain_location"] == "back_of_knee" and float(slots["pain_score"]) == 4
    assessment = " ".join(texts(replies[-1]))
    assert "at the back of your knee" in assessment  # the read-back of what was reported
    exercise_names = [exercise.name for exercise in load_knowledge().exercises]
    assert sum(name in assessment for name in exercise_names) >= 3, assessment


def test_cannot_bear_weight_after_injury_escalates_mid_intake_without_exercises(assistant: RunningAssistant) -> None:
    assistant.say("faller", "I came off my bike yesterday and hurt the back of my knee")
    replies = texts(assistant.say("faller", "I can't put any weight on it"))
    tracker = assistant.rest_tracker("faller")
    assert tracker["slots"]["triage_level"] == "urgent" and tracker["slots"]["red_flags"], tracker["slots"]
    assert not tracker["active_loop"].get("name")  # the intake stops on the same turn
    said = " ".join(replies)
    assert "today" in said
    assert not [exercise.name for exercise in load_knowledge().exercises if exercise.name in said], said


def test_question_mid_intake_is_answered_and_the_intake_resumes(assistant: RunningAssistant) -> None:
    assistant.say("curious", "my calf has been tight and sore behind the knee")
    before = assistant.rest_tracker("curious")["slots"]["requested_slot"]
    replies = texts(assistant.say("curious", "what causes a lump behind the knee?"))
    assert len(replies) >= 2, replies
    after = assistant.rest_tracker("curious")
    assert after["active_loop"].get("name") == "symptom_intake_form"
    assert after["slots"]["requested_slot"] == before


def test_stop_mid_intake_ends_the_questions(assistant: RunningAssistant) -> None:
    assistant.say("quitter", "my knee hurts at the back when I climb stairs")
    assistant.say("quitter", "stop asking me questions")
    tracker = assistant.rest_tracker("quitter")
    assert not tracker["active_loop"] or tracker["active_loop"].get("name") is None


def test_conversation_is_written_to_the_sqlite_tracker_store(assistant: RunningAssistant) -> None:
    assistant.say("stored", "hi")
    database = assistant.var_dir / "poplit-tracker.db"
    with sqlite3.connect(database) as connection:
        rows = connection.execute("select count(*) from events where sender_id = 'rest:stored'").fetchone()[0]
    assert rows > 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b'{"sender": "x"}',
        b'{"message": "hi"}',
        b"[]",
        b'{"sender": "", "message": "hi"}',
        b'{"sender": "x", "message": 42}',
        b'{"sender": "x", "message": "' + b"a" * 5000 + b'"}',
    ],
)
def test_malformed_rest_payloads_get_a_client_error(assistant: RunningAssistant, body: bytes) -> None:
    request = urllib.request.Request(
        assistant.base_url + "/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert 400 <= error.value.code < 500
    # and the server is still answering afterwards
    assert assistant.say("after-bad-input", "hi")


def test_tracker_api_requires_the_token(assistant: RunningAssistant) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{assistant.base_url}/conversations/runner/tracker", timeout=30)
    assert error.value.code == 401


def test_the_response_selector_runs_for_questions_and_descriptions_only(assistant: RunningAssistant) -> None:
    """QuestionResponseSelector: a question gets its knowledge topic, and so does a description (the
    intake's first reply names what its way of hurting can point to); an intake answer or a greeting
    skips the selector (nothing would read it), which is a quarter of the NLU's time per message."""

    def parse(text: str) -> dict:
        return assistant.post_json(f"/model/parse?token={assistant.token}", {"text": text})

    question = parse("what causes a baker's cyst?")
    assert question["intent"]["name"] == "ask_causes"
    assert question["response_selector"]["default"]["response"]["intent_response_key"] == "ask_causes/bakers_cyst"
    description = parse("the back of my knee aches after running, about 4/10")
    assert description["intent"]["name"] == "describe_symptoms", description["intent"]
    assert "default" in (description.get("response_selector") or {}), description.get("response_selector")
    for neither in ("about three weeks", "hello"):
        parsed = parse(neither)
        assert not parsed["intent"]["name"].startswith("ask_"), parsed["intent"]
        assert "default" not in (parsed.get("response_selector") or {}), parsed.get("response_selector")


def test_a_message_sent_again_with_its_request_id_gets_the_same_answer_and_no_second_turn(
    assistant: RunningAssistant,
) -> None:
    sender = "rest-repeated-request"
    first = assistant.say(sender, "what causes pain behind the knee", request_id="req-0001")
    again = assistant.say(sender, "what causes pain behind the knee", request_id="req-0001")
    assert first and texts(again) == texts(first)
    stored = [e for e in assistant.rest_tracker(sender)["events"] if e.get("event") == "user"]
    assert [e.get("message_id") for e in stored] == ["req-0001"]
    # Another id is another message.
    assistant.say(sender, "what causes pain behind the knee", request_id="req-0002")
    assert len([e for e in assistant.rest_tracker(sender)["events"] if e.get("event") == "user"]) == 2
