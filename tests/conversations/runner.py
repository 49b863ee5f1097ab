"""Scripted conversations (tests/conversations/*.yml) through the running assistant over REST.

Each conversation is a list of turns with expectations (the intake question asked, slots, level,
escalation, assessment, red flags, ...). Every expectation counts once; the figure is the share of
expectations met. What the assistant did on a turn is read from its tracker (the bot messages'
response names and the actions run), not from its wording.

`make eval-conversations` prints the figure and each failure.
"""

from __future__ import annotations

import argparse
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Optional, Union

import yaml
from pydantic import BaseModel, Extra

from bot.levels import TriageLevel
from tests.support.assistant import RunningAssistant

CONVERSATIONS_DIR = Path(__file__).parent
MAX_TIMES_ASKED = 3
ASK_PREFIX = "utter_ask_"
ESCALATION_RESPONSE = "utter_escalation"
ACKNOWLEDGEMENT_PREFIX = "utter_acknowledge"
ASSESS_ACTION = "action_assess"
_SERIOUS = (TriageLevel.URGENT.value, TriageLevel.EMERGENCY.value)
SCREENING_SLOT = "red_flag_screen"
# What a conversation written before the screening question existed answers it with: the button.
SCREENING_NONE = "None of these"

Level = Literal["self_care", "see_clinician", "urgent", "emergency"]
DurationExpectation = Union[tuple[float, float], Literal["unknown"]]


class Expect(BaseModel, extra=Extra.forbid):
    asks: Optional[str] = None
    not_asks: list[str] = []
    escalates: Optional[bool] = None
    level: Optional[Level] = None
    slots: dict[str, str] = {}
    duration_days: Optional[DurationExpectation] = None
    assessment: Optional[bool] = None
    assessment_given: Optional[bool] = None
    mentions: list[str] = []
    acknowledges_feeling: Optional[bool] = None
    red_flags_include: list[str] = []
    red_flags_exclude: list[str] = []


class Turn(BaseModel, extra=Extra.forbid):
    user: str
    expect: Expect = Expect()


class Conversation(BaseModel, extra=Extra.forbid):
    id: str
    about: str = ""
    turns: list[Turn]
    after: Expect = Expect()

    @property
    def knows_screening(self) -> bool:
        """Whether it was written with the red-flag screening question in mind (expects it somewhere)."""
        expectations = [turn.expect for turn in self.turns] + [self.after]
        return any(e.asks == SCREENING_SLOT or SCREENING_SLOT in e.slots or SCREENING_SLOT in e.not_asks for e in expectations)


class ConversationFile(BaseModel, extra=Extra.forbid):
    conversations: list[Conversation]


def load_conversations(directory: Path = CONVERSATIONS_DIR) -> list[Conversation]:
    conversations: list[Conversation] = []
    for path in sorted(directory.glob("*.yml")):
        conversations.extend(ConversationFile(**yaml.safe_load(path.read_text(encoding="utf-8"))).conversations)
    ids = Counter(conversation.id for conversation in conversations)
    duplicated = [name for name, count in ids.items() if count > 1]
    if duplicated:
        raise ValueError(f"conversation ids used more than once: {duplicated}")
    return conversations


@dataclass
class TurnObservation:
    """What the assistant did on one turn, read from the tracker."""

    responses: list[str]  # response names of the bot messages ("" when a message had none)
    texts: list[str]
    actions: list[str]
    slots: dict[str, Any]

    @property
    def asked(self) -> list[str]:
        return [name[len(ASK_PREFIX) :] for name in self.responses if name.startswith(ASK_PREFIX)]

    def then_screened(self, later: "TurnObservation") -> "TurnObservation":
        """This turn, which asked the screening question, and the turn that answered it, as one: what
        both said and did but that question, and the slots as they are after."""
        responses = [name for name in self.responses if name != ASK_PREFIX + SCREENING_SLOT] + later.responses
        return TurnObservation(responses, self.texts + later.texts, self.actions + later.actions, later.slots)


