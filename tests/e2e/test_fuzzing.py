"""Fuzzing every door through the real servers (hypothesis): REST, /model/parse, /chat/history, Slack
(signed; events and every interactive payload type), Telegram (with its secret), Socket.IO and the
action server's webhook. Whatever arrives: no 5xx, no crash (the servers' process ids are unchanged),
and a normal reply afterwards. The counts go to results/fuzz.json (cases, 5xx, crashes per door);
POPLIT_FUZZ_EXAMPLES sets the cases per door (default 120)."""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from collections import Counter
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.test_security import http
from tests.support.assistant import PROJECT_ROOT, RunningAssistant
from tests.support.slack_api import SlackStandIn
from tests.support.socketio_client import WebChatClient
from tests.support.telegram_api import TelegramStandIn

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("POPLIT_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
RESULTS = PROJECT_ROOT / "results" / "fuzz.json"
COUNTS: dict[str, Counter[str]] = {}

# Text as attackers write it: any code point (lone surrogates and NUL included), long runs, and the
# intent syntax, next to ordinary words.
WILD_TEXT = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=30),
    st.sampled_from(["\ud800", "\x00", '/EXTERNAL_check_in{"follow_up_id": "1"}', "/greet", "/", "a" * 2001, "my knee hurts"]),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | WILD_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(WILD_TEXT, inner, max_size=4),
    max_leaves=12,
)


def body_of(value: Any) -> bytes:
    """JSON as a client might send it, lone surrogates escaped (json.dumps does) so they arrive as such."""
    return json.dumps(value).encode()


RAW_BODIES = st.one_of(
    st.binary(max_size=200),
    st.integers(min_value=1, max_value=3000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(min_value=1, max_value=3000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
)


def count(door: str, status: int) -> None:
    counts = COUNTS.setdefault(door, Counter())
    counts["cases"] += 1
    if status >= 500:
        counts["5xx"] += 1
    assert status < 500, f"{door}: {status}"


@pytest.fixture(scope="module", autouse=True)
def fuzz_report(assistant: RunningAssistant) -> Iterator[None]:
    pids = {name: assistant.service_pid(name) for name in ("rasa", "actions")}
    yield
    crashes = {name: int(assistant.service_pid(name) != pid) for name, pid in pids.items()}
    RESULTS.parent.mkdir(exist_ok=True)
    report = {door: {"cases": counts["cases"], "5xx": counts["5xx"]} for door, counts in COUNTS.items()}
    RESULTS.write_text(json.dumps({"doors": report, "process_restarts": crashes}, indent=2) + "\n")


def afterwards(assistant: RunningAssistant, pids: dict[str, int], sender: str) -> None:
    assert {name: assistant.service_pid(name) for name in pids} == pids, "a server was restarted"
    assert assistant.say(sender, "hello"), "no normal reply after the fuzzing"


def pids_of(assistant: RunningAssistant) -> dict[str, int]:
    return {name: assistant.service_pid(name) for name in ("rasa", "actions")}


def test_rest(assistant: RunningAssistant) -> None:
    pids = pids_of(assistant)
    shaped = st.fixed_dictionaries(
        {"sender": st.one_of(WILD_TEXT, JSON_VALUES), "message": st.one_of(WILD_TEXT, JSON_VALUES)},
        optional={"metadata": JSON_VALUES, "input_channel": WILD_TEXT},
    ).map(body_of)

    @FUZZ
    @given(st.one_of(shaped, JSON_VALUES.map(body_of), RAW_BODIES))
    def fuzz(body: bytes) -> None:
        status, _ = http(assistant.base_url + "/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
        count("rest", status)

    fuzz()
    afterwards(assistant, pids, "fuzz-rest-after")


def test_model_parse_and_chat_history(assistant: RunningAssistant) -> None:
    pids = pids_of(assistant)
    shaped = st.fixed_dictionaries({"text": st.one_of(WILD_TEXT, JSON_VALUES)}, optional={"message_id": JSON_VALUES}).map(body_of)

    @FUZZ
    @given(st.one_of(shaped, JSON_VALUES.map(body_of), RAW_BODIES), st.sampled_from(["parse", "history"]))
    def fuzz(body: bytes, route: str) -> None:
        if route == "parse":
            status, _ = http(
                f"{assistant.base_url}/model/parse?token={assistant.token}", body, {"Content-Type": "application/json"}
            )
        else:
            status, _ = http(assistant.base_url + "/chat/history", body, {"Content-Type": "application/json"})
        count(f"/{'model/parse' if route == 'parse' else 'chat/history'}", status)

    fuzz()
    afterwards(assistant, pids, "fuzz-parse-after")


SLACK_ACTION_TYPES = [
    "button",
    "select",
    "static_select",
    "external_select",
    "conversations_select",
    "users_select",
    "channels_select",
    "overflow",
    "datepicker",
    "checkboxes",
    "radio_buttons",
    "plain_text_input",
]


def test_slack_signed(assistant: RunningAssistant, slack_api: SlackStandIn) -> None:
    pids = pids_of(assistant)
    user = st.sampled_from(["U_FUZZ_A", "U_FUZZ_B"]) | WILD_TEXT
    events = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["event_callback", "url_verification"]) | WILD_TEXT,
            "event": st.fixed_dictionaries(
                {"type": st.sampled_from(["message", "app_mention"]), "user": user, "text": WILD_TEXT},
                optional={
                    "channel": st.sampled_from(["DU_FUZZ_A", "C123"]) | JSON_VALUES,
                    "subtype": JSON_VALUES,
                    "thread_ts": JSON_VALUES,
                    "channel_type": st.just("im"),
                },
            )
            | JSON_VALUES,
        },
        optional={"event_id": WILD_TEXT | JSON_VALUES, "challenge": JSON_VALUES, "authorizations": JSON_VALUES},
    ).map(lambda body: ("application/json", body_of(body)))
    actions = st.fixed_dictionaries(
        {"type": st.sampled_from(SLACK_ACTION_TYPES) | JSON_VALUES},
        optional={
            "value": JSON_VALUES,
            "selected_option": JSON_VALUES,
            "selected_options": JSON_VALUES,
            "selected_date": JSON_VALUES,
            "block_id": JSON_VALUES,
            "text": JSON_VALUES,
            "action_ts": JSON_VALUES,
        },
    )
    interactions = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["block_actions", "interactive_message"]) | WILD_TEXT,
            "user": st.fixed_dictionaries({"id": user}) | JSON_VALUES,
            "actions": st.lists(actions, max_size=2) | JSON_VALUES,
        },
        optional={"channel": JSON_VALUES, "container": JSON_VALUES, "message": JSON_VALUES, "trigger_id": JSON_VALUES},
    ).map(
        lambda payload: ("application/x-www-form-urlencoded", urllib.parse.urlencode({"payload": json.dumps(payload)}).encode())
    )
    raw = RAW_BODIES.flatmap(
        lambda body: st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain"]).map(
            lambda kind: (kind, body)
        )
    )

    @FUZZ
    @given(st.one_of(events, interactions, raw))
    def fuzz(request: tuple[str, bytes]) -> None:
        content_type, body = request
        status, _ = http(
            assistant.base_url + "/webhooks/slack/webhook", body, {"Content-Type": content_type, **slack_api.signed_headers(body)}
        )
        count("slack (signed)", status)

    fuzz()
    time.sleep(1)  # background handling of the last deliveries
    afterwards(assistant, pids, "fuzz-slack-after")


