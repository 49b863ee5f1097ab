"""The website widget's channel with a real Socket.IO client against the running assistant: replies
arrive (RasaHQ/rasa#13027 fixed), a proactive message reaches the person's room, bad input gets a
clear error, the history answers only to the session id, and other sites are refused."""

from __future__ import annotations

import json
import secrets
import urllib.error
import urllib.request
from typing import Any

import pytest
import socketio

from bot.knowledge import load_knowledge
from tests.support.assistant import RunningAssistant
from tests.support.socketio_client import WebChatClient

pytestmark = pytest.mark.e2e


def texts(messages: list[dict[str, Any]]) -> str:
    return " ".join(message.get("text", "") for message in messages)


def history(assistant: RunningAssistant, body: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(
        assistant.base_url + "/chat/history", data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_replies_buttons_and_a_proactive_message_reach_the_browser_session(assistant: RunningAssistant) -> None:
    with WebChatClient(assistant.base_url) as chat:
        chat.connect()
        greeting = chat.say("hi")
        assert load_knowledge().disclaimer in texts(greeting)

        intake = chat.say("the back of my left knee has ached for about 3 weeks after running")
        with_choices = [message for message in intake if message.get("quick_replies")]
        assert with_choices, intake  # the intake's closed question comes with its choices
        choice = with_choices[-1]["quick_replies"][0]
        assert choice["title"] and choice["payload"]
        assert chat.say(choice["payload"])  # a choice sent back moves the conversation on

        # Proactive: the scheduler's trigger_intent reaches the room this browser joined.
        assistant.post_json(
            f"/conversations/{chat.session_id}/trigger_intent?output_channel=socketio&token={assistant.token}",
            {"name": "EXTERNAL_check_in"},
        )
        pushed = chat.collect()
        assert "checking in" in texts(pushed) and pushed[0].get("quick_replies"), pushed


def test_a_second_tab_of_the_same_session_sees_the_replies(assistant: RunningAssistant) -> None:
    with WebChatClient(assistant.base_url) as first, WebChatClient(assistant.base_url, session_id=first.session_id) as second:
        first.connect()
        second.connect()
        first.say("hello")
        assert second.collect(), "the other tab of the same session got nothing"


def test_an_emergency_arrives_marked_as_an_alert(assistant: RunningAssistant) -> None:
    with WebChatClient(assistant.base_url) as chat:
        chat.connect()
        messages = chat.say("my calf is swollen, hot and red and I'm suddenly short of breath")
    alerts = [message for message in messages if message.get("alert") == "emergency"]
    assert len(alerts) == 1, messages
    assert "112" in alerts[0]["text"]


def test_bad_input_gets_a_clear_error_and_the_channel_keeps_working(assistant: RunningAssistant) -> None:
    with WebChatClient(assistant.base_url) as chat:
        chat.connect(request_session=False)
        chat.client.emit("session_request", {"session_id": "short"})
        assert chat.next_error()[0] == "session_error"
        for data in ({"message": "hi"}, "not an object", {"session_id": secrets.token_hex(16), "message": "x" * 5000}):
            chat.client.emit("user_uttered", data)
            event, problem = chat.next_error()
            assert event == "message_error" and problem["error"], problem
        chat.request_session(secrets.token_hex(16))
        assert chat.say("hi")


def test_history_answers_only_to_the_web_session_id(assistant: RunningAssistant) -> None:
    with WebChatClient(assistant.base_url) as chat:
        chat.connect()
        chat.say("what causes pain behind the knee?")
    status, body = history(assistant, json.dumps({"session_id": chat.session_id}).encode())
    assert status == 200
    roles = [message["role"] for message in body["messages"]]
    assert roles[0] == "user" and "bot" in roles
    assert body["messages"][0]["text"] == "what causes pain behind the knee?"

    # A conversation from another channel is not readable by its id, even a long one.
    rest_sender = "rest-" + secrets.token_hex(16)
    assistant.say(rest_sender, "hi")
    assert history(assistant, json.dumps({"session_id": rest_sender}).encode()) == (200, {"messages": []})
    for bad in (b"not json", b"[]", b'{"session_id": "short"}', b'{"session_id": 5}'):
        status, body = history(assistant, bad)
        assert status == 400 and body["error"], body  # what is wrong: not JSON, not an object, or the id


def test_other_sites_cannot_open_a_socket_but_the_page_itself_can(assistant: RunningAssistant) -> None:
    def connects_from(origin: str) -> bool:
        chat = WebChatClient(assistant.base_url, origin=origin)
        try:
            chat.connect(request_session=False)
        except socketio.exceptions.ConnectionError:
            return False
        chat.close()
        return True

    assert connects_from(assistant.base_url)
    assert not connects_from("https://evil.example")


def test_the_chat_page_is_served_with_its_safety_line_and_a_strict_policy(assistant: RunningAssistant) -> None:
    with urllib.request.urlopen(assistant.base_url + "/chat", timeout=30) as reply:
        page = reply.read().decode()
        policy = reply.headers["Content-Security-Policy"]
    assert load_knowledge().disclaimer.split(",")[0] in page and "112" in page
    assert "script-src 'self'" in policy and "frame-ancestors 'self'" in policy
    for asset in ("poplit-chat.js", "vendor/deep-chat.js", "vendor/socket.io.js", "embed.js"):
        with urllib.request.urlopen(f"{assistant.base_url}/chat/{asset}", timeout=30) as reply:
            assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/javascript")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(assistant.base_url + "/chat/../../etc/passwd", timeout=30)
    assert missing.value.code == 404
