"""Red flags through the running assistant on PostgreSQL (tracker and audit) with a Redis lock store:
an urgent or emergency message interrupts anything on the same turn and is recorded for audit."""

from __future__ import annotations

import json
from typing import Callable

import psycopg2
import pytest

from bot.knowledge import load_knowledge
from bot.levels import TriageLevel
from bot.settings import emergency_number
from tests.support.assistant import RunningAssistant

pytestmark = pytest.mark.e2e

EMERGENCY = "my calf is swollen and red since the long flight and now I can't catch my breath"
URGENT = "I twisted it at football and now I can't put any weight on it at all"


@pytest.fixture
def database_url(postgres_url: str) -> str:
    return postgres_url


@pytest.fixture
def assistant(postgres_assistant: RunningAssistant) -> RunningAssistant:
    return postgres_assistant


def texts(replies: list[dict]) -> list[str]:
    return [reply.get("text", "") for reply in replies]


def emergency_message() -> str:
    return load_knowledge().level_message(TriageLevel.EMERGENCY, emergency_number())


def test_emergency_as_the_first_message(assistant: RunningAssistant) -> None:
    replies = texts(assistant.say("first-emergency", EMERGENCY))
    assert replies[0] == emergency_message(), replies
    slots = assistant.rest_tracker("first-emergency")["slots"]
    assert slots["triage_level"] == "emergency" and "pe_signs" in slots["red_flags"]


def test_emergency_mid_intake_stops_the_intake_on_the_same_turn(assistant: RunningAssistant) -> None:
    assistant.say("mid-intake", "the back of my knee has been aching for a while")
    assert assistant.rest_tracker("mid-intake")["active_loop"].get("name") == "symptom_intake_form"
    replies = texts(assistant.say("mid-intake", EMERGENCY))
    assert replies[0] == emergency_message(), replies
    tracker = assistant.rest_tracker("mid-intake")
    assert not tracker["active_loop"].get("name")
    assert tracker["slots"]["triage_level"] == "emergency"


def test_emergency_mid_faq_and_no_exercise_advice_afterwards(assistant: RunningAssistant) -> None:
    assistant.say("mid-faq", "what causes pain behind the knee?")
    replies = texts(assistant.say("mid-faq", "also my foot has gone cold and pale and I can't feel my toes"))
    assert replies[0] == emergency_message(), replies
    after = " ".join(texts(assistant.say("mid-faq", "which exercises should I do for it?")))
    assert not [exercise.name for exercise in load_knowledge().exercises if exercise.name in after], after


def test_urgent_gets_same_day_care_and_the_level_never_drops(assistant: RunningAssistant) -> None:
    replies = texts(assistant.say("urgent-case", URGENT))
    assert replies[0] == load_knowledge().level_message(TriageLevel.URGENT, emergency_number()), replies
    assistant.say("urgent-case", "actually it feels a bit better now, no swelling")
    assert assistant.rest_tracker("urgent-case")["slots"]["triage_level"] == "urgent"


def test_negated_and_other_people_do_not_escalate(assistant: RunningAssistant) -> None:
    for text in ("no swelling, it has never given way", "my dad had a clot in his calf once"):
        assistant.say("near-miss", text)
    assert assistant.rest_tracker("near-miss")["slots"]["triage_level"] in (None, "self_care")


def test_escalations_and_conversation_are_written_to_postgres(assistant: RunningAssistant, database_url: str) -> None:
    assistant.say("audited", EMERGENCY)
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "select level, rule_ids, evidence, ruleset_version, engine_files from triage_escalations where conversation_id = %s",
            ("rest:audited",),
        )
        rows = cursor.fetchall()
        cursor.execute("select count(*) from events where sender_id = %s", ("rest:audited",))
        tracker_rows = cursor.fetchone()[0]
    assert len(rows) == 1 and tracker_rows > 0
    level, rule_ids, evidence, version, engine_files = rows[0]
    assert level == "emergency" and "pe_signs" in json.loads(rule_ids) and json.loads(evidence) and version
    assert set(json.loads(engine_files)) == {
        "rules.yml",
        "lexicon.yml",
        "text_speak.yml",
        "screening.yml",
        "spacy",
        "spacy-lookups-data",
        "symspellpy",
    }


def test_vignettes_through_the_running_assistant(assistant: RunningAssistant, report: Callable[[str], None]) -> None:
    """Every labelled vignette as its own REST conversation: no urgent/emergency case under-triaged,
    over-triage at most 10% (the engine-only figures are in tests/triage)."""
    from tests.triage.evaluate import through_assistant
    from tests.triage.vignettes import format_report, load_cases

    cases = load_cases()
    levels, rules = through_assistant(assistant, cases)
    for line in format_report("Vignettes through the running assistant (REST)", cases, levels, rules):
        report(line)
    under_serious = [case.id for case in cases if case.min_level >= TriageLevel.URGENT and levels[case.id] < case.min_level]
    over = [case.id for case in cases if levels[case.id] > case.max_level]
    assert not under_serious, under_serious
    assert len(over) / len(cases) <= 0.10, over
