"""Questions about an exercise through REST, as issue 21's examples put them: the named stretch, then a
follow-up that only refers back to it, and a follow-up that NLU cannot place at all."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from bot.knowledge import load_knowledge
from tests.e2e.conversation import run_intake
from tests.questions.evaluate import DEFAULT_SET, load_questions, run_all
from tests.support.assistant import RunningAssistant

pytestmark = pytest.mark.e2e


def said(replies: list[dict]) -> str:
    return " ".join(reply.get("text") or "" for reply in replies)


def exercise(exercise_id: str):  # noqa: ANN201 (an Exercise)
    return next(e for e in load_knowledge().exercises if e.id == exercise_id)


def test_the_named_stretch_then_how_long_to_hold_it(assistant: RunningAssistant) -> None:
    sender = "questions-" + secrets.token_hex(4)
    stretch = exercise("hamstring_stretch")
    first = said(assistant.say(sender, "what's the best stretch for a tight hamstring behind the knee?"))
    assert stretch.steps[1] in first, first  # the stretch itself, not the exercise overview
    second = said(assistant.say(sender, "how long should i hold it"))
    assert "Hamstring stretch" in second and "10-30 seconds" in second, second


def test_a_follow_up_nlu_cannot_place_is_answered_about_the_exercise_before(assistant: RunningAssistant) -> None:
    sender = "questions-" + secrets.token_hex(4)
    raise_ = exercise("calf_raise")
    assert raise_.steps[1] in said(assistant.say(sender, "how do you do calf raises"))
    assert raise_.easier in said(assistant.say(sender, "easier version pls"))
    assert raise_.harder in said(assistant.say(sender, "and if thats too easy?"))


def test_a_misspelled_exercise_name_is_read_after_the_spelling_is_mended(assistant: RunningAssistant) -> None:
    bridge = exercise("glute_bridge")
    reply = said(assistant.say("questions-" + secrets.token_hex(4), "glute bridgess feel too easy now, whats next"))
    assert bridge.harder in reply, reply


def test_what_data_it_keeps_is_answered_honestly(assistant: RunningAssistant) -> None:
    reply = said(assistant.say("questions-" + secrets.token_hex(4), "what data do you keep about me?"))
    assert load_knowledge().answer("ask_about_poplit/data_kept") in reply, reply
    assert "outside what I can help with" not in reply


def test_ice_or_heat_is_answered_for_both(assistant: RunningAssistant) -> None:
    reply = said(assistant.say("questions-" + secrets.token_hex(4), "should I use ice or heat?"))
    assert "Ice" in reply and "Heat" in reply, reply


def test_it_says_it_cannot_book_and_what_to_do_instead(assistant: RunningAssistant) -> None:
    reply = said(assistant.say("questions-" + secrets.token_hex(4), "can you book me in with a physio?"))
    assert load_knowledge().answer("ask_about_poplit/booking") in reply, reply


@pytest.mark.parametrize(
    "question, topic",
    [
        ("is it ok to run through the pain?", "ask_treatment/sport"),
        ("how long does a hamstring strain take to heal", "ask_treatment/recovery_time"),
        ("is walking good for it", "ask_treatment/walking"),
        ("what does it mean if it hurts when I straighten my leg", "ask_causes/straightening"),
    ],
)
def test_the_issues_other_questions_get_their_own_answer(assistant: RunningAssistant, question: str, topic: str) -> None:
    reply = said(assistant.say("questions-" + secrets.token_hex(4), question))
    assert load_knowledge().answer(topic) in reply, reply


# The share of the first question set (tests/blind/questions-1, 150 questions, 30 follow-ups) that must
# be answered right, as issue 21 asks; `make eval-questions` prints every miss.
QUESTIONS_1_MIN_SHARE = 0.90


def test_the_first_question_set_is_answered_right_at_least_nine_times_in_ten(
    assistant: RunningAssistant, report: Callable[[str], None]
) -> None:
    answers = run_all(assistant, load_questions(DEFAULT_SET))
    right = sum(answer.right for answer in answers)
    report(f"questions-1: {right}/{len(answers)} answered right")
    misses = [f"{a.question.id} {a.question.question!r} -> {a.reply[:100]!r}" for a in answers if not a.right]
    assert right / len(answers) >= QUESTIONS_1_MIN_SHARE, "\n".join(misses)


def test_a_described_way_of_hurting_hears_what_it_can_point_to_then_the_screening(assistant: RunningAssistant) -> None:
    replies = assistant.say("questions-" + secrets.token_hex(4), "It hurts behind the knee when I bend it all the way.")
    hint = load_knowledge().pain_story_hint("ask_causes/bending")
    assert hint and hint in said(replies[:1]), said(replies)
    assert "Do you have any of these right now?" in said(replies), said(replies)


@pytest.mark.parametrize(
    "description",
    [
        "my calf is swollen red and hot and it hurts when I bend my knee",
        "I flew back from Sydney yesterday and my calf feels weird, it hurts when I bend my knee",
    ],
)
def test_no_reassurance_beside_a_red_flag_or_before_the_screening(assistant: RunningAssistant, description: str) -> None:
    replies = said(assistant.say("questions-" + secrets.token_hex(4), description))
    assert load_knowledge().content.notes["pain_story_caveat"].text not in replies, replies


@pytest.mark.parametrize(
    "first, follow_up, topic",
    [
        ("I think I have a Baker's cyst", "Will it burst?", "ask_causes/bakers_cyst"),
        ("how long does a hamstring strain take to heal", "And a bad one?", "ask_treatment/recovery_time"),
        ("what's the best exercise for the back of my knee", "easier version pls", "ask_exercises/progression"),
        ("what data do you keep about me", "OK, how do I delete it?", "ask_about_poplit/data_delete"),
    ],
)
def test_a_follow_up_naming_no_subject_is_answered_about_the_topic_before(
    assistant: RunningAssistant, first: str, follow_up: str, topic: str
) -> None:
    sender = "questions-" + secrets.token_hex(4)
    assistant.say(sender, first)
    reply = said(assistant.say(sender, follow_up))
    assert load_knowledge().answer(topic) in reply, reply


def test_the_held_out_examples_of_the_issue_are_understood(assistant: RunningAssistant) -> None:
    """A bare yes, a request for an exercise routine and a question whether it is bad enough to see
    someone: each fell back or went to the wrong answer with the earlier pipeline."""
    knowledge = load_knowledge()
    bare_yes = said(assistant.say("questions-" + secrets.token_hex(4), "yes"))
    assert "didn't quite follow" not in bare_yes, bare_yes
    routine = said(assistant.say("questions-" + secrets.token_hex(4), "can you give me an exercise routine"))
    assert knowledge.answer("ask_exercises/which") in routine, routine
    bad_enough = said(assistant.say("questions-" + secrets.token_hex(4), "is it bad enough that I should see someone"))
    assert knowledge.when_to_see_doctor.intro in bad_enough, bad_enough


@pytest.mark.parametrize(
    "description, topic",
    [
        ("had pain at the back of my knee for a week now. how long should i ice it for", "ask_treatment/ice"),
        ("pain behind my right knee for 3 weeks, started after football. is it ok to keep playing", "ask_treatment/sport"),
        # Long stories, whose question NLU reads on its own (bot/nlu/question_part.py).
        (
            "I'm a postman so I walk about 15 km a day. For three weeks the back of my right knee has ached by "
            "the afternoon and it's stiff first thing. Would a knee sleeve help?",
            "ask_treatment/support",
        ),
        (
            "Been gardening loads this month, kneeling and squatting, and now the back of my knee aches when I "
            "straighten it after sitting. how long does this usually take to settle",
            "ask_treatment/recovery_time",
        ),
        (
            "its been sore behind my knee since i moved house 2 weeks ago, lots of lifting boxes and it aches "
            "when i sit for long, do i need to see someone about it",
            "ask_when_to_see_doctor",
        ),
        # Beside a finding below urgent (pain that is not improving): still answered.
        (
            "The back of my knee has ached for 7 weeks since I started a new warehouse job and it isn't getting "
            "any better even with rest, do I need to see someone about it?",
            "ask_when_to_see_doctor",
        ),
    ],
)
def test_a_question_beside_a_description_is_answered_before_the_intake_then_not_again(
    assistant: RunningAssistant, description: str, topic: str
) -> None:
    knowledge = load_knowledge()
    turns = [said(replies) for replies in run_intake(assistant, "questions-" + secrets.token_hex(4), description)]
    answer, bridge = knowledge.answer(topic), knowledge.content.notes["questions_after_answer"].text
    assert answer in turns[0] and bridge in turns[0], turns[0]
    # The intake still starts: the screening question comes after the answer.
    assert turns[0].index(bridge) < turns[0].index("Do you have any of these right now?"), turns[0]
    # The assessment at the end of the intake does not say the same answer again.
    assert not any(answer in later for later in turns[1:]), turns[1:]


def test_a_cause_asked_about_at_the_end_of_a_story_gets_what_it_can_point_to(assistant: RunningAssistant) -> None:
    story = (
        "I'm 64 and for a few months now the back of my right knee is stiff every morning, it loosens up once "
        "I've been moving for a while. could it be arthritis"
    )
    replies = said(assistant.say("questions-" + secrets.token_hex(4), story))
    hint = load_knowledge().pain_story_hint("ask_causes/osteoarthritis")
    assert hint and hint in replies, replies
    assert replies.index(hint) < replies.index("Do you have any of these right now?"), replies
