"""The door's checks on their own (bot/channels/door.py): the JSON reader, the text and id limits, and what counts as an offered button. The same checks through the real servers are in
tests/e2e/test_security.py and tests/e2e/test_fuzzing.py."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.shared.core.events import BotUttered, UserUttered

from bot.channels.door import (
    MAX_ID_CHARS,
    MAX_JSON_DEPTH,
    MAX_TEXT_CHARS,
    BadInput,
    Door,
    DoorSettings,
    as_plain_text,
    id_problem,
    offered_payloads,
    read_json,
    text_problem,
)
from bot.channels.slack import chosen_value
from bot.shared_memory import Rate


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_the_reader_takes_ordinary_json_and_says_what_is_wrong_with_the_rest() -> None:
    assert read_json(b'{"sender": "a", "message": "my kn\\u00e9e"}') == {"sender": "a", "message": "my kn\u00e9e"}
    assert read_json(nested(MAX_JSON_DEPTH), want_object=False) == json.loads(nested(MAX_JSON_DEPTH))
    for body, problem in [
        (nested(MAX_JSON_DEPTH + 1), "nested more than"),
        (nested(200_000), "nested more than"),
        (b"\xff{}", "not valid UTF-8"),
        (b'{"a": "\\ud800"}', "lone surrogates"),
        (b'{"\\udfff": 1}', "key"),
        (b'{"a": "x\\u0000"}', "NUL"),
        (b'{"a": NaN}', "not valid JSON"),
        (b"[]", "must be a JSON object"),
        (b"{", "not valid JSON"),
    ]:
        with pytest.raises(BadInput, match=problem):
            read_json(body)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_the_reader_never_fails_with_anything_but_bad_input(body: bytes) -> None:
    try:
        read_json(body, want_object=False)
    except BadInput:
        pass


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(), lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)
    )
)
def test_what_the_reader_lets_through_can_be_encoded_and_stored(value: Any) -> None:
    try:
        parsed = read_json(json.dumps(value), want_object=False)
    except BadInput:
        return
    json.dumps(parsed).encode("utf-8")  # raises on a lone surrogate
    assert "\\u0000" not in json.dumps(parsed)


@pytest.mark.parametrize(
    "text, refused",
    [
        ("my knee hurts", None),
        ("line one\nline two\ttabbed", None),
        ("", "non-empty"),
        ("   ", "non-empty"),
        (5, "non-empty"),
        ("a\x00b", "NUL"),
        ("a\ud800b", "surrogates"),
        ("bell\x07", "control"),
        ("x" * (MAX_TEXT_CHARS + 1), "longer than"),
    ],
)
def test_text_limits(text: Any, refused: str) -> None:
    problem = text_problem(text)
    assert (problem is None) if refused is None else (problem is not None and refused in str(problem))


@pytest.mark.parametrize(
    "value, ok",
    [
        ("U123ABC", True),
        ("a" * MAX_ID_CHARS, True),
        ("a" * (MAX_ID_CHARS + 1), False),
        ("two words", False),
        ("id\n", False),
        ("\u200bzero-width", False),
        ("", False),
        (None, False),
        ("\ud800", False),
    ],
)
def test_id_limits(value: Any, ok: bool) -> None:
    assert (id_problem(value) is None) is ok


def test_rates_are_read_from_the_environment() -> None:
    assert DoorSettings.from_env({"POPLIT_RATE_PER_SENDER": "5/10"}).per_sender == Rate(5, 10)
    with pytest.raises(ValueError):
        DoorSettings.from_env({"POPLIT_RATE_PER_ADDRESS": "lots"})


def test_only_the_last_turns_buttons_are_offered() -> None:
    events = [
        BotUttered("old", {"buttons": [{"title": "Old", "payload": "/old"}]}),
        UserUttered("hi"),
        BotUttered("Check in?", {"buttons": [{"title": "Yes", "payload": '/accept_check_ins{"check_in_days": "2"}'}]}),
        BotUttered("or", {"buttons": [{"title": "No", "payload": "/decline_check_ins"}]}),
    ]
    assert offered_payloads(events) == {'/accept_check_ins{"check_in_days": "2"}', "/decline_check_ins"}
    assert as_plain_text('/EXTERNAL_check_in{"follow_up_id": "6"}') == 'EXTERNAL_check_in{"follow_up_id": "6"}'


def test_a_non_rest_sender_cannot_take_the_rest_namespace() -> None:
    door = Door()
    assert asyncio.run(door.check_message("slack", "rest:someone", "hi")) is not None
    assert asyncio.run(door.check_message("rest", "rest:someone", "hi")) is None


@pytest.mark.parametrize(
    "action, value",
    [
        ({"type": "button", "value": "/decline_check_ins"}, "/decline_check_ins"),
        ({"type": "static_select", "selected_option": {"value": "7"}}, "7"),
        ({"type": "overflow", "selected_option": {"value": "x"}}, "x"),
        ({"type": "select", "selected_options": [{"value": "y"}]}, "y"),
        ({"type": "select"}, None),
        ({"type": "select", "selected_options": ["y"]}, None),
        ({"type": "static_select", "selected_option": "7"}, None),
        ({"type": "overflow", "selected_option": {"value": 5}}, None),
        ({"type": ["button"]}, None),
        ({}, None),
    ],
)
def test_slack_choices_are_read_without_trusting_their_shape(action: dict[str, Any], value: Any) -> None:
    assert chosen_value(action) == value
