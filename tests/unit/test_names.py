"""Every name in bot/names.py is declared where Rasa reads it (domain.yml, config.yml)."""

from __future__ import annotations

import yaml

from bot import names
from bot.intake import INTAKE_SLOTS
from tests.support.assistant import PROJECT_ROOT

DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())


def test_slots_responses_actions_and_intents_are_declared() -> None:
    assert set(names.SLOTS) <= set(DOMAIN["slots"])
    assert set(names.RESPONSES) <= set(DOMAIN["responses"])
    assert {names.ACTION_ASSESS, names.ACTION_ANSWER_QUESTION, names.VALIDATE_INTAKE_FORM} <= set(DOMAIN["actions"])
    assert set(names.INTENTS) <= set(DOMAIN["intents"])
    assert tuple(DOMAIN["forms"][names.INTAKE_FORM]["required_slots"]) == INTAKE_SLOTS
    assert all(f"{names.ASK_PREFIX}{slot}" in DOMAIN["responses"] for slot in INTAKE_SLOTS)


def test_every_response_the_intake_and_feelings_say_is_in_the_domain() -> None:
    from bot.feelings import load_feelings
    from bot.intake import intake_responses

    content = load_feelings()
    said = intake_responses() | {cue.response for cue in [*content.feelings, *content.feared_causes]}
    assert said <= set(DOMAIN["responses"]), said - set(DOMAIN["responses"])
