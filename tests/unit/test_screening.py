"""The red-flag screening question: reading its answers, what a sign escalates to, when a message
calls for it at once, and the intake's and the safety policy's part in it (issue 19, item 3)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SlotSet

from bot import names
from bot.intake import SCREENING_SAFETY_RESPONSE, answers_despite_intent
from bot.levels import TriageLevel
from bot.policies.red_flag_policy import ESCALATION_RESPONSE, next_safety_step
from bot.triage import assess, read_text
from bot.triage.screening import ANY_SIGN, ScreeningVerdict, load_screening, screening_findings
from tests.support.assistant import PROJECT_ROOT
from tests.unit.test_intake import update
from tests.unit.test_red_flag_adapters import slot_events, tracker_with, user

SIGNS, NONE, UNSURE, UNREADABLE = (
    ScreeningVerdict.SIGNS,
    ScreeningVerdict.NONE,
    ScreeningVerdict.UNSURE,
    ScreeningVerdict.UNREADABLE,
)
EMERGENCY_SIGNS = {"breathing", "cold_foot"}


def question_buttons() -> list[str]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return [button["payload"] for button in domain["responses"]["utter_ask_red_flag_screen"][0]["buttons"]]


def test_every_button_reads_as_one_sign_none_or_not_sure_and_every_sign_has_a_button() -> None:
    answers = [read_text(payload).screening_answer for payload in question_buttons()]
    signs = [answer.signs for answer in answers if answer.verdict is SIGNS]
    assert all(len(named) == 1 for named in signs)
    assert [named[0] for named in signs] == [sign.id for sign in load_screening().signs]
    assert [answer.verdict for answer in answers if answer.verdict is not SIGNS] == [NONE, UNSURE]


@pytest.mark.parametrize(
    "answer, signs",
    [
        ("my calf is a bit red n warm", {"calf"}),
        ("calff is swolen", {"calf"}),
        ("cant catch my breth", {"breathing"}),
        ("bit of chest pain when i breathe in", {"breathing"}),
        ("had a temp last nite n shivery", {"fever"}),
        ("foot feels cold and looks kinda blue", {"cold_foot"}),
        ("toes r numb", {"weak_foot"}),
        ("i cant lift my foot up properly", {"weak_foot"}),
        ("cant put any weight on it", {"knee"}),
        ("its stuck bent", {"knee"}),
        ("locked", {"knee"}),
        ("no fever but my calf is hot", {"calf"}),
        ("not sure, maybe a bit warm", {"calf"}),  # a hedged sign is still a sign
        ("yes", {ANY_SIGN}),
    ],
)
def test_free_text_answers_that_name_a_sign(answer: str, signs: set[str]) -> None:
    read = read_text(answer).screening_answer
    assert read.verdict is SIGNS and set(read.signs) == signs


@pytest.mark.parametrize(
    "answer, verdict",
    [
        ("nah none of those", NONE),
        ("no", NONE),
        ("nope nothin like that", NONE),
        ("no fever, no chest pain, calf normal", NONE),
        ("my breathing is fine", NONE),
        ("my calf is fine tbh", NONE),
        ("idk", UNSURE),
        ("not rly sure", UNSURE),
        ("dunno", UNSURE),
        ("it gets stuck sometimes for a few seconds, then ok", NONE),  # catching, not a knee locked now
        ("banana", UNREADABLE),
        ("what do you mean", UNREADABLE),
    ],
)
def test_answers_that_name_no_sign(answer: str, verdict: ScreeningVerdict) -> None:
    assert read_text(answer).screening_answer.verdict is verdict


@pytest.mark.parametrize("sign", [sign.id for sign in load_screening().signs] + [ANY_SIGN])
def test_each_sign_escalates_through_a_rule_of_its_own(sign: str) -> None:
    answer = read_text("yes" if sign == ANY_SIGN else "x").screening_answer
    answer = type(answer)(SIGNS, (sign,))
    assessment = assess(screening_findings(answer, "their words"))
    expected = TriageLevel.EMERGENCY if sign in EMERGENCY_SIGNS else TriageLevel.URGENT
    assert assessment.level is expected and assessment.rule_ids[0].startswith("screening_")
    assert assessment.evidence[0][2] == "their words"


@pytest.mark.parametrize(
    "text",
    [
        "my brething is weird since yesterday",  # a red-flag word the lexicon did not place
        "flew back from spain yesterday n my leg aches",  # a clot risk factor with a leg word
        "just had my op last week and my calf feels odd",
        "started the pill last month, now the calf is a bit achy",
        "so I was at work all day which was a nightmare because my manager keeps changing the rota and then "
        "on the way home the bus was late and I had to stand for ages, and anyway by the time I got in the back "
        "of my leg was throbbing like mad and it still is",  # long, with a symptom word outside any finding
    ],
)
def test_messages_that_call_for_the_screening_question(text: str) -> None:
    assert read_text(text).screening_trigger


@pytest.mark.parametrize(
    "text",
    [
        "pain behind my knee when I squat",
        "what exercises help with knee pain",
        "my dad had a clot in his calf once",
        "hi there",
        "how long should I hold the stretch",
        "it's a number 4 today, does that count",
    ],
)
def test_ordinary_messages_do_not(text: str) -> None:
    assert read_text(text).screening_trigger is None


def screening_pending(answer: str) -> list:
    return [
        ActiveLoop(names.INTAKE_FORM),
        SlotSet(names.REQUESTED_SLOT, names.RED_FLAG_SCREEN),
        ActionExecuted(ACTION_LISTEN_NAME),
        user(answer, "inform"),
    ]


def test_a_sign_named_in_answer_escalates_at_once_and_ends_the_intake() -> None:
    step = next_safety_step(tracker_with(screening_pending("Breathless or chest pain")))
    slots = slot_events(step)
    assert step.action == ESCALATION_RESPONSE and ActiveLoop(None) in step.events
    assert slots["triage_level"] == "emergency" and "screening_breathing" in slots["red_flags"]
    assert slots[names.RED_FLAG_SCREEN] == "breathing"
    evidence = {(item["rule_id"], item["text"]) for item in slots["escalation"]["evidence"]}
    assert ("screening_breathing", "Breathless or chest pain") in evidence

    step = next_safety_step(tracker_with(screening_pending("my calf is kinda warm n puffy")))
    assert step.action == ESCALATION_RESPONSE and slot_events(step)["triage_level"] == "urgent"


def test_none_to_the_screening_question_leaves_the_intake_to_go_on() -> None:
    assert next_safety_step(tracker_with(screening_pending("none of these"))).action is None


def test_the_same_words_when_another_question_is_pending_are_no_screening_answer() -> None:
    events = [
        ActiveLoop(names.INTAKE_FORM),
        SlotSet(names.REQUESTED_SLOT, "swelling"),
        ActionExecuted(ACTION_LISTEN_NAME),
        user("yes", "affirm"),
    ]
    assert next_safety_step(tracker_with(events)).action is None


def test_a_message_that_calls_for_screening_starts_the_intake_once_and_never_inside_a_form() -> None:
    text = "flew home from dubai yesterday and my leg feels odd"
    assert next_safety_step(tracker_with([user(text, "ask_exercises")])).action == names.INTAKE_FORM
    answered = tracker_with([user(text, "ask_exercises")], slots={names.RED_FLAG_SCREEN: "none"})
    assert next_safety_step(answered).action is None
    in_check_in = [ActiveLoop("check_in_form"), ActionExecuted(ACTION_LISTEN_NAME), user(text, "inform")]
    assert next_safety_step(tracker_with(in_check_in)).action is None
    already_urgent = tracker_with([user(text, "inform")], slots={names.TRIAGE_LEVEL: "urgent"})
    assert next_safety_step(already_urgent).action is None


def test_the_intake_takes_none_and_unsure_and_twice_unreadable_is_unsure_with_the_safety_advice() -> None:
    screen = names.RED_FLAG_SCREEN
    assert update("nah none of them", asked=screen).changes == {screen: "none"}
    unsure = update("not sure", asked=screen)
    assert unsure.changes == {screen: "unsure"} and SCREENING_SAFETY_RESPONSE in unsure.responses
    first = update("banana", asked=screen)
    assert first.changes == {} and first.responses == ["utter_hint_red_flag_screen"]
    second = update("banana", asked=screen, misses=first.misses)
    assert second.changes == {screen: "unsure"} and second.responses == [SCREENING_SAFETY_RESPONSE]


def test_only_a_direct_answer_fills_the_screening_question() -> None:
    result = update(None, earlier=("no fever and my breathing is fine, the pain is behind my knee",))
    assert names.RED_FLAG_SCREEN not in result.changes and result.changes["pain_location"] == "back_of_knee"


@pytest.mark.parametrize(
    "text, asked, answers",
    [
        ("maybe 3 weeks?", "pain_duration", True),
        ("6?", "pain_score", True),
        ("like a 5 or 6?", "pain_score", True),
        ("the back of the knee?", "pain_location", True),
        ("how long does it usually take to heal?", "pain_duration", False),
        ("is 6 bad?", "pain_score", False),
        ("what exercises can I do?", "pain_score", False),
        ("normal", "weight_bearing", True),
        ("stop, that's enough questions", "weight_bearing", False),
    ],
)
def test_an_answer_said_as_a_question_is_still_the_answer(text: str, asked: str, answers: bool) -> None:
    assert answers_despite_intent(read_text(text), asked) is answers


def test_the_action_server_loads_neither_spacy_nor_the_lexicon_nor_the_speller() -> None:
    # Every action module, as `python -m bot actions` imports them, and one intake turn read from a
    # stored reading, in a fresh interpreter.
    code = (
        "import sys, importlib, pkgutil, actions\n"
        "for m in pkgutil.iter_modules(actions.__path__): importlib.import_module('actions.' + m.name)\n"
        "import bot.action_server\n"
        "heavy = sorted(n for n in ('spacy', 'symspellpy', 'bot.triage.extract', 'bot.triage.pipeline') if n in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == ""
