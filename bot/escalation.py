"""What the person is told when a red flag escalates the conversation, and the audit record of it.

Built in the domain core so that the Rasa process can say it without the action server: the policy
that decides on an escalation (bot/policies) puts this on the tracker, and the tracker store
(bot/trackers) writes the record. Nothing here knows about Rasa.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.knowledge import load_knowledge
from bot.levels import TriageLevel
from bot.store.audit import EscalationRecord
from bot.triage import Assessment
from bot.triage.provenance import engine_provenance

MAX_QUOTES = 3


@dataclass(frozen=True)
class Escalation:
    level: TriageLevel
    message: str  # what to do now, naming the emergency number
    evidence_sentence: str  # the person's own words that triggered it; "" when there are none
    record: EscalationRecord


def evidence_sentence(assessment: Assessment) -> str:
    quoted: list[str] = []
    for _, _, text in assessment.evidence:
        if text and text not in quoted and len(quoted) < MAX_QUOTES:
            quoted.append(text)
    return "What I picked up: " + ", ".join(f'"{text}"' for text in quoted) + "." if quoted else ""


def escalation_for(
    assessment: Assessment,
    level: TriageLevel,
    conversation_id: str,
    message_text: str,
    emergency_number: str,
    now: datetime | None = None,
) -> Escalation:
    """The reply and the audit record for an escalation at `level` (urgent or emergency).

    `level` is the session's level, which may be above this assessment's (it never falls), and the
    record carries a fresh id so that writing it twice stores it once.
    """
    record = EscalationRecord(
        conversation_id=conversation_id,
        level=level.value,
        rule_ids=assessment.rule_ids,
        evidence=tuple(assessment.to_dict()["evidence"]),
        ruleset_version=assessment.ruleset_version,
        message_text=message_text,
        created_at=now or datetime.now(timezone.utc),
        escalation_id=uuid.uuid4().hex,
        engine_files=tuple(sorted(engine_provenance().items())),
    )
    return Escalation(
        level=level,
        message=load_knowledge().level_message(level, emergency_number),
        evidence_sentence=evidence_sentence(assessment),
        record=record,
    )
