"""bot.knowledge: the schema, topic answers, advice for a profile, rendering and the Rasa export."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.knowledge import (
    RETRIEVAL_TOPIC_KEYS,
    TOPIC_KEYS,
    Advice,
    Knowledge,
    KnowledgeError,
    load_knowledge,
    render_advice,
)
from bot.knowledge.export import responses_yaml
from bot.knowledge.knowledge import KNOWLEDGE_DIR
from bot.levels import TriageLevel
from bot.profile import SymptomProfile

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEVELS = list(TriageLevel)
CARE_LEVELS = [TriageLevel.SELF_CARE, TriageLevel.SEE_CLINICIAN]
HELP_NOW_LEVELS = [TriageLevel.URGENT, TriageLevel.EMERGENCY]


def profile(**fields: Any) -> SymptomProfile:
    for name in ("symptoms", "activities", "mechanical"):
        if name in fields:
            fields[name] = frozenset(fields[name])
    return SymptomProfile(**fields)


LUMP = profile(location="back_of_knee", symptoms={"lump"})
KNEECAP = profile(location="behind_kneecap", symptoms={"ache"}, activities={"stairs", "sitting"}, onset="gradual")
LOCKING = profile(location="back_of_knee", symptoms={"locking", "catching"}, mechanical={"locking", "catching"})
HAMSTRING_RUNNER = profile(location="hamstring", symptoms={"tightness"}, activities={"running"})
CALF_RUNNER = profile(location="calf", symptoms={"tightness"}, activities={"running"})
DESK_WORKER = profile(location="back_of_knee", symptoms={"tightness"}, activities={"sitting"})
NOTHING_KNOWN = SymptomProfile()
# Rules out as much as possible at once: standing, deep loaded bending and fall risks.
MOST_RESTRICTED = profile(
    location="back_of_knee",
    symptoms={"locking", "giving_way", "swelling", "numbness"},
    mechanical={"locking", "giving_way"},
    weight_bearing="cannot_bear_weight",
    onset="injury",
    activities={"blow_to_knee"},
)
PROFILES = [LUMP, KNEECAP, LOCKING, HAMSTRING_RUNNER, CALF_RUNNER, DESK_WORKER, NOTHING_KNOWN, MOST_RESTRICTED]


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge()


# --- schema -------------------------------------------------------------------------------------


def test_shipped_files_load_and_the_default_is_cached(knowledge: Knowledge) -> None:
    assert load_knowledge() is knowledge
    assert len(knowledge.causes) == 6
    assert 9 <= len(knowledge.exercises) <= 13
    assert all(item.source for item in (*knowledge.causes, *knowledge.treatments, *knowledge.exercises))


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    for path in KNOWLEDGE_DIR.glob("*.yml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def edit(directory: Path, name: str, change: Callable[[dict], None]) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def entry(data: dict, section: str, entry_id: str) -> dict:
    return next(item for item in data[section] if item["id"] == entry_id)


def problems_after(directory: Path, name: str, change: Callable[[dict], None]) -> str:
    edit(directory, name, change)
    with pytest.raises(KnowledgeError) as raised:
        load_knowledge(directory)
    return str(raised.value)


def test_an_unchanged_copy_loads(copied: Path) -> None:
    assert load_knowledge(copied).topic_keys() == list(TOPIC_KEYS)


def test_missing_source_is_named_by_file_entry_and_field(copied: Path) -> None:
    message = problems_after(copied, "causes.yml", lambda data: entry(data, "causes", "bakers_cyst").pop("source"))
    assert "causes.yml: causes[bakers_cyst]: field 'source' is missing" in message


def test_unknown_match_tag_is_rejected_with_the_allowed_values(copied: Path) -> None:
    message = problems_after(
        copied, "causes.yml", lambda data: entry(data, "causes", "meniscus")["matches"]["symptoms"].update(clunking=2)
    )
    assert "causes.yml: causes[meniscus]: field 'matches.symptoms' has unknown tag 'clunking'" in message
    assert "locking" in message  # the allowed values are listed


def test_unknown_avoid_when_tag_is_rejected(copied: Path) -> None:
    message = problems_after(
        copied, "exercises.yml", lambda data: entry(data, "exercises", "step_up")["avoid_when"].append("wobbly")
    )
    assert "exercises.yml: exercises[step_up]: field 'avoid_when' has unknown tag(s) ['wobbly']" in message


@pytest.mark.parametrize(
    ("dosing_change", "expected"),
    [
        ({"reps": [15, 8]}, "field 'dosing.reps' is [15, 8], outside 8-15 or with min > max"),
        ({"sets": 6}, "field 'dosing.sets' is 6, outside 2-3"),
        ({"reps": "lots"}, "field 'dosing.reps' must be a whole number or [min, max]"),
        ({"kind": "cardio"}, "field 'dosing.kind' must be one of"),
        ({"frequency": "hourly"}, "field 'dosing.frequency' must be one of"),
        ({"hold_seconds": 60}, "field 'dosing.hold_seconds' is 60, outside 1-10"),
    ],
)
def test_bad_dosing_is_rejected(copied: Path, dosing_change: dict, expected: str) -> None:
    message = problems_after(
        copied, "exercises.yml", lambda data: entry(data, "exercises", "glute_bridge")["dosing"].update(dosing_change)
    )
    assert f"exercises.yml: exercises[glute_bridge]: {expected}" in message


def test_stretch_hold_outside_the_guideline_is_rejected(copied: Path) -> None:
    message = problems_after(
        copied,
        "exercises.yml",
        lambda data: entry(data, "exercises", "hamstring_stretch")["dosing"].update(hold_seconds=[5, 60]),
    )
    assert "exercises[hamstring_stretch]: field 'dosing.hold_seconds' is [5, 60], outside 10-30" in message


def test_standing_exercise_must_be_ruled_out_when_weight_cannot_be_borne(copied: Path) -> None:
    message = problems_after(copied, "exercises.yml", lambda data: entry(data, "exercises", "calf_raise").update(avoid_when=[]))
    assert "exercises[calf_raise]: field 'avoid_when' must include cannot_bear_weight" in message


def test_misspelt_field_and_unanswered_topic_are_reported_together(copied: Path) -> None:
    def change(data: dict) -> None:
        taping = entry(data, "treatments", "taping")
        taping["sorce"] = taping.pop("source")
        del taping["topic"]

    message = problems_after(copied, "treatments.yml", change)
    assert "treatments.yml: treatments[taping]: field 'source' is missing" in message
    assert "treatments.yml: treatments[taping]: field 'sorce' is not a known field" in message
    assert "no entry answers topic 'ask_treatment/taping'" in message


def test_emergency_message_needs_the_number_placeholder_and_braces_are_reserved(copied: Path) -> None:
    def change(data: dict) -> None:
        data["level_messages"]["emergency"]["text"] = "Call for help now."
        data["level_messages"]["urgent"]["text"] = "Hello {name}. Get checked today."

    message = problems_after(copied, "messages.yml", change)
    assert "messages.yml: level_messages[emergency]: field 'text' must contain {emergency_number}" in message
    assert "messages.yml: level_messages[urgent]: field 'text' must not contain braces" in message


def test_type_errors_name_the_file_the_entry_and_the_nested_field(copied: Path) -> None:
    def change_causes(data: dict) -> None:
        entry(data, "causes", "meniscus")["matches"]["symptoms"]["locking"] = "lots"

    def change_messages(data: dict) -> None:
        data["when_to_see_doctor"]["signs"][1].pop("text")

    edit(copied, "causes.yml", change_causes)
    edit(copied, "messages.yml", change_messages)
    message = problems_after(copied, "treatments.yml", lambda data: entry(data, "treatments", "ice").update(levels=["sometimes"]))
    assert "causes.yml: causes[meniscus]: field 'matches.symptoms.locking' value is not a valid integer" in message
    assert "treatments.yml: treatments[ice]: field 'levels' value is not a valid enumeration member" in message
    assert "messages.yml: when_to_see_doctor: signs[" in message and "field 'text' is missing" in message
    # A broken entry still answers its own topic: no second, misleading problem about it.
    assert "ask_treatment/ice" not in message


def test_a_standing_exercise_without_avoid_when_is_still_checked(copied: Path) -> None:
    message = problems_after(copied, "exercises.yml", lambda data: entry(data, "exercises", "calf_raise").pop("avoid_when"))
    assert "exercises[calf_raise]: field 'avoid_when' must include cannot_bear_weight" in message


def test_a_way_of_hurting_needs_its_hint(copied: Path) -> None:
    message = problems_after(copied, "causes.yml", lambda data: entry(data, "notes", "night_pain").pop("hint"))
    assert "notes[night_pain]: field 'hint' is missing" in message


def test_an_empty_file_is_reported(copied: Path) -> None:
    (copied / "prevention.yml").write_text("", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="prevention.yml: file is empty"):
        load_knowledge(copied)


def test_the_night_pain_hint_keeps_its_caveat(knowledge: Knowledge) -> None:
    hint = knowledge.pain_story_hint("ask_causes/night_pain")
    assert hint and "doctor" in hint and knowledge.content.notes["pain_story_caveat"].text in hint
    assert knowledge.pain_story_hint("ask_treatment/ice") is None


def test_a_missing_file_is_reported(copied: Path) -> None:
    (copied / "prevention.yml").unlink()
    with pytest.raises(KnowledgeError, match="prevention.yml: file is missing"):
        load_knowledge(copied)


# --- topic answers ------------------------------------------------------------------------------


def sentences(text: str) -> list[str]:
    """The prose sentences of an answer; "- " bullet lines are list items, not sentences."""
    prose = " ".join(line for line in text.splitlines() if not line.startswith("- "))
    return re.findall(r"[^.!?:]+[.!?:]", prose)


def test_topic_keys_are_exactly_the_retrieval_sub_intents(knowledge: Knowledge) -> None:
    assert knowledge.topic_keys() == list(RETRIEVAL_TOPIC_KEYS) + ["ask_when_to_see_doctor"]
    assert len(set(knowledge.topic_keys())) == 57


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("topic", TOPIC_KEYS)
def test_every_topic_answers_in_two_to_six_short_sentences(knowledge: Knowledge, topic: str, level: TriageLevel) -> None:
    answer = knowledge.answer(topic, level)
    found = sentences(answer)
    assert 2 <= len(found) <= 6, (topic, found)
    assert all(len(sentence.split()) <= 32 for sentence in found), found
    assert "{" not in answer and "}" not in answer


def test_an_unknown_sub_topic_gets_its_intents_overview(knowledge: Knowledge) -> None:
    assert knowledge.answer("ask_causes/gout", TriageLevel.SELF_CARE) == knowledge.answer(
        "ask_causes/overview", TriageLevel.SELF_CARE
    )
    assert knowledge.answer("ask_treatment", TriageLevel.SELF_CARE) == knowledge.answer(
        "ask_treatment/overview", TriageLevel.SELF_CARE
    )
    assert knowledge.answer("ask_exercises/yoga", TriageLevel.SELF_CARE) == knowledge.answer(
        "ask_exercises/which", TriageLevel.SELF_CARE
    )


def test_a_wholly_unknown_intent_is_a_key_error(knowledge: Knowledge) -> None:
    with pytest.raises(KeyError):
        knowledge.answer("ask_recipes/cake", TriageLevel.SELF_CARE)


@pytest.mark.parametrize(
    ("topic", "fact"),
    [
        ("ask_treatment/massage", "back of the knee itself"),
        ("ask_treatment/injections", "few times a year"),
        ("ask_treatment/cycling", "saddle"),
        ("ask_treatment/swimming", "breaststroke"),
        ("ask_treatment/gym", "leg press"),
        ("ask_treatment/walking", "short walks"),
        ("ask_causes/straightening", "locks"),
        ("ask_causes/bending", "cushion"),
        ("ask_causes/after_sitting", "every 30 to 60 minutes"),
        ("ask_causes/night_pain", "history of cancer"),
        ("ask_causes/clicking", "usually harmless"),
        ("ask_causes/stairs", "good leg"),
        ("ask_exercises/progression", "one thing at a time"),
        ("ask_exercises/soreness", "three days"),
        ("ask_prevention/warm_up", "5 to 10 minutes"),
    ],
)
def test_each_added_answer_carries_the_fact_that_makes_it_useful(knowledge: Knowledge, topic: str, fact: str) -> None:
    assert fact in knowledge.answer(topic, TriageLevel.SELF_CARE)


def test_answers_carry_the_facts_the_brief_names(knowledge: Knowledge) -> None:
    self_care = TriageLevel.SELF_CARE
    assert "20 minutes" in knowledge.answer("ask_treatment/ice", self_care)
    medication = knowledge.answer("ask_treatment/medication", self_care)
    assert all(word in medication for word in ("ibuprofen", "naproxen", "acetaminophen", "paracetamol", "safe for you"))
    assert "X" in knowledge.answer("ask_treatment/taping", self_care)
    assert "prehab" in knowledge.answer("ask_treatment/surgery", self_care)
    assert "hip and ankle" in knowledge.answer("ask_treatment/physical_therapy", self_care)
    assert "150 minutes" in knowledge.answer("ask_prevention/activity_amount", self_care)
    assert "45 minutes" in knowledge.answer("ask_prevention/movement_breaks", self_care)
    assert "10%" in knowledge.answer("ask_prevention/weight", self_care)
    assert "5 out of 10" in knowledge.answer("ask_exercises/pain_ok", self_care)
    assert "10 to 30 seconds" in knowledge.answer("ask_exercises/hold_time", self_care)
    imaging = knowledge.answer("ask_causes/imaging", self_care)
    assert all(word in imaging for word in ("X-ray", "MRI", "break", "no pain"))
    assert "dashboard" in knowledge.answer("ask_causes/ligament", self_care)


def test_when_to_see_a_doctor_lists_the_article_signs_trauma_and_emergencies(knowledge: Knowledge) -> None:
    signs = {sign.id for sign in knowledge.when_to_see_doctor.signs}
    assert signs == {
        "cannot_fully_bend",
        "catching_locking",
        "severe_pain",
        "giving_way",
        "unstable",
        "limp_cannot_walk",
        "swelling",
        "not_improving",
        "trauma",
    }
    assert {"pe_signs", "ischaemia"} <= {sign.id for sign in knowledge.when_to_see_doctor.emergency_signs}
    answer = knowledge.answer("ask_when_to_see_doctor", TriageLevel.SELF_CARE)
    assert "breathless" in answer and "cold, pale" in answer and "emergency number" in answer


@pytest.mark.parametrize("level", HELP_NOW_LEVELS)
@pytest.mark.parametrize("topic", [key for key in TOPIC_KEYS if key.startswith("ask_exercises/")])
def test_exercise_answers_are_withheld_when_help_is_needed_now(knowledge: Knowledge, topic: str, level: TriageLevel) -> None:
    answer = knowledge.answer(topic, level)
    assert "hold off on exercise advice" in answer
    assert not any(exercise.name.lower() in answer.lower() for exercise in knowledge.exercises)


@pytest.mark.parametrize("level", CARE_LEVELS)
def test_exercise_answers_are_given_at_care_levels(knowledge: Knowledge, level: TriageLevel) -> None:
    assert "Hold 10-30 seconds" in knowledge.answer("ask_exercises/hamstring_stretch", level)


def test_answers_at_urgent_and_emergency_remind_to_get_help(knowledge: Knowledge) -> None:
    assert "today" in knowledge.answer("ask_causes/bakers_cyst", TriageLevel.URGENT)
    assert "emergency number" in knowledge.answer("ask_treatment/ice", TriageLevel.EMERGENCY)


# --- messages -----------------------------------------------------------------------------------


def test_disclaimer_says_education_not_diagnosis_and_what_to_do_in_an_emergency(knowledge: Knowledge) -> None:
    assert 1 <= len(sentences(knowledge.disclaimer)) <= 2
    assert "not a diagnosis" in knowledge.disclaimer
    assert "emergency number" in knowledge.disclaimer


def test_level_messages_fill_the_emergency_number(knowledge: Knowledge) -> None:
    assert "Call 999" in knowledge.level_message(TriageLevel.EMERGENCY, "999")
    assert "today" in knowledge.level_message("urgent", "999")
    for level in LEVELS:
        assert "{" not in knowledge.level_message(level, "112")


# --- advice -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("person", "likeliest"),
    [
        (LUMP, "bakers_cyst"),
        (KNEECAP, "runners_knee"),
        (LOCKING, "meniscus"),
        (HAMSTRING_RUNNER, "muscle_strain"),
        (CALF_RUNNER, "muscle_strain"),
        (profile(location="back_of_knee", activities={"blow_to_knee"}, onset="injury"), "ligament"),
        (profile(location="back_of_knee", symptoms={"stiffness", "ache"}, onset="gradual"), "osteoarthritis"),
    ],
)
def test_advise_ranks_the_fitting_cause_first(knowledge: Knowledge, person: SymptomProfile, likeliest: str) -> None:
    advice = knowledge.advise(person, TriageLevel.SELF_CARE)
    assert advice.contributors[0].id == likeliest
    assert len(advice.contributors) <= 3


def test_no_contributors_when_nothing_matches(knowledge: Knowledge) -> None:
    assert knowledge.advise(NOTHING_KNOWN, TriageLevel.SELF_CARE).contributors == []
    assert knowledge.advise(profile(location="back_of_knee"), TriageLevel.SELF_CARE).contributors == []


def test_contributors_are_phrased_as_possibilities(knowledge: Knowledge) -> None:
    for cause in knowledge.causes:
        assert re.search(r"\b(could|sometimes|might|may)\b", cause.possibility), cause.id


@pytest.mark.parametrize("level", CARE_LEVELS)
@pytest.mark.parametrize("person", PROFILES)
def test_three_to_five_dosed_exercises_at_care_levels(knowledge: Knowledge, person: SymptomProfile, level: TriageLevel) -> None:
    exercises = knowledge.advise(person, level).exercises
    assert 3 <= len(exercises) <= 5
    assert len({exercise.id for exercise in exercises}) == len(exercises)
    assert all(re.search(r"\d", exercise.dosing_text) for exercise in exercises)


@pytest.mark.parametrize("level", HELP_NOW_LEVELS)
@pytest.mark.parametrize("person", PROFILES)
def test_no_exercises_when_help_is_needed_now(knowledge: Knowledge, person: SymptomProfile, level: TriageLevel) -> None:
    advice = knowledge.advise(person, level)
    assert advice.exercises == [] and advice.pain_rule == ""
    assert all(level in treatment.levels for treatment in advice.treatments)
    assert "physical_therapy" not in {treatment.id for treatment in advice.treatments}
    assert "rest_until_seen" in {treatment.id for treatment in advice.treatments}


def test_exercises_ruled_out_by_the_profile_are_left_out(knowledge: Knowledge) -> None:
    locking = {exercise.id for exercise in knowledge.advise(LOCKING, TriageLevel.SEE_CLINICIAN).exercises}
    assert not locking & {"sit_to_stand", "step_up"}
    restricted = knowledge.advise(MOST_RESTRICTED, TriageLevel.SEE_CLINICIAN).exercises
    assert all(exercise.position != "standing" for exercise in restricted)
    tags = {
        "locking",
        "giving_way",
        "swelling",
        "numbness",
        "cannot_bear_weight",
        "injury",
        "blow_to_knee",
        "back_of_knee",
    }
    assert all(not exercise.avoid_when & tags for exercise in restricted)


def test_exercises_follow_the_profile(knowledge: Knowledge) -> None:
    desk = {exercise.id for exercise in knowledge.advise(DESK_WORKER, TriageLevel.SELF_CARE).exercises}
    assert "seated_leg_kick" in desk
    kneecap = knowledge.advise(KNEECAP, TriageLevel.SELF_CARE).exercises
    assert {"quadriceps", "hip"} <= set().union(*(exercise.targets for exercise in kneecap))
    calf = {exercise.id for exercise in knowledge.advise(CALF_RUNNER, TriageLevel.SELF_CARE).exercises}
    assert calf & {"calf_stretch", "calf_raise"}


def test_treatments_match_the_profile(knowledge: Knowledge) -> None:
    kneecap = {treatment.id for treatment in knowledge.advise(KNEECAP, TriageLevel.SELF_CARE).treatments}
    assert {"physical_therapy", "activity", "ice", "taping", "medication"} <= kneecap
    assert "taping" not in {treatment.id for treatment in knowledge.advise(LUMP, TriageLevel.SELF_CARE).treatments}
    numb = profile(location="calf", symptoms={"numbness"})
    assert "ice" not in {treatment.id for treatment in knowledge.advise(numb, TriageLevel.SELF_CARE).treatments}
    assert all(
        treatment.id != "surgery"
        for person in PROFILES
        for treatment in knowledge.advise(person, TriageLevel.SELF_CARE).treatments
    )


# --- rendering ----------------------------------------------------------------------------------


def rendered(knowledge: Knowledge, person: SymptomProfile, level: TriageLevel, number: str = "999") -> list[str]:
    return render_advice(knowledge.advise(person, level), number)


def test_rendered_advice_lists_exercises_with_dosing(knowledge: Knowledge) -> None:
    messages = rendered(knowledge, DESK_WORKER, TriageLevel.SELF_CARE)
    text = "\n".join(messages)
    assert "Seated leg kick: hold 10 seconds, alternate legs, 2-4 times, in each movement break" in text
    assert "5 out of 10" in text  # the pain-monitoring rule comes with the exercises
    assert 3 <= len(messages) <= 7
    names = [exercise.name for exercise in knowledge.exercises]
    assert sum(name in text for name in names) >= 3


@pytest.mark.parametrize("level", HELP_NOW_LEVELS)
def test_rendered_advice_names_no_exercise_when_help_is_needed_now(knowledge: Knowledge, level: TriageLevel) -> None:
    for person in PROFILES:
        text = "\n".join(rendered(knowledge, person, level))
        assert not [exercise.name for exercise in knowledge.exercises if exercise.name in text], text


def test_emergency_advice_leads_with_the_number_and_nothing_else_distracts(knowledge: Knowledge) -> None:
    messages = rendered(knowledge, MOST_RESTRICTED, TriageLevel.EMERGENCY, "911")
    assert "Call 911" in messages[0]
    assert len(messages) <= 2
    assert all("{" not in message for message in messages)


def test_emergency_placeholder_never_reaches_the_user(knowledge: Knowledge) -> None:
    advice = knowledge.advise(LUMP, TriageLevel.EMERGENCY)
    assert "{emergency_number}" in advice.level_message  # filled by render_advice
    assert "your local emergency number" in render_advice(advice)[0]
    assert "Call 999" in knowledge.advise(LUMP, TriageLevel.EMERGENCY, emergency_number="999").level_message


def test_advice_is_a_plain_record(knowledge: Knowledge) -> None:
    advice = knowledge.advise(KNEECAP, TriageLevel.SELF_CARE)
    assert isinstance(advice, Advice)
    assert advice.level_message and advice.when_to_get_help


# --- no copied sentences from the seed article ---------------------------------------------------

# Distinctive passages of the seed article (shared/seed/back-of-knee-pain-article.txt). Its facts
# may carry over; its sentences may not.
ARTICLE_PASSAGES = """
Thank your knee for your ability to bend, straighten, and rotate
Most knee pain isn't serious and heals with at-home treatments, but occasionally it signals an injury or
issue.
Pain in the back of the knee is common and can be associated with many of the typical problems people
experience with their knees.
When your muscles work harder than usual (like when you exercise), your muscles become stronger and more
resilient.
The hamstring, the calf, and a small stabilizing muscle known as the popliteus muscle are the top sources of
muscle strain behind the knee, resulting in an aching, tender feeling.
The risk of muscle strains increases with a lack of warm-up and intense training activities, and in people
with less flexibility and muscle strength.
Patellofemoral syndrome, or runner's knee, is one of the most common overuse injuries affecting the knee. It
feels like a dull ache behind or around the kneecap that gets worse with movement (like climbing stairs) or
prolonged sitting.
Ligaments are thick, fibrous tissues that connect your bones to each other.
PCL tendons may be injured if the knee suffers a significant blow while bent (the classic example: a car crash
in which your knee hits the dashboard).
PCL tears tend to heal with conservative treatments, but some may benefit from surgery.
The cartilage that cushions your knee naturally changes as you age, which can lead to pain and stiffness.
One study found the back of the knee was one of the top pain zones for knee osteoarthritis.
The menisci are cushioning cartilage shock absorbers that sit in the knee joint.
Meniscus tears don't typically present with isolated pain in the back of the knee, but the issue is common
enough that your doctor may want to rule it out.
If there's been swelling in the knee, it will sometimes collect as a fluid-filled cyst.
You might touch the back of your knee and notice a little bump or firm nodule, which is causing discomfort
Baker's cysts are common and often occur when another irritating condition, like osteoarthritis, is present.
Physical therapy exercises typically target the injured part (the knee), as well as structures that support it
from above and below.
If you're experiencing an uptick in acute pain, avoid putting weight on the knee or moving around more than
necessary. But remember that healing happens mostly from moving, not resting. Physical movement helps your
joint heal, so ease back into your routine as soon as you can.
Apply cold packs for 20 minutes several times a day to help ease discomfort and swelling.
Athletes recovering from runner's knee experienced less pain while stepping down when athletic tape was
applied above and below the knee, forming a supportive X behind the knee.
It's important to make sure that you are safely able to take these medications, based on your medical history.
Whether or not you are a candidate depends on the severity of your pain and disability, as well as the nature
of your condition.
A sore, painful joint is less able to absorb sudden shifts in movement, so accept that you may need to stick
to a slower, steady gait, or even use walking aids, as you heal.
The American College of Sports Medicine recommends 150 minutes of moderate-intensity aerobic activity a week
(for example, 30 minutes a day, five days a week). Aim for a mix of cardio, strength training, and stretching.
Strong, flexible muscles can help prevent overuse injuries.
Take microbreaks, say, every 30 minutes to an hour you stand up, stretch, or walk to get a glass of water.
she recommends setting an alarm for every 45 minutes and committing to a small movement or change in position.
But the upside is that losing 10% of body weight has also been found to improve pain and function in people
who are overweight or obese and have knee osteoarthritis.
Studies show that less than 50% of people with osteoarthritis on X-rays have knee pain. Same goes for a
majority of people who had meniscus tears on an MRI: They didn't have any pain, stiffness, or aching.
This means your imaging findings do not always correlate with your symptoms.
I recommend doing these two to three times per week to see how your body reacts. Gradually increase to doing
them daily as tolerated. Let symptoms be your guide. Some discomfort is okay, but if pain increases or
worsens, talk to your provider before going any further.
Sitting all day for your job can make the hamstrings tight and less flexible, contributing to pain. For a
quick stretch, do leg kicks while seated. From a seated position, kick your leg straight out and hold it for
10 seconds.
Inability to bend your knee back all the way. You don't feel safe or stable standing on or moving your leg.
"""
ARTICLE_PHRASES = [
    "movement is medicine",
    "sweet spot",
    "hardest-working",
    "shock absorbers",
    "demonize",
    "microbreaks",
    "firm nodule",
]
SHARED_WORDS_LIMIT = 6  # a run of 6 words in common is a copied sentence, not a shared term


def _words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'")
    # The subject itself is a term, not prose: "the back of the knee is ..." alone is no copy.
    text = re.sub(r"\b(?:in |at )?(?:the|your) back of (?:the|your) knee\b", " back-of-knee ", text)
    return re.findall(r"[a-z0-9%'-]+", text)


def _runs(text: str) -> set[tuple[str, ...]]:
    words = _words(text)
    return {tuple(words[index : index + SHARED_WORDS_LIMIT]) for index in range(len(words) - SHARED_WORDS_LIMIT + 1)}


def _user_facing_texts(knowledge: Knowledge) -> Iterator[str]:
    def walk(value: Any, key: str = "") -> Iterator[str]:
        if isinstance(value, str) and key not in ("source", "id", "topic"):
            yield value
        elif isinstance(value, dict):
            for child_key, child in value.items():
                yield from walk(child, str(child_key))
        elif isinstance(value, list):
            for child in value:
                yield from walk(child, key)

    for path in KNOWLEDGE_DIR.glob("*.yml"):
        yield from walk(yaml.safe_load(path.read_text(encoding="utf-8")))
    for level in LEVELS:
        for topic in TOPIC_KEYS:
            yield knowledge.answer(topic, level)
        for person in PROFILES:
            yield from rendered(knowledge, person, level)


def test_no_sentence_is_copied_from_the_article(knowledge: Knowledge) -> None:
    article_runs = _runs(ARTICLE_PASSAGES)
    copied = []
    for text in _user_facing_texts(knowledge):
        lowered = text.lower()
        copied += [phrase for phrase in ARTICLE_PHRASES if phrase in lowered]
        copied += [" ".join(run) for run in _runs(text) & article_runs]
    assert not copied, sorted(set(copied))


# --- export for Rasa's ResponseSelector ---------------------------------------------------------


def test_export_has_one_self_care_response_per_retrieval_topic(knowledge: Knowledge) -> None:
    text = responses_yaml()
    assert text.startswith("# Generated from bot/knowledge by `python -m bot export-responses`; do not edit.")
    document = yaml.safe_load(text)
    assert document["version"] == "3.1"
    responses = document["responses"]
    assert list(responses) == [f"utter_{topic}" for topic in RETRIEVAL_TOPIC_KEYS]
    assert "utter_ask_when_to_see_doctor" not in responses
    for topic in RETRIEVAL_TOPIC_KEYS:
        assert responses[f"utter_{topic}"] == [{"text": knowledge.answer(topic, TriageLevel.SELF_CARE)}]


def test_committed_responses_file_is_up_to_date() -> None:
    committed = (PROJECT_ROOT / "data" / "nlu" / "responses.yml").read_text(encoding="utf-8")
    assert committed == responses_yaml(), "data/nlu/responses.yml is stale: run `python -m bot export-responses`"
