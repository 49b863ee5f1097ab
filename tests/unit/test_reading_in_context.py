"""What a phone-typed message means in its context: whose it is, whether it is over, which number
answers the question. Mechanisms found by the fourth blind typed set, tested on wordings of their own."""

from __future__ import annotations

from datetime import date

import pytest

from bot.intake import SCREENING_SAFETY_RESPONSE, answers_despite_intent, describes_own_pain, read_message, update_intake
from bot.levels import TriageLevel
from bot.triage import Status, read_text

TODAY = date(2026, 12, 7)


def _statuses(text: str) -> dict[str, Status]:
    return {mention.finding.name: mention.status for mention in read_text(text).mentions}


@pytest.mark.parametrize(
    "text, finding, status",
    [
        # someone else's complaint, the apostrophe left out
        ("my wifes calf is swollen n red, mine is just achy behind the knee", "calf_swelling", Status.OTHER_PERSON),
        ("my brothers knee locked at footy, im asking about my own knee", "locking", Status.OTHER_PERSON),
        # someone else's event, where the writer was: the complaint is the writer's
        ("was at my brothers stag do all weekend and now my calf is swollen and red", "calf_swelling", Status.CURRENT),
        ("went to my mum's birthday meal and my knee swelled up after", "swelling", Status.CURRENT),
        # dated, then said to be over
        ("had a temperature last week but its all gone now", "fever", Status.PAST),
        ("calf was swollen a fortnight ago, long gone", "calf_swelling", Status.PAST),
        # what it keeps doing, fine at the moment
        ("it catches every so often then frees off, ok right now", "catching", Status.CURRENT),
        ("it swelled up after the match, fine now", "swelling", Status.PAST),
    ],
)
def test_whose_it_is_and_whether_it_is_over(text: str, finding: str, status: Status) -> None:
    assert _statuses(text).get(finding) == status


@pytest.mark.parametrize(
    "text, level, rule",
    [
        ("entire leg has swollen up from my hip down to the foot", TriageLevel.URGENT, "dvt_signs"),
        ("whole leg is puffy and tight on the right", TriageLevel.URGENT, "dvt_signs"),
        ("been waking up in night sweats lately and the knee aches", TriageLevel.SEE_CLINICIAN, "systemic"),
        ("dropped nearly 6 kg without trying and my knee hurts behind", TriageLevel.SEE_CLINICIAN, "systemic"),
        ("my leg went numb below the knee and it's gone pale", TriageLevel.EMERGENCY, "ischaemia"),
        ("the foot on my bad side is really cold", TriageLevel.EMERGENCY, "ischaemia"),
        ("after the tackle it's bent sideways", TriageLevel.EMERGENCY, "dislocation_deformity"),
        ("ache is only a 2 but its been 4 months and nothing i've tried helps", TriageLevel.SEE_CLINICIAN, "not_improving"),
    ],
)
def test_signs_typed_loosely_reach_their_level(text: str, level: TriageLevel, rule: str) -> None:
    assessment = read_text(text).assessment
    assert assessment.level == level and rule in assessment.rule_ids


@pytest.mark.parametrize(
    "text",
    [
        "the heating's been off so the whole house is freezing, knee just a bit sore",
        "foot colour is normal, knee aches at the back",
        "locked my keys in the car lol, knee is a bit achy",
        "crashed out on the sofa all evening, now the back of my knee is stiff",
        "trying to lose weight to help my knees",
    ],
)
def test_other_meanings_raise_nothing_serious(text: str) -> None:
    assert read_text(text).assessment.level <= TriageLevel.SELF_CARE


@pytest.mark.parametrize(
    "text, asked, slot, value",
    [
        # a typo in the unit, and a duration corrected at once
        ("abt 6 dyas", "pain_duration", "pain_duration", "about 6 days"),
        ("2 months no sorry 3", "pain_duration", "pain_duration", "3 months"),
        ("a week, i mean 2", "pain_duration", "pain_duration", "2 weeks"),
        # a rating that is not today's is left out of the answer
        ("4, but what happens if it gets to a 10?", "pain_score", "pain_score", "4"),
        # the answer first, then something over
        ("nope, my other ankle swelled up after a sprain years ago but that's long gone", "swelling", "swelling", "no"),
    ],
)
def test_answers_read_in_their_context(text: str, asked: str, slot: str, value: str) -> None:
    assert read_message(read_text(text), asked, TODAY).answers.get(slot) == value


