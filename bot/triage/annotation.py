"""A message's reading, as the NLU annotator (bot/nlu) writes it into the parse data under "triage"
and everything after it reads it back: the safety policy, the intake, the check-in, the actions.

One reading per message: the normalised text, every mention (red flags and intake facts, each with
its status), the message's own red-flag assessment, what it says as an answer to the screening
question, and why it calls for that question. Nothing later runs the reader again, so the action
server needs neither spaCy nor the lexicon: this module imports neither.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Optional

from bot.levels import TriageLevel
from bot.names import TRIAGE_KEY
from bot.triage.assess import Assessment, assess
from bot.triage.findings import Finding, Mention, Status
from bot.triage.rules import load_rules
from bot.triage.screening import ScreeningAnswer, ScreeningVerdict
from bot.triage.vocabulary import INTAKE_FACTS


@dataclass(frozen=True)
class MessageReading:
    text: str  # as the person wrote it; mention offsets and evidence are in it
    normalised: str
    mentions: tuple[Mention, ...] = ()
    screening_answer: ScreeningAnswer = ScreeningAnswer(ScreeningVerdict.UNREADABLE)
    screening_trigger: Optional[str] = None
    assessment: Assessment = field(default=None)  # type: ignore[assignment]  # set in __post_init__

    def __post_init__(self) -> None:
        if self.assessment is None:
            object.__setattr__(self, "assessment", assess(self.findings))

    @property
    def findings(self) -> list[Finding]:
        """The red-flag findings that count: current, the writer's own (intake facts are left out)."""
        return [m.finding for m in self.mentions if m.status is Status.CURRENT and m.finding.name not in INTAKE_FACTS]

    @property
    def excluded_spans(self) -> list[tuple[int, int]]:
        """Character spans of red-flag findings that do not count (negated, hypothetical, someone
        else's, past): NLU entities there are not the person's complaint either."""
        return [
            (m.finding.start, m.finding.end)
            for m in self.mentions
            if m.status is not Status.CURRENT and m.finding.name not in INTAKE_FACTS
        ]

    def to_parse_data(self) -> dict[str, Any]:
        return {
            **self.assessment.to_dict(),
            "normalised": self.normalised,
            "mentions": [{**asdict(m.finding), "status": m.status.value, "cue": m.cue} for m in self.mentions],
            "screening": {"verdict": self.screening_answer.verdict.value, "signs": list(self.screening_answer.signs)},
            "screening_trigger": self.screening_trigger,
        }

    @classmethod
    def from_parse_data(cls, parse_data: Mapping[str, Any]) -> "MessageReading":
        """The reading stored on a message; a message that skipped NLU (a button's `/intent`
        payload, an intent triggered by the scheduler) has none and reads as saying nothing."""
        text = str(parse_data.get("text") or "")
        stored = parse_data.get(TRIAGE_KEY)
        if not stored:
            return cls(text, text)
        mentions = tuple(
            Mention(
                Finding(m["name"], m["evidence"], int(m["start"]), int(m["end"]), m.get("value")),
                Status(m["status"]),
                m.get("cue", ""),
            )
            for m in stored.get("mentions", [])
        )
        screening = stored.get("screening") or {}
        answer = ScreeningAnswer(ScreeningVerdict(screening.get("verdict", "unreadable")), tuple(screening.get("signs", ())))
        return cls(
            text,
            str(stored.get("normalised", text)),
            mentions,
            answer,
            stored.get("screening_trigger"),
            _stored_assessment(stored),
        )


def _stored_assessment(stored: Mapping[str, Any]) -> Assessment:
    return Assessment(
        TriageLevel(stored.get("level", TriageLevel.SELF_CARE.value)),
        tuple(stored.get("rule_ids", ())),
        tuple((e["rule_id"], e["finding"], e["text"]) for e in stored.get("evidence", ())),
        str(stored.get("ruleset_version") or load_rules().version),
    )


def messages_findings(messages: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """The current red-flag findings of several messages' parse data, in order."""
    return [finding for parse_data in messages for finding in MessageReading.from_parse_data(parse_data).findings]