@dataclass
class ConversationResult:
    id: str
    met: int = 0
    failures: list[str] = field(default_factory=list)
    times_asked: Counter = field(default_factory=Counter)
    screenings_answered: int = 0  # screening questions the runner answered for the conversation
    escalations_expected: int = 0  # turns expected to escalate
    escalations_on_turn: int = 0  # ... that escalated on that turn
    serious_level: Optional[str] = None  # the urgent or emergency level expected by the end, if any
    final_level: str = TriageLevel.SELF_CARE.value

    @property
    def total(self) -> int:
        return self.met + len(self.failures)


def _turn_events(tracker: dict[str, Any]) -> list[dict[str, Any]]:
    events = tracker.get("events") or []
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return events[index + 1 :]
    return events


def observe(assistant: RunningAssistant, sender: str, text: str) -> TurnObservation:
    replies = assistant.say(sender, text)
    tracker = assistant.rest_tracker(sender)
    events = _turn_events(tracker)
    bot_events = [event for event in events if event.get("event") == "bot"]
    return TurnObservation(
        responses=[str((event.get("metadata") or {}).get("utter_action") or "") for event in bot_events],
        texts=[reply.get("text") or "" for reply in replies],
        actions=[str(event.get("name")) for event in events if event.get("event") == "action"],
        slots=tracker.get("slots") or {},
    )


def _check(result: ConversationResult, where: str, ok: bool, detail: str) -> None:
    if ok:
        result.met += 1
    else:
        result.failures.append(f"{where}: {detail}")


def check_expectations(
    result: ConversationResult, where: str, expect: Expect, seen: TurnObservation, assessed_ever: bool
) -> None:
    slots = seen.slots
    if expect.asks is not None:
        asked = seen.asked[-1] if seen.asked else "nothing"
        _check(result, where, asked == expect.asks, f"asks {asked}, expected {expect.asks}")
    for slot in expect.not_asks:
        _check(result, where, slot not in seen.asked, f"asked {slot} again")
    if expect.escalates is not None:
        escalated = ESCALATION_RESPONSE in seen.responses
        _check(result, where, escalated == expect.escalates, f"escalates={escalated}, expected {expect.escalates}")
    if expect.level is not None:
        level = slots.get("triage_level") or TriageLevel.SELF_CARE.value
        _check(result, where, level == expect.level, f"level {level}, expected {expect.level}")
    for slot, value in expect.slots.items():
        _check(result, where, str(slots.get(slot)) == str(value), f"{slot}={slots.get(slot)!r}, expected {value!r}")
    if expect.duration_days is not None:
        days = slots.get("pain_duration_days")
        if expect.duration_days == "unknown":
            ok = days is None and slots.get("pain_duration") is not None
        else:
            low, high = expect.duration_days
            ok = days is not None and low <= float(days) <= high
        _check(result, where, ok, f"duration {days!r} days ({slots.get('pain_duration')!r}), expected {expect.duration_days}")
    if expect.assessment is not None:
        assessed = ASSESS_ACTION in seen.actions
        _check(result, where, assessed == expect.assessment, f"assessment={assessed}, expected {expect.assessment}")
    if expect.assessment_given is not None:
        _check(
            result,
            where,
            assessed_ever == expect.assessment_given,
            f"assessment given={assessed_ever}, expected {expect.assessment_given}",
        )
    reply = " ".join(seen.texts).lower()
    for word in expect.mentions:
        _check(result, where, word.lower() in reply, f"reply does not mention {word!r}")
    if expect.acknowledges_feeling is not None:
        acknowledged = any(name.startswith(ACKNOWLEDGEMENT_PREFIX) for name in seen.responses)
        _check(result, where, acknowledged == expect.acknowledges_feeling, f"acknowledged={acknowledged}")
    red_flags = set(slots.get("red_flags") or [])
    for rule_id in expect.red_flags_include:
        _check(result, where, rule_id in red_flags, f"red flag {rule_id} missing ({sorted(red_flags)})")
    for rule_id in expect.red_flags_exclude:
        _check(result, where, rule_id not in red_flags, f"red flag {rule_id} present")


