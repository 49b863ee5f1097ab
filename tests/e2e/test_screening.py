"""The red-flag screening question through REST (issue 19, item 3): asked first in every intake,
asked at once when a message looks like a red flag the rules cannot place, a named sign escalating
on the same turn and written to the audit table, "none" and "not sure" moving on; and an answer
that ends with "?" still answering the question pending (item 5)."""

from __future__ import annotations

import json
import secrets

import psycopg2
import pytest

from bot.knowledge import load_knowledge
from bot.levels import TriageLevel
from bot.settings import emergency_number
from tests.support.assistant import RunningAssistant

pytestmark = pytest.mark.e2e

SCREENING = "red_flag_screen"


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def assistant(postgres_assistant: RunningAssistant) -> RunningAssistant:
    return postgres_assistant  # audit rows in PostgreSQL


def new_sender() -> str:
    return "screen-" + secrets.token_hex(4)


def asked(assistant: RunningAssistant, sender: str) -> str | None:
    return assistant.rest_tracker(sender)["slots"].get("requested_slot")


def test_every_intake_asks_the_screening_question_first_with_its_buttons(assistant: RunningAssistant) -> None:
    sender = new_sender()
    replies = assistant.say(sender, "pain behind my knee, came on gradually")
    assert asked(assistant, sender) == SCREENING
    buttons = [button["title"] for reply in replies for button in reply.get("buttons") or []]
    assert "None of these" in buttons and "Not sure" in buttons and "Breathless or chest pain" in buttons
    assistant.say(sender, "None of these")
    slots = assistant.rest_tracker(sender)["slots"]
    assert slots[SCREENING] == "none" and slots["requested_slot"] == "pain_duration"


@pytest.mark.parametrize(
    "answer, level, rule",
    [
        ("my calf is kinda red n puffy", TriageLevel.URGENT, "screening_same_day"),
        ("Cold, pale or blue foot", TriageLevel.EMERGENCY, "screening_cold_foot"),
        ("had a temp n shivers last nite", TriageLevel.URGENT, "screening_same_day"),
    ],
)
def test_a_sign_named_in_answer_escalates_on_that_turn_and_is_audited(
    assistant: RunningAssistant, database_url: str, answer: str, level: TriageLevel, rule: str
) -> None:
    sender = new_sender()
    assistant.say(sender, "the back of my knee has been sore for a week")
    assert asked(assistant, sender) == SCREENING
    replies = [reply.get("text") or "" for reply in assistant.say(sender, answer)]
    assert replies[0] == load_knowledge().level_message(level, emergency_number()), replies
    slots = assistant.rest_tracker(sender)["slots"]
    assert slots["triage_level"] == level.value and rule in slots["red_flags"] and slots["requested_slot"] is None
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select level, rule_ids, evidence from triage_escalations where conversation_id = %s", (f"rest:{sender}",))
        rows = cursor.fetchall()
    assert len(rows) == 1 and rows[0][0] == level.value and rule in json.loads(rows[0][1])
    assert answer in {item["text"] for item in json.loads(rows[0][2])}


def test_an_unplaced_red_flag_asks_the_question_at_once_and_not_sure_gets_the_safety_advice(assistant: RunningAssistant) -> None:
    sender = new_sender()
    # A question, with a flight and a leg word that no rule places: the screening question comes first.
    replies = assistant.say(sender, "what exercises r good, flew back from dubai yday n my leg feels odd")
    assert asked(assistant, sender) == SCREENING, replies
    replies = [reply.get("text") or "" for reply in assistant.say(sender, "not sure tbh")]
    assert any("call " + emergency_number() in reply and "see a doctor today" in reply for reply in replies), replies
    slots = assistant.rest_tracker(sender)["slots"]
    assert slots[SCREENING] == "unsure" and slots["requested_slot"] not in (None, SCREENING)


def test_an_unreadable_answer_is_asked_once_more_then_taken_as_not_sure(assistant: RunningAssistant) -> None:
    sender = new_sender()
    assistant.say(sender, "back of my knee aches when I run")
    assistant.say(sender, "hmm pardon")
    assert asked(assistant, sender) == SCREENING
    replies = [reply.get("text") or "" for reply in assistant.say(sender, "purple")]
    assert any("see a doctor today" in reply for reply in replies), replies
    assert assistant.rest_tracker(sender)["slots"][SCREENING] == "unsure"


def test_an_answer_ending_in_a_question_mark_is_still_the_answer(assistant: RunningAssistant) -> None:
    sender = new_sender()
    for message in ("pain behind my knee, came on slowly", "none of those"):
        assistant.say(sender, message)
    assert asked(assistant, sender) == "pain_duration"
    assistant.say(sender, "maybe 3 wks?")
    slots = assistant.rest_tracker(sender)["slots"]
    assert slots["pain_duration"] and 18 <= float(slots["pain_duration_days"]) <= 24 and slots["requested_slot"] == "pain_score"
    assistant.say(sender, "like a 5 or 6?")
    assert assistant.rest_tracker(sender)["slots"]["pain_score"] == "6"
