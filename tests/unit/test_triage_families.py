"""Phrasing families that the blind vignettes (tests/triage/vignettes_blind.yml) found missing:
each is checked with new sentences, not the blind ones, and with look-alikes that must not count."""
from __future__ import annotations

import pytest

from bot.levels import TriageLevel
from bot.triage import Status, assess_conversation, extract_findings, extract_mentions, screen

EMERGENCY, URGENT = TriageLevel.EMERGENCY, TriageLevel.URGENT
SEE, SELF = TriageLevel.SEE_CLINICIAN, TriageLevel.SELF_CARE


def names(text: str) -> set[str]:
    return {finding.name for finding in extract_findings(text)}


# ---------------------------------------------------------------- coughing blood with an amount
@pytest.mark.parametrize("text", [
    "I've been coughing up some blood since last night",
    "coughed a little blood into a tissue",
    "spat up a few specks of blood this morning",
    "coughing up tiny streaks of blood with my phlegm",
    "coughed up a small amount of blood earlier",
])
def test_coughing_blood_with_an_amount(text: str) -> None:
    assert "coughing_blood" in names(text)
    assert screen(text).level is EMERGENCY


@pytest.mark.parametrize("text", [
    "I haven't coughed up any blood", "coughing up phlegm with no blood in it", "I had some blood tests done",
])
def test_no_coughing_blood(text: str) -> None:
    assert "coughing_blood" not in names(text)


# ---------------------------------------------------------------- the whole knee out, shin displaced
@pytest.mark.parametrize("text", [
    "the entire joint slipped out when I landed",
    "my knee itself came out of place, not the kneecap",
    "knee dislocated in the scrum and it's still out",
    "after the crash my lower leg is pushed over to one side below the knee",
    "the shin is shifted sideways under my knee after the tackle",
])
def test_whole_knee_dislocation_or_displaced_shin_is_deformity(text: str) -> None:
    assert "deformity" in names(text)
    assert screen(text).level is EMERGENCY


@pytest.mark.parametrize("text", [
    "my kneecap popped out and went back in", "I'm still out of breath after the stairs",
    "I am still out running most days", "pain down the side of my shin",
])
def test_kneecap_and_everyday_outs_are_not_deformity(text: str) -> None:
    assert "deformity" not in names(text)
    assert screen(text).level < EMERGENCY


def test_kneecap_out_alone_stays_urgent() -> None:
    result = screen("my knee cap slipped out playing netball")
    assert result.level is URGENT and "kneecap_dislocated" in result.rule_ids


# ---------------------------------------------------------------- cold and pale limb
@pytest.mark.parametrize("text", [
    "my toes have gone blue and icy",
    "foot turned grey and freezing cold in the last hour",
    "from the knee down my leg has gone pale",
    "below the knee it's gone white and cold",
    "the skin under my knee looks mottled and feels icy",
])
def test_pale_or_cold_limb_is_ischaemia(text: str) -> None:
    result = screen(text)
    assert result.level is EMERGENCY and "ischaemia" in result.rule_ids


@pytest.mark.parametrize("text", [
    "cold weather makes my knee ache", "I put a cold pack below my knee", "I wear white socks for running",
])
def test_cold_and_colour_look_alikes_are_not_ischaemia(text: str) -> None:
    assert "ischaemia" not in screen(text).rule_ids


# ---------------------------------------------------------------- fibula head tenderness
@pytest.mark.parametrize("text", [
    "fell over and the bony bump on the outer side just under my knee is really sore",
    "got hit and it hurts when I press the knobbly bit of bone on the outside below my knee",
    "after the tackle the top of my fibula is tender",
    "came off my bike, it's sore when you touch the bone on the outside just below the knee",
])
def test_fibula_head_tenderness_after_injury_is_ottawa(text: str) -> None:
    assert "fibula_tender" in names(text)
    result = screen(text)
    assert result.level is URGENT and "ottawa" in result.rule_ids


def test_outside_of_knee_soreness_without_the_bone_is_not_fibula() -> None:
    assert "fibula_tender" not in names("sore on the outside of my knee after running")