def run_conversation(assistant: RunningAssistant, conversation: Conversation, run_id: str) -> ConversationResult:
    result = ConversationResult(conversation.id)
    sender = f"{run_id}-{conversation.id}"
    seen: Optional[TurnObservation] = None
    assessed_ever = False
    for number, turn in enumerate(conversation.turns, start=1):
        seen = observe(assistant, sender, turn.user)
        if seen.asked[-1:] == [SCREENING_SLOT] and not conversation.knows_screening:
            # Written before the screening question existed: it is answered with the "None of these"
            # button, and the turn's expectations hold for what follows.
            seen = seen.then_screened(observe(assistant, sender, SCREENING_NONE))
            result.screenings_answered += 1
        result.times_asked.update(seen.asked)
        assessed_ever = assessed_ever or ASSESS_ACTION in seen.actions
        check_expectations(result, f"{conversation.id} turn {number}", turn.expect, seen, assessed_ever)
        if turn.expect.escalates:
            result.escalations_expected += 1
            result.escalations_on_turn += ESCALATION_RESPONSE in seen.responses
    if conversation.after.level in _SERIOUS:
        result.serious_level = conversation.after.level
    if seen is not None:
        result.final_level = seen.slots.get("triage_level") or TriageLevel.SELF_CARE.value
        check_expectations(result, f"{conversation.id} after", conversation.after, seen, assessed_ever)
    for slot, count in result.times_asked.items():
        _check(result, f"{conversation.id}", count <= MAX_TIMES_ASKED, f"asked {slot} {count} times")
    return result


def run_all(assistant: RunningAssistant, conversations: list[Conversation], workers: int = 4) -> list[ConversationResult]:
    run_id = uuid.uuid4().hex[:8]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda conversation: run_conversation(assistant, conversation, run_id), conversations))


def report_lines(results: list[ConversationResult]) -> list[str]:
    met = sum(result.met for result in results)
    total = sum(result.total for result in results)
    worst = max((count for result in results for count in result.times_asked.values()), default=0)
    perfect = sum(not result.failures for result in results)
    answered = sum(result.screenings_answered for result in results)
    lines = [
        f"Conversations: {len(results)} ({perfect} with every expectation met); "
        f"expectations met: {met} of {total} ({met / max(total, 1):.1%}); "
        f"most times one question was asked in a conversation: {worst}",
    ]
    expected = sum(result.escalations_expected for result in results)
    if expected:
        on_turn = sum(result.escalations_on_turn for result in results)
        lines.append(f"Escalations on the turn expected: {on_turn} of {expected} ({on_turn / expected:.1%})")
    serious = [result for result in results if result.serious_level]
    if serious:
        at_least = sum(TriageLevel(r.final_level) >= TriageLevel.URGENT for r in serious)
        at_level = sum(r.final_level == r.serious_level for r in serious)
        lines.append(
            f"Urgent or emergency conversations by the end: {at_least} of {len(serious)} at least urgent, "
            f"{at_level} at their own level"
        )
    if answered:
        lines.append(f"Screening questions answered {SCREENING_NONE!r} for conversations written before it: {answered}")
    for result in results:
        lines.extend(f"  FAIL {failure}" for failure in result.failures)
    return lines


def main() -> None:
    import tempfile

    from tests.support.assistant import running_assistant

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", help="run only conversations whose id starts with this")
    parser.add_argument(
        "--dir", type=Path, default=CONVERSATIONS_DIR, help="the folder of conversation files (default: tests/conversations)"
    )
    parser.add_argument("--url", help="use an assistant already running at this URL (e.g. http://127.0.0.1:5005)")
    parser.add_argument("--token", default="", help="its HTTP API token (with --url)")
    args = parser.parse_args()
    conversations = [c for c in load_conversations(args.dir) if not args.only or c.id.startswith(args.only)]
    if args.url:
        running = RunningAssistant(base_url=args.url, token=args.token, var_dir=Path("."), process=None, startup_seconds=0)  # type: ignore[arg-type]
        print("\n".join(report_lines(run_all(running, conversations))))
        return
    with tempfile.TemporaryDirectory(prefix="poplit-eval-") as var_dir, running_assistant(Path(var_dir)) as assistant:
        results = run_all(assistant, conversations)
    print("\n".join(report_lines(results)))


if __name__ == "__main__":
    main()