def test_the_date_of_something_over_is_not_how_long_the_pain_has_lasted() -> None:
    answers = read_message(
        read_text("had a fever last month but its long gone, none of the rest"), "red_flag_screen", TODAY
    ).answers
    assert answers.get("red_flag_screen") == "none" and "pain_duration" not in answers


def test_a_durations_correction_is_no_pain_score() -> None:
    assert "pain_score" not in read_message(read_text("3 weeks, i mean 2"), "pain_duration", TODAY).answers


@pytest.mark.parametrize("text", ["knee's been playin up", "left knee actin up again", "knee killin me since saturday"])
def test_a_description_typed_loosely_without_my_is_one(text: str) -> None:
    assert describes_own_pain(read_text(text))


def test_said_with_thanks_an_answer_to_another_question_counts() -> None:
    reading = read_text("walkin ok ty")
    assert not answers_despite_intent(reading, "pain_location")
    assert answers_despite_intent(reading, "pain_location", social=True)
    assert not answers_despite_intent(read_text("ok thanks bye"), "pain_location", social=True)


def test_no_hint_for_a_question_closed_on_the_same_turn() -> None:
    """Asked three times already, an unreadable answer closes the question: no hint promising it again."""
    update = update_intake(
        current={},
        earlier_messages=[],
        latest_message=read_text("like a 5 by the end of the day"),
        asked="red_flag_screen",
        misses={},
        times_asked={"red_flag_screen": 3},
    )
    assert update.changes["red_flag_screen"] == "unsure"
    assert update.responses == [SCREENING_SAFETY_RESPONSE]


@pytest.mark.parametrize(
    "text, level, rule",
    [
        # "it" after the limb and a break: cold as well as colour
        ("can't feel my foot at all and it's freezing", TriageLevel.EMERGENCY, "ischaemia"),
        ("my toes went numb and its colder than the other foot", TriageLevel.EMERGENCY, "ischaemia"),
        # a fever as a number, feeling like dying as very unwell
        ("temperature of 39 and i feel like i'm dying, knee is red", TriageLevel.EMERGENCY, "infection_unwell"),
        # a knee that looks wrong
        ("it popped and now the knee looks crooked", TriageLevel.EMERGENCY, "dislocation_deformity"),
        # a list under "can't"
        ("can't straighten or bend it properly since the weekend", TriageLevel.SEE_CLINICIAN, "cannot_fully_bend"),
        ("tried physio and stretches for weeks, no difference", TriageLevel.SEE_CLINICIAN, "not_improving"),
        ("my kneecap feels like it shifts about when I turn", TriageLevel.SEE_CLINICIAN, "unstable"),
        ("i can walk but not properly, back of knee sore", TriageLevel.SEE_CLINICIAN, "limp_cannot_walk"),
    ],
)
def test_typed_five_families_reach_their_level(text: str, level: TriageLevel, rule: str) -> None:
    assessment = read_text(text).assessment
    assert assessment.level == level and rule in assessment.rule_ids, assessment


@pytest.mark.parametrize(
    "text",
    [
        "my hands and feet are always cold, knee aches at the back",
        "feet get freezing in winter, unrelated, just a tight hamstring",
        "got a cold this week and the knee is a bit sore",
        "legs are dead after the gym lol, back of knee a bit tight",
        "been stuck indoors all week with the kids, knee stiff from sitting",
        "my nieces knee locked at netball, mine just aches",
        "i'd bend over backwards for my team but my knee is sore behind",
    ],
)
def test_typed_five_other_meanings_raise_nothing_serious(text: str) -> None:
    assert read_text(text).assessment.level <= TriageLevel.SELF_CARE


@pytest.mark.parametrize(
    "text, asked, slot, value",
    [
        ("prob a 6 by the end of my shift", "pain_score", "pain_score", "6"),  # the one figure of a score answer
        ("since yday", "pain_duration", "pain_duration", "since yesterday"),  # a vague typed date, read normalised
    ],
)
def test_typed_five_answers(text: str, asked: str, slot: str, value: str) -> None:
    assert read_message(read_text(text), asked, TODAY).answers.get(slot) == value


@pytest.mark.parametrize("text", ["twice a day", "worst at 7pm", "about 3 kg heavier"])
def test_a_figure_that_counts_something_else_is_no_score(text: str) -> None:
    assert "pain_score" not in read_message(read_text(text), "pain_score", TODAY).answers


