"""Each finding of the security probe of efe2eff (issue 22), tried again as an attacker would, through
the real servers. Every test here failed on efe2eff."""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional

import pytest

from bot.channels.door import MAX_TEXT_CHARS, TOO_LONG, rest_conversation_id
from tests.e2e.conftest import GUARDED_PER_ADDRESS, GUARDED_PER_SENDER, GUARDED_SESSION_EVENTS
from tests.e2e.conversation import ANSWERS
from tests.support.assistant import RunningAssistant
from tests.support.slack_api import SlackStandIn, deliver, dm_channel
from tests.support.socketio_client import WebChatClient
from tests.support.telegram_api import TelegramStandIn, post_update

pytestmark = pytest.mark.e2e

OPENING = "The back of my right knee has ached for about three weeks, worse after running."
# Typed by the attacker in these tests; tests/e2e/test_logs.py checks that no log repeats it.
LOG_MARKER = "periwinkle-aardvark"


def http(
    url: str, body: Optional[bytes] = None, headers: Optional[dict[str, str]] = None, method: str = "POST", timeout: float = 60
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def rest(assistant: RunningAssistant, body: bytes, address: Optional[str] = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", **({"X-Forwarded-For": address} if address else {})}
    status, raw = http(assistant.base_url + "/webhooks/rest/webhook", body, headers)
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, raw


def store_rows(assistant: RunningAssistant, query: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(assistant.var_dir / "poplit.db") as connection:
        return connection.execute(query, params).fetchall()


def through_the_assessment(assistant: RunningAssistant, sender: str) -> None:
    assistant.say(sender, OPENING)
    for _ in range(10):
        slots = assistant.rest_tracker(sender)["slots"]
        if slots.get("assessment_done"):
            return
        assistant.say(sender, ANSWERS[slots["requested_slot"]])
    raise AssertionError(f"no assessment for {sender}")


def still_serving(assistant: RunningAssistant, rasa_pid: int) -> None:
    assert assistant.service_pid("rasa") == rasa_pid, "Rasa was restarted"
    assert assistant.health()["services"]["rasa"]["restarts"] == 0
    assert assistant.say("after-" + secrets.token_hex(4), "hello"), "no reply after the attack"


# ---- One request stops Rasa ----


@pytest.mark.parametrize(
    "body",
    [
        b'{"sender": "\\ud800", "message": "hi"}',  # a lone surrogate: could not be stored, Rasa exited
        b'{"sender": "nul\\u0000byte", "message": "hi"}',
        b'{"sender": "someone", "message": "my knee \\udfff hurts"}',
        b'{"sender": "someone", "message": "nul \\u0000 in text"}',
        b'{"sender": "someone", "message": "bell \\u0007 in text"}',
        b'{"sender": "new\\nline", "message": "hi"}',
    ],
    ids=["surrogate-sender", "nul-sender", "surrogate-text", "nul-text", "control-text", "newline-sender"],
)
@pytest.mark.parametrize("which", ["sqlite", "postgres"])
def test_an_id_or_text_that_cannot_be_stored_gets_400_and_rasa_keeps_running(
    which: str, body: bytes, assistant: RunningAssistant, postgres_assistant: RunningAssistant
) -> None:
    target = assistant if which == "sqlite" else postgres_assistant
    pid = target.service_pid("rasa")
    status, answer = rest(target, body)
    assert status == 400, answer
    assert "error" in answer and "\ud800" not in json.dumps(answer)
    still_serving(target, pid)


# ---- REST callers choose their channel ----


def test_a_rest_caller_cannot_reach_a_web_conversations_history_by_claiming_socketio(assistant: RunningAssistant) -> None:
    sender = secrets.token_hex(16)  # shaped like a web session id
    status, _ = rest(assistant, json.dumps({"sender": sender, "message": OPENING, "input_channel": "socketio"}).encode())
    assert status == 200
    tracker = assistant.rest_tracker(sender)
    assert tracker["latest_input_channel"] == "rest"
    status, raw = http(
        assistant.base_url + "/chat/history", json.dumps({"session_id": sender}).encode(), {"Content-Type": "application/json"}
    )
    assert status == 200 and json.loads(raw) == {"messages": []}


def test_a_rest_caller_naming_a_slack_user_reaches_neither_their_conversation_nor_their_records(
    assistant: RunningAssistant, slack_api: SlackStandIn
) -> None:
    user = f"U_VICTIM_{secrets.token_hex(3).upper()}"
    body = slack_api.message_event(user, "hello there")
    assert (
        deliver(assistant.base_url + "/webhooks/slack/webhook", body, "application/json", slack_api.signed_headers(body))[0]
        == 200
    )
    assistant.settled(user, 1)
    # The attacker, over REST, with the victim's id and channel.
    for text in (OPENING, "it came on gradually"):
        status, _ = rest(assistant, json.dumps({"sender": user, "message": text, "input_channel": "slack"}).encode())
        assert status == 200
    victim = assistant.tracker(user)
    assert [event.get("text") for event in victim["events"] if event.get("event") == "user"] == ["hello there"]
    assert store_rows(assistant, "select channel from people where sender_id = ?", user) == []


# ---- Typed intents act on other people ----


def test_a_typed_check_in_trigger_cannot_touch_another_persons_follow_ups(assistant: RunningAssistant) -> None:
    victim = "victim-" + secrets.token_hex(4)
    through_the_assessment(assistant, victim)
    assistant.say(victim, "yes, check in on me in a week")
    rows = store_rows(
        assistant,
        "select f.id, f.public_id, f.status from follow_ups f join people p on p.id = f.person_id where p.sender_id = ?",
        rest_conversation_id(victim),
    )
    assert rows and all(status == "pending" for _, _, status in rows)
    attacker = "attacker-" + secrets.token_hex(4)
    for row_id, public_id, _ in rows:
        for value in (row_id, public_id):
            replies = assistant.say(attacker, f'/EXTERNAL_check_in{{"follow_up_id": "{value}"}} {LOG_MARKER}')
            assert not any("checking in" in (reply.get("text") or "") for reply in replies), replies
    after = store_rows(
        assistant,
        "select f.status from follow_ups f join people p on p.id = f.person_id where p.sender_id = ?",
        rest_conversation_id(victim),
    )
    assert after == [("pending",)] * len(rows)
    # Read as words, not as the intent.
    latest = assistant.rest_tracker(attacker)["latest_message"]
    assert latest["intent"].get("name") != "EXTERNAL_check_in" and not latest["text"].startswith("/")


def test_a_typed_intent_counts_only_as_a_button_offered_on_the_last_turn(assistant: RunningAssistant) -> None:
    sender = "typed-" + secrets.token_hex(4)
    assistant.say(sender, "hello")
    # Not offered: consent to check-ins cannot be typed in before any assessment.
    assistant.say(sender, '/accept_check_ins{"check_in_days": "2"}')
    latest = assistant.rest_tracker(sender)["latest_message"]
    # Read by the NLU as words (Rasa's intent syntax gives confidence 1.0 and the typed entities).
    assert not latest["text"].startswith("/") and latest["intent"].get("confidence") != 1.0, latest
    assert not [entity for entity in latest["entities"] if entity.get("entity") == "check_in_days"], latest
    # Offered (the check-in offer after an assessment): the button's payload is taken as it is.
    through_the_assessment(assistant, sender)
    assistant.say(sender, '/accept_check_ins{"check_in_days": "7"}')
    assert store_rows(assistant, "select consent from people where sender_id = ?", rest_conversation_id(sender)) == [
        ("accepted",)
    ]


# ---- 500s and stalls ----

DEEP = b"[" * 100_000 + b"]" * 100_000


def test_chat_history_refuses_deep_or_malformed_json_with_400(assistant: RunningAssistant) -> None:
    pid = assistant.service_pid("rasa")
    for body in (
        b'{"session_id":' + DEEP + b"}",
        DEEP,
        b"\xff\xfe{",
        b"[]",
        b'"x"',
        b'{"session_id": "x\\ud800yyyyyyyyyyyyyyyyyyyyyyyyy"}',
    ):
        status, _ = http(assistant.base_url + "/chat/history", body, {"Content-Type": "application/json"})
        assert status == 400, body[:40]
    still_serving(assistant, pid)


@pytest.mark.parametrize(
    "body",
    [
        b'{"text": 5}',
        b'{"text": null}',
        b'{"text": ["a"]}',
        b'{"text": {"a": 1}}',
        b"{}",
        b"[]",
        b'"text"',
        b"\xc3\x28",
        b'{"text": "\xc3\x28"}',
        b"{",
        DEEP,
        b'{"text": "a", "x": ' + DEEP + b"}",
        b'{"text": NaN}',
        b'{"text": "\\ud800"}',
    ],
)
def test_model_parse_answers_400_on_bad_input(assistant: RunningAssistant, body: bytes) -> None:
    pid = assistant.service_pid("rasa")
    status, _ = http(f"{assistant.base_url}/model/parse?token={assistant.token}", body, {"Content-Type": "application/json"})
    assert status == 400
    assert assistant.service_pid("rasa") == pid


def test_a_huge_text_is_refused_at_once_and_does_not_block_other_requests(assistant: RunningAssistant) -> None:
    huge = json.dumps({"text": "my knee hurts behind " * 5000}).encode()  # 100,000 characters
    results: dict[str, Any] = {}

    def parse_huge() -> None:
        started = time.monotonic()
        results["huge"] = http(
            f"{assistant.base_url}/model/parse?token={assistant.token}", huge, {"Content-Type": "application/json"}
        )
        results["huge_seconds"] = time.monotonic() - started

    thread = threading.Thread(target=parse_huge)
    thread.start()
    started = time.monotonic()
    assert assistant.say("while-huge-" + secrets.token_hex(3), "hello")
    other_seconds = time.monotonic() - started
    thread.join(60)
    assert results["huge"][0] == 413
    assert results["huge_seconds"] < 5 and other_seconds < 10, results
    long_message = json.dumps({"sender": "long-" + secrets.token_hex(3), "message": "a" * (MAX_TEXT_CHARS + 1)}).encode()
    status, answer = rest(assistant, long_message)
    assert status == 413 and answer["messages"][0]["text"] == TOO_LONG


def test_the_action_server_refuses_what_is_not_an_action_call(assistant: RunningAssistant) -> None:
    pid = assistant.service_pid("actions")
    url = f"http://127.0.0.1:{assistant.actions_port}/webhook"
    for body in (b"[]", b'"x"', b"5", DEEP, b"\xff", b'{"next_action": "\\ud800"}'):
        status, raw = http(url, body, {"Content-Type": "application/json"})
        assert status == 400, (body[:20], status, raw[:200])
    assert assistant.service_pid("actions") == pid
    assert assistant.say("after-actions-" + secrets.token_hex(3), OPENING)


def slack_post(assistant: RunningAssistant, slack_api: SlackStandIn, body: bytes, content_type: str) -> int:
    return deliver(assistant.base_url + "/webhooks/slack/webhook", body, content_type, slack_api.signed_headers(body))[0]


def interaction(user: str, action: dict[str, Any]) -> bytes:
    payload = {"type": "block_actions", "user": {"id": user}, "channel": {"id": dm_channel(user)}, "actions": [action]}
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def test_signed_slack_requests_with_deep_json_or_unusual_menus_get_no_5xx(
    assistant: RunningAssistant, slack_api: SlackStandIn
) -> None:
    pid = assistant.service_pid("rasa")
    assert slack_post(assistant, slack_api, b'{"type": "event_callback", "event": ' + DEEP + b"}", "application/json") == 400
    deep_form = urllib.parse.urlencode({"payload": (b"[" * 50_000 + b"]" * 50_000).decode()}).encode()
    assert slack_post(assistant, slack_api, deep_form, "application/x-www-form-urlencoded") == 400
    user = f"U_MENUS_{secrets.token_hex(3).upper()}"
    unusual = [
        {"type": "select"},
        {"type": "select", "selected_options": []},
        {"type": "select", "selected_options": ["x"]},
        {"type": "static_select"},
        {"type": "static_select", "selected_option": "x"},
        {"type": "overflow", "selected_option": None},
        {"type": "overflow", "selected_option": {"value": 5}},
        {"type": "datepicker", "selected_date": {"x": 1}},
        {"type": ["button"]},
    ]
    for action in unusual:
        assert slack_post(assistant, slack_api, interaction(user, action), "application/x-www-form-urlencoded") == 200, action
    assert (
        slack_post(
            assistant,
            slack_api,
            interaction(user, {"type": "static_select", "selected_option": {"value": "hello"}}),
            "application/x-www-form-urlencoded",
        )
        == 200
    )
    assistant.settled(user, 1)
    assert assistant.service_pid("rasa") == pid


def test_slack_messages_have_the_same_length_cap_and_retries_without_an_event_id_are_answered_once(
    assistant: RunningAssistant, slack_api: SlackStandIn
) -> None:
    user = f"U_LONG_{secrets.token_hex(3).upper()}"
    long_body = slack_api.message_event(user, "my knee " * 400)  # 3,200 characters
    assert slack_post(assistant, slack_api, long_body, "application/json") == 200
    told = slack_api.wait_for("chat.postMessage", 1, where=lambda call: call.params.get("channel") == dm_channel(user))
    assert "longer than I can read" in told[-1].params["text"]
    assert store_rows(assistant, "select count(*) from people where sender_id = ?", user) == [(0,)]

    other = f"U_NOID_{secrets.token_hex(3).upper()}"
    event = json.loads(slack_api.message_event(other, "hello there"))
    del event["event_id"]
    body = json.dumps(event).encode()
    for retry in ("", "1", "2"):
        headers = {
            **slack_api.signed_headers(body),
            **({"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else {}),
        }
        assert deliver(assistant.base_url + "/webhooks/slack/webhook", body, "application/json", headers)[0] == 200
    tracker = assistant.settled(other, 1)
    time.sleep(1)
    assert [event.get("text") for event in assistant.tracker(other)["events"] if event.get("event") == "user"] == [
        "hello there"
    ], tracker


def test_telegram_deep_json_gets_400_and_long_messages_a_kind_reply(
    assistant: RunningAssistant, telegram_api: TelegramStandIn
) -> None:
    pid = assistant.service_pid("rasa")
    assert post_update(assistant.base_url, DEEP)[0] == 400
    assert post_update(assistant.base_url, b'{"update_id": 1, "message": "\\ud800"}')[0] == 400
    chat = telegram_api.new_chat()
    assert post_update(assistant.base_url, telegram_api.text_update(chat, "knee " * 600))[0] == 200
    sent = telegram_api.wait_for("/sendMessage", 1, where=lambda call: str(call.params.get("chat_id")) == str(chat))
    assert "longer than I can read" in sent[-1].params["text"]
    assert assistant.service_pid("rasa") == pid


# ---- Rate limits ----


def test_one_sender_in_a_burst_is_slowed_down_kindly_and_others_are_not(guarded_assistant: RunningAssistant) -> None:
    sender = "burst-" + secrets.token_hex(4)
    statuses, kind = [], []
    for index in range(GUARDED_PER_SENDER + 15):
        status, answer = rest(guarded_assistant, json.dumps({"sender": sender, "message": f"hello {index}"}).encode(), "10.0.0.1")
        statuses.append(status)
        if status == 429:
            kind += [message["text"] for message in answer["messages"]]
    assert statuses[:GUARDED_PER_SENDER] == [200] * GUARDED_PER_SENDER
    assert statuses[GUARDED_PER_SENDER + 1 :].count(429) >= 13, statuses
    assert len(kind) == 1 and "faster than I can read" in kind[0], kind  # said once, not on every refusal
    # Another person, from another address, is answered as usual.
    status, answer = rest(
        guarded_assistant, json.dumps({"sender": "calm-" + secrets.token_hex(4), "message": "hello"}).encode(), "10.0.0.2"
    )
    assert status == 200 and answer


def test_one_address_in_a_burst_is_refused_with_429(guarded_assistant: RunningAssistant) -> None:
    statuses = [
        rest(
            guarded_assistant,
            json.dumps({"sender": f"many-{index}-{secrets.token_hex(3)}", "message": "hi"}).encode(),
            "10.0.0.3",
        )[0]
        for index in range(GUARDED_PER_ADDRESS + 10)
    ]
    assert statuses[:GUARDED_PER_ADDRESS] == [200] * GUARDED_PER_ADDRESS
    # The bucket refills at 30 a minute while the burst runs, so a few may pass again.
    assert statuses[GUARDED_PER_ADDRESS:].count(429) >= 6, statuses
    history = [
        http(
            guarded_assistant.base_url + "/chat/history",
            b'{"session_id": "x"}',
            {"Content-Type": "application/json", "X-Forwarded-For": "10.0.0.3"},
        )[0]
        for _ in range(5)
    ]
    assert 429 in history, history


def test_a_long_conversation_starts_new_sessions_and_keeps_every_message(guarded_assistant: RunningAssistant) -> None:
    sender = "chatty-" + secrets.token_hex(4)
    sent = [
        f"what causes pain behind the knee? ({index})" if index % 2 else f"hello ({index})" for index in range(GUARDED_PER_SENDER)
    ]
    for index, text in enumerate(sent):
        status, _ = rest(guarded_assistant, json.dumps({"sender": sender, "message": text}).encode(), f"10.0.1.{index}")
        assert status == 200
    current = guarded_assistant.rest_tracker(sender)
    assert len(current["events"]) <= GUARDED_SESSION_EVENTS * 3 // 2 + 20, len(current["events"])
    with sqlite3.connect(guarded_assistant.var_dir / "poplit-tracker.db") as connection:
        stored = [
            json.loads(data)
            for (data,) in connection.execute(
                "select data from events where sender_id = ? order by id", (rest_conversation_id(sender),)
            )
        ]
    assert [event["text"] for event in stored if event["event"] == "user"] == sent
    assert sum(event["event"] == "session_started" for event in stored) >= 2


# ---- Socket.IO ----


def test_socketio_refuses_a_foreign_origin_even_when_the_host_header_matches_it(assistant: RunningAssistant) -> None:
    url = assistant.base_url + "/socket.io/?EIO=4&transport=polling"
    status, _ = http(url, method="GET", headers={"Origin": "http://rebind.example", "Host": "rebind.example"})
    assert status == 400
    own = http(url, method="GET", headers={"Origin": assistant.base_url})
    assert own[0] == 200


def test_a_socket_cannot_write_to_a_session_it_did_not_join(assistant: RunningAssistant) -> None:
    with WebChatClient(assistant.base_url) as first, WebChatClient(assistant.base_url) as second:
        first.connect()
        second.connect()
        second.client.emit("user_uttered", {"session_id": first.session_id, "message": "hello"})
        kind, detail = second.next_error()
        assert kind == "message_error" and "not the session" in detail["error"]
        assert first.received.empty()
        second.client.emit("session_request", {"session_id": first.session_id})
        assert second.next_error()[0] == "session_error"
        assert first.say("hello")


def test_a_session_id_with_a_trailing_newline_is_not_an_id(assistant: RunningAssistant) -> None:
    """SESSION_ID was checked with re.match and `$`, which also matches before a final newline."""
    with WebChatClient(assistant.base_url) as chat:
        chat.connect(request_session=False)
        chat.client.emit("session_request", {"session_id": secrets.token_hex(16) + "\n"})
        assert chat.next_error()[0] == "session_error"
    status, _ = http(
        assistant.base_url + "/chat/history",
        json.dumps({"session_id": secrets.token_hex(16) + "\n"}).encode(),
        {"Content-Type": "application/json"},
    )
    assert status == 400


def test_a_socket_sending_too_fast_gets_an_error_event_and_one_kind_message(guarded_assistant: RunningAssistant) -> None:
    with WebChatClient(guarded_assistant.base_url) as chat:
        chat.connect()
        for index in range(GUARDED_PER_SENDER + 3):
            chat.client.emit("user_uttered", {"session_id": chat.session_id, "message": f"hello {index}"})
        errors = [chat.next_error(timeout=60) for _ in range(3)]
        assert all(kind == "message_error" and detail["status"] == 429 for kind, detail in errors), errors
        time.sleep(3)
        said = []
        while not chat.received.empty():
            said.append(chat.received.get().get("text") or "")
        assert sum("faster than I can read" in text for text in said) == 1, said


# ---- Rasa's HTTP API ----

# Rasa's routes anyone may call: its greeting and version, and the routes the channels add (each
# checks what it is sent: the door, signatures, session ids).
PUBLIC_ROUTES = {"/", "/version"}


def rasa_api_routes() -> list[tuple[str, str]]:
    """Every route Rasa's HTTP API has (read from Rasa's own app, so a new Rasa route is listed too),
    with each <parameter> filled in."""
    import re

    from rasa.server import create_app

    app = create_app(auth_token="listing-only")
    routes = set()
    for route in app.router.routes:
        path = "/" + re.sub(r"<[^>]+>", "someone", route.path).lstrip("/")
        if path not in PUBLIC_ROUTES and not path.startswith("/webhooks"):
            routes.update((method, path) for method in route.methods if method not in ("HEAD", "OPTIONS"))
    return sorted(routes)


def test_every_rasa_api_route_answers_401_without_the_token(assistant: RunningAssistant) -> None:
    routes = rasa_api_routes()
    assert len(routes) >= 15 and ("GET", "/conversations/someone/tracker") in routes
    open_routes = []
    for method, path in routes:
        body = b'{"text": "hi"}' if method in ("POST", "PUT") else None
        status, _ = http(assistant.base_url + path, body, {"Content-Type": "application/json"}, method=method)
        # 403: the model-replacement routes are off for everyone (the door answers before Rasa).
        if status not in (401, 403):
            open_routes.append((method, path, status))
    assert open_routes == []


def test_the_model_cannot_be_replaced_or_retrained_even_with_the_token(assistant: RunningAssistant) -> None:
    for method, path in (("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/train")):
        status, body = http(
            f"{assistant.base_url}{path}?token={assistant.token}", b'{"model_file": "/tmp/other.tar.gz"}',
            {"Content-Type": "application/json"}, method=method,
        )  # fmt: skip
        assert status == 403 and b"MODEL=" in body, (method, path, status)
    assert assistant.say("model-" + secrets.token_hex(4), "hello")  # the model it started with still answers