# ---------------------------------------------------------------- something burst behind the knee
@pytest.mark.parametrize("text", [
    "something ruptured at the back of my knee and my calf is tight and puffy",
    "felt a pop behind my knee yesterday, now my calf is swollen",
    "it felt like something popped in the back of my knee and the calf has ballooned",
])
def test_burst_behind_the_knee_with_a_swollen_calf_is_a_ruptured_cyst(text: str) -> None:
    result = screen(text)
    assert result.level is URGENT and "ruptured_cyst" in result.rule_ids


def test_burst_behind_the_knee_alone_is_see_clinician() -> None:
    assert screen("something burst behind my knee while I was kneeling").level is SEE


def test_recurring_popping_behind_the_knee_is_not_a_burst() -> None:
    assert "pop_behind_knee" not in names("I get a popping feeling behind my knee when I squat")


# ---------------------------------------------------------------- a lump behind the knee
@pytest.mark.parametrize("text", [
    "I've noticed a soft lump in the back of my knee",
    "there's a small bump in the crease behind my knee, my calf feels normal",
    "a lump behind my knee, calf is fine",
])
def test_a_lump_behind_the_knee_is_see_clinician(text: str) -> None:
    assert screen(text).level is SEE


def test_no_lump_is_self_care() -> None:
    assert screen("no lump behind my knee, just a bit stiff").level is SELF


# ---------------------------------------------------------------- an old injury whose trouble goes on
@pytest.mark.parametrize("text", [
    "I tore my ACL three years ago and it has been sore ever since",
    "twisted it skiing a couple of months ago and it still aches",
    "had a bad fall a month ago. It still hurts at the back.",
    "Had an old football injury, never been the same since",
])
def test_an_old_injury_with_ongoing_symptoms_is_trauma(text: str) -> None:
    assert "lasting_injury" in names(text)
    assert "recent_injury" not in names(text) and "ligament_injury" not in names(text)
    result = screen(text)
    assert result.level is SEE and "trauma" in result.rule_ids


@pytest.mark.parametrize("text", [
    "I injured my knee years ago. I still play football twice a week.",
    "hurt it two years ago, been fine since then",
    "twisted it as a teenager, been fine ever since",
])
def test_an_old_injury_that_settled_is_not_lasting(text: str) -> None:
    assert "lasting_injury" not in names(text)
    assert screen(text).level is SELF


@pytest.mark.parametrize("text", [
    "got hit in the knee last season, it still swells up after matches",
    "hurt my knee in a tackle last winter and it still gives way now and then",
])
def test_an_injury_last_season_is_not_recent(text: str) -> None:
    result = screen(text)
    assert result.level is SEE
    assert not {"swelling_after_injury", "giving_way_after_injury"} & set(result.rule_ids)


def test_a_recent_injury_still_counts() -> None:
    result = screen("got hit in the knee on saturday and it's swollen")
    assert result.level is URGENT and "swelling_after_injury" in result.rule_ids


# ---------------------------------------------------------------- getting worse after a negation
@pytest.mark.parametrize("text", [
    "no swelling, gradually getting worse", "no redness, just getting worse every week",
    "didn't injure it, slowly getting worse over a fortnight",
])
def test_a_negation_does_not_reach_a_new_predicate(text: str) -> None:
    mentions = [m for m in extract_mentions(text) if m.finding.name == "not_improving"]
    assert mentions and mentions[0].status is Status.CURRENT
    assert screen(text).level is SEE


def test_negated_lists_still_negate() -> None:
    assert "warmth" not in names("no swelling, redness or heat")


# ---------------------------------------------------------------- nearly falling is not an injury
@pytest.mark.parametrize("text", [
    "it gave way on the stairs and I almost fell", "it buckled and I nearly went down",
    "knee went from under me, nearly tripped over the dog",
])
def test_nearly_falling_is_not_an_injury(text: str) -> None:
    assert "recent_injury" not in names(text)
    assert screen(text).level is SEE


def test_a_real_fall_after_giving_way_is_still_an_injury() -> None:
    assert assess_conversation(["it gave way and I fell on it"]).level is URGENT