@pytest.mark.parametrize(
    "text",
    [
        "had a clot in my lung 5 years ago, now the back of my knee aches",  # history dates itself
        "my calf cramps when i stand for ages at work",  # how long an activity lasts
    ],
)
def test_dates_that_are_not_how_long_the_pain_has_lasted(text: str) -> None:
    assert "pain_duration" not in read_message(read_text(text), None, TODAY).answers


@pytest.mark.parametrize(
    "text, description",
    [
        ("knee's been giving me grief, can u help", True),
        ("aching at the back of my left knee", True),
        ("can you help me with stretches?", False),
        ("why do i get pain in my leg at night?", False),
    ],
)
def test_a_plea_for_help_is_no_question(text: str, description: bool) -> None:
    assert describes_own_pain(read_text(text)) is description


@pytest.mark.parametrize(
    "text, level, rule",
    [
        # a temperature that is a fever, in either scale
        ("knee hot and swollen, temp was 38.6 last night and today", TriageLevel.URGENT, "infection"),
        ("swollen red knee and a fever of 101.5", TriageLevel.URGENT, "infection"),
        # the pill and HRT are clot risk factors (NICE NG158)
        ("my calf is sore and tender and i'm on the pill", TriageLevel.URGENT, "dvt_signs"),
        ("on hrt and my calf has gone tight and painful", TriageLevel.URGENT, "dvt_signs"),
        ("calf swollen since my c-section last week", TriageLevel.URGENT, "dvt_signs"),
        ("the ache wakes me at 4am most nights", TriageLevel.SEE_CLINICIAN, "systemic"),
    ],
)
def test_typed_six_families_reach_their_level(text: str, level: TriageLevel, rule: str) -> None:
    assessment = read_text(text).assessment
    assert assessment.level == level and rule in assessment.rule_ids, assessment


@pytest.mark.parametrize(
    "text",
    [
        "temp is 37 so no fever, knee just a bit achy",
        "my dogs leg is swollen, vet tomorrow, my knee just aches after running",
        "the ladder gave way and i jumped off fine, knee aches a bit now",
        "i can't put on weight however much i eat, knee is a bit sore",
    ],
)
def test_typed_six_other_meanings_raise_nothing_serious(text: str) -> None:
    assert read_text(text).assessment.level <= TriageLevel.SEE_CLINICIAN


@pytest.mark.parametrize(
    "text, level, rule",
    [
        # "it" opening the next clause is the part of the leg just named
        ("calf mostly... and its swolen and tender, had a c-section 3 wks ago", TriageLevel.URGENT, "dvt_signs"),
        ("my toes went numb, it's white now", TriageLevel.EMERGENCY, "ischaemia"),
        ("my calf aches. it feels swollen and tight, flew back from spain yesterday", TriageLevel.URGENT, "dvt_signs"),
    ],
)
def test_it_after_a_part_of_the_leg_is_that_part(text: str, level: TriageLevel, rule: str) -> None:
    assessment = read_text(text).assessment
    assert assessment.level == level and rule in assessment.rule_ids, assessment


@pytest.mark.parametrize(
    "text, location",
    [
        ("not in my calf, it's more behind the knee", "back_of_knee"),  # "it" points at a place: not the calf
        ("not the calf, its mainly behind the kneecap", "behind_kneecap"),
    ],
)
def test_it_pointing_at_a_place_is_no_part_of_the_leg(text: str, location: str) -> None:
    assert read_message(read_text(text), None, TODAY).answers.get("pain_location") == location


def test_it_in_a_clause_about_the_weather_is_not_the_foot() -> None:
    assert read_text("my foot aches when it's cold").assessment.level <= TriageLevel.SELF_CARE


def test_a_since_phrase_ends_where_the_next_clause_begins() -> None:
    answers = read_message(read_text("since the fall my foot is tingly"), "pain_duration", TODAY).answers
    assert answers.get("pain_duration") == "since the fall"


def test_a_correction_of_an_earlier_answer_is_an_answer_whatever_nlu_saw() -> None:
    # Asked for the score, the person corrects the duration; NLU may take it for a question.
    assert answers_despite_intent(read_text("actually for about two months"), "pain_score")
    assert answers_despite_intent(read_text("no wait, it has been 6 weeks"), "pain_score")
    assert not answers_despite_intent(read_text("actually, how long will it take to heal?"), "pain_score")
    assert not answers_despite_intent(read_text("for about two months"), "pain_score")  # not put as a correction