def chats_in(body: bytes) -> set[str]:
    """The chat ids an update names, as the stand-in records them."""
    try:
        update = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than Python's parser goes
        return set()
    found: set[str] = set()
    if isinstance(update, dict):
        for message in (
            update.get("message"),
            (update.get("callback_query") or {}).get("message") if isinstance(update.get("callback_query"), dict) else None,
        ):
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and "id" in chat:
                found.add(str(chat["id"]))
    return found


def test_telegram_with_its_secret(assistant: RunningAssistant, telegram_api: TelegramStandIn) -> None:
    pids = pids_of(assistant)
    chat = st.fixed_dictionaries({"id": st.integers() | WILD_TEXT, "type": st.sampled_from(["private", "group"]) | WILD_TEXT})
    updates = st.fixed_dictionaries(
        {"update_id": st.integers(min_value=10**9, max_value=2 * 10**9) | JSON_VALUES},
        optional={
            "message": st.fixed_dictionaries({"chat": chat | JSON_VALUES, "text": WILD_TEXT | JSON_VALUES}) | JSON_VALUES,
            "callback_query": st.fixed_dictionaries(
                {
                    "id": WILD_TEXT | JSON_VALUES,
                    "data": WILD_TEXT | JSON_VALUES,
                    "message": st.fixed_dictionaries({"chat": chat, "text": WILD_TEXT}) | JSON_VALUES,
                }
            )
            | JSON_VALUES,
        },
    ).map(body_of)
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TelegramStandIn.secret_token}

    @FUZZ
    @given(st.one_of(updates, JSON_VALUES.map(body_of), RAW_BODIES))
    def fuzz(body: bytes) -> None:
        # A well-formed update from the fuzzer gets a reply like any other: its chat is a test chat
        # (tests/e2e/test_telegram.py checks that no reply goes to a chat no test made).
        telegram_api.test_chats.update(chats_in(body))
        status, _ = http(assistant.base_url + "/webhooks/telegram/webhook", body, headers)
        count("telegram (with secret)", status)

    fuzz()
    afterwards(assistant, pids, "fuzz-telegram-after")


def test_action_server_webhook(assistant: RunningAssistant) -> None:
    pids = pids_of(assistant)
    calls = st.fixed_dictionaries(
        {"next_action": st.sampled_from(["action_assess", "action_greet", "validate_check_in_form"]) | JSON_VALUES},
        optional={"sender_id": JSON_VALUES, "tracker": JSON_VALUES, "domain": JSON_VALUES, "version": JSON_VALUES},
    ).map(body_of)

    @FUZZ
    @given(st.one_of(calls, JSON_VALUES.map(body_of), RAW_BODIES))
    def fuzz(body: bytes) -> None:
        status, _ = http(f"http://127.0.0.1:{assistant.actions_port}/webhook", body, {"Content-Type": "application/json"})
        count("action server /webhook", status)

    fuzz()
    afterwards(assistant, pids, "fuzz-actions-after")


def test_socketio(assistant: RunningAssistant) -> None:
    pids = pids_of(assistant)
    with WebChatClient(assistant.base_url) as chat:
        chat.connect()

        @FUZZ
        @given(
            st.sampled_from(["user_uttered", "session_request"]),
            JSON_VALUES
            | st.fixed_dictionaries(
                {"session_id": st.just(chat.session_id) | WILD_TEXT, "message": WILD_TEXT | JSON_VALUES},
                optional={"customData": JSON_VALUES},
            ),
        )
        def fuzz(event: str, data: Any) -> None:
            chat.client.emit(event, data)
            COUNTS.setdefault("socket.io", Counter())["cases"] += 1

        fuzz()
        time.sleep(2)
        assert chat.client.connected, "the server dropped the connection"
    with WebChatClient(assistant.base_url) as fresh:
        fresh.connect()
        assert fresh.say("hello"), "no reply on a new connection after the fuzzing"
    assert pids_of(assistant) == pids
