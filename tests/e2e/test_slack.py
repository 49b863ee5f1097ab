"""Slack end to end: signed Events API and interactivity requests to the running assistant, replies
checked where Slack would receive them (the local stand-in of its Web API).

Each test has its own Slack user ids (U_SLACK_...), so conversations on the shared assistant never mix.
A "no reply" is proven without sleeping: after the rejected or repeated request, a valid one is sent,
and once its turn is over the tracker must hold only the messages that should have been handled.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from typing import Optional

import pytest
import yaml

from bot.channels.slack import alert_heading, slack_text
from bot.knowledge import load_knowledge
from bot.levels import TriageLevel
from bot.settings import emergency_number
from tests.e2e.conversation import ANSWERS
from tests.support.assistant import PROJECT_ROOT, RunningAssistant, user_texts
from tests.support.platform_standin import PlatformCall
from tests.support.slack_api import SlackStandIn, deliver, dm_channel

pytestmark = pytest.mark.e2e

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
KNEE_PAIN = "the back of my right knee has ached for two weeks after running"
EMERGENCY = "my calf is swollen hot and red and I'm short of breath"


def webhook(assistant: RunningAssistant) -> str:
    return f"{assistant.base_url}/webhooks/slack/webhook"


def send(assistant: RunningAssistant, slack_api: SlackStandIn, body: bytes, content_type: str = JSON, **headers: str) -> int:
    """Delivers a correctly signed request, as Slack would; the HTTP status."""
    status, _ = deliver(webhook(assistant), body, content_type, {**slack_api.signed_headers(body), **headers})
    return status


def say(assistant: RunningAssistant, slack_api: SlackStandIn, user: str, text: str, turns: int) -> list[PlatformCall]:
    """`user` writes `text` in their DM; the messages the assistant posted in reply (turn `turns`)."""
    before = len(slack_api.posted_to(dm_channel(user)))
    assert send(assistant, slack_api, slack_api.message_event(user, text)) == 200
    assistant.settled(user, turns)
    return slack_api.posted_to(dm_channel(user))[before:]


def with_buttons(calls: list[PlatformCall]) -> list[PlatformCall]:
    return [call for call in calls if any(block.get("type") == "actions" for block in call.params.get("blocks") or [])]


def button_values(call: PlatformCall) -> dict[str, Optional[str]]:
    return {
        element["text"]["text"]: element.get("value")
        for block in call.params.get("blocks") or []
        if block.get("type") == "actions"
        for element in block["elements"]
    }


def test_a_direct_message_is_answered_in_the_dm(assistant: RunningAssistant, slack_api: SlackStandIn) -> None:
    replies = say(assistant, slack_api, "U_SLACK_HELLO", "hi", turns=1)
    assert replies, "no reply reached Slack"
    assert all(call.headers["authorization"] == f"Bearer {slack_api.bot_token}" for call in replies)
    said = "\n".join(call.params["text"] for call in replies)
    assert slack_text(load_knowledge().disclaimer) in said, said
    # Only Slack's own arguments: Rasa's response details (utter_action, metadata) stay home.
    assert all(set(call.params) <= {"channel", "text", "blocks"} for call in replies), [c.params for c in replies]


def test_knee_pain_leads_to_buttons_and_a_click_moves_the_intake_on(assistant: RunningAssistant, slack_api: SlackStandIn) -> None:
    user = "U_SLACK_INTAKE"
    replies, turns = say(assistant, slack_api, user, KNEE_PAIN, turns=1), 1
    # The description answers some questions; answer typed ones until one comes with buttons.
    while not with_buttons(replies) and turns < 4:
        requested = assistant.tracker(user)["slots"]["requested_slot"]
        turns += 1
        replies = say(assistant, slack_api, user, ANSWERS[requested], turns=turns)
    question = with_buttons(replies)[-1]
    blocks = question.params["blocks"]
    assert [block["type"] for block in blocks] == ["section", "actions"], blocks
    assert blocks[0]["text"]["text"] == question.params["text"]
    asked = assistant.tracker(user)["slots"]["requested_slot"]
    title, value = next(iter(button_values(question).items()))
    assert value, f"the button {title!r} has no value"

    before = len(slack_api.posted_to(dm_channel(user)))
    assert send(assistant, slack_api, slack_api.block_actions(user, question, title), FORM) == 200
    tracker = assistant.settled(user, turns + 1)
    assert user_texts(tracker)[-1] == value  # the click arrives as the person's own answer
    assert tracker["slots"]["requested_slot"] != asked
    assert slack_api.posted_to(dm_channel(user))[before:], "no reply after the click"
    # The clicked buttons give way to the choice, so the DM reads as a conversation.
    update = slack_api.wait_for("chat.update", where=lambda call: call.params.get("channel") == dm_channel(user))[-1]
    assert update.params["ts"] == f"{question.at:.6f}"
    assert [block["type"] for block in update.params["blocks"]] == ["section", "context"]
    assert title in update.params["blocks"][1]["elements"][0]["text"]


def test_emergency_gets_a_header_and_a_section(assistant: RunningAssistant, slack_api: SlackStandIn) -> None:
    replies = say(assistant, slack_api, "U_SLACK_EMERGENCY", EMERGENCY, turns=1)
    message = load_knowledge().level_message(TriageLevel.EMERGENCY, emergency_number())
    alerts = [call for call in replies if (call.params.get("blocks") or [{}])[0].get("type") == "header"]
    assert alerts, [call.params for call in replies]
    assert alerts[0] is replies[0], "the emergency message must come first"
    header, section = alerts[0].params["blocks"]
    assert header["text"]["text"] == alert_heading("emergency", emergency_number())
    assert emergency_number() in header["text"]["text"]
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": slack_text(message)}}
    assert alerts[0].params["text"].startswith(header["text"]["text"])  # what a notification shows


def test_unsigned_stale_or_forged_requests_get_401_and_no_reply(assistant: RunningAssistant, slack_api: SlackStandIn) -> None:
    user = "U_SLACK_FORGED"
    now = int(time.time())
    rejected = {
        "wrong secret": lambda body: slack_api.signed_headers(body, secret="not-the-secret"),
        "six minutes old": lambda body: slack_api.signed_headers(body, timestamp=now - 360),
        "six minutes ahead": lambda body: slack_api.signed_headers(body, timestamp=now + 360),
        "no headers": lambda body: {},
        "no signature": lambda body: {"X-Slack-Request-Timestamp": str(now)},
        "signature of another body": lambda body: slack_api.signed_headers(body + b" "),
    }
    for name, headers in rejected.items():
        body = slack_api.message_event(user, f"forged: {name}")
        status, _ = deliver(webhook(assistant), body, JSON, headers(body))
        assert status == 401, name
    challenge = json.dumps({"type": "url_verification", "challenge": "forged-challenge", "token": "x"}).encode()
    assert deliver(webhook(assistant), challenge, JSON, {})[0] == 401
    click = urllib.parse.urlencode({"payload": json.dumps({"type": "block_actions", "user": {"id": user}})}).encode()
    assert deliver(webhook(assistant), click, FORM, slack_api.signed_headers(click, timestamp=now - 360))[0] == 401

    say(assistant, slack_api, user, "hello there", turns=1)
    assert user_texts(assistant.tracker(user)) == ["hello there"]


def test_url_verification_echoes_the_challenge(assistant: RunningAssistant, slack_api: SlackStandIn) -> None:
    body = json.dumps(
        {"type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "token": "x"}
    ).encode()
    status, answer = deliver(webhook(assistant), body, JSON, slack_api.signed_headers(body))
    assert (status, json.loads(answer)) == (200, {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"})


def test_retries_are_answered_once_and_a_lost_first_attempt_is_handled(
    assistant: RunningAssistant, slack_api: SlackStandIn
) -> None:
    user = "U_SLACK_RETRY"
    first = slack_api.message_event(user, "hi", event_id="Ev_SLACK_RETRY_1")
    assert send(assistant, slack_api, first) == 200
    assistant.settled(user, 1)
    replies_to_first = len(slack_api.posted_to(dm_channel(user)))
    for number, reason in (("1", "http_timeout"), ("2", "http_error"), ("3", "connection_failed")):
        assert send(assistant, slack_api, first, **{"X-Slack-Retry-Num": number, "X-Slack-Retry-Reason": reason}) == 200
    # A retry whose first attempt never arrived is the only copy: it must be answered.
    lost = slack_api.message_event(user, "thanks", event_id="Ev_SLACK_RETRY_2")
    assert send(assistant, slack_api, lost, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}) == 200
    tracker = assistant.settled(user, 2)
    assert user_texts(tracker) == ["hi", "thanks"]
    bot_messages = [event for event in tracker["events"] if event.get("event") == "bot"]
    assert len(slack_api.posted_to(dm_channel(user))) == len(bot_messages) > replies_to_first


def test_a_repeated_click_is_answered_once(assistant: RunningAssistant, slack_api: SlackStandIn) -> None:
    user = "U_SLACK_CLICK_TWICE"
    token = assistant.token
    assistant.post_json(f"/conversations/{user}/trigger_intent?output_channel=slack&token={token}", {"name": "EXTERNAL_check_in"})
    opening = slack_api.wait_for("chat.postMessage", where=lambda call: call.params.get("channel") == user)[-1]
    click = slack_api.block_actions(user, opening, "Worse", channel=dm_channel(user))
    assert send(assistant, slack_api, click, FORM) == 200
    assert send(assistant, slack_api, click, FORM, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}) == 200
    say(assistant, slack_api, user, "ok", turns=2)
    assert user_texts(assistant.tracker(user)) == ["It's worse", "ok"]


def test_a_proactive_check_in_reaches_the_persons_dm(assistant: RunningAssistant, slack_api: SlackStandIn) -> None:
    user = "U_SLACK_CHECK_IN"
    token = assistant.token
    assistant.post_json(f"/conversations/{user}/trigger_intent?output_channel=slack&token={token}", {"name": "EXTERNAL_check_in"})
    # Posting to a user id is how Slack delivers into the app's direct message with that person.
    message = slack_api.wait_for("chat.postMessage", where=lambda call: call.params.get("channel") == user)[-1]
    # The check-in's first question is its opening (the variation for a check-in Poplit starts).
    variations = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"]["utter_ask_checkin_change"]
    opening = next(variation for variation in variations if not variation.get("condition"))
    assert message.params["text"] == slack_text(opening["text"])
    assert button_values(message) == {button["title"]: button["payload"] for button in opening["buttons"]}


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        (JSON, b"{not json"),
        (JSON, b"[1, 2]"),
        (JSON, b'{"type": "event_callback", "event": "text"}'),
        (JSON, b"\xff\xfe"),
        (FORM, b"payload=%7Bnot+json"),
        (FORM, b"no_payload_here=1"),
        (FORM, b'payload={"type": "block_actions", "actions": "none"}'),
        ("text/plain", b"hi"),
    ],
)
def test_malformed_bodies_get_400(assistant: RunningAssistant, slack_api: SlackStandIn, content_type: str, body: bytes) -> None:
    assert send(assistant, slack_api, body, content_type) == 400


def test_events_that_are_not_a_persons_message_get_200_and_no_reply(assistant: RunningAssistant, slack_api: SlackStandIn) -> None:
    user = "U_SLACK_NOISE"
    ignored = [
        {"type": "event_callback", "event_id": "Ev_SLACK_NOISE_1", "event": {"type": "reaction_added", "user": user}},
        {"type": "app_rate_limited", "minute_rate_limited": 1},
        {
            "type": "event_callback",
            "event_id": "Ev_SLACK_NOISE_2",
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": dm_channel(user),
                "user": user,
                "text": "mine",
                "bot_id": "B1",
            },
        },
        {
            "type": "event_callback",
            "event_id": "Ev_SLACK_NOISE_3",
            "event": {
                "type": "message",
                "subtype": "message_changed",
                "channel_type": "im",
                "channel": dm_channel(user),
                "user": user,
                "text": "edited",
            },
        },
        {
            "type": "event_callback",
            "event_id": "Ev_SLACK_NOISE_4",
            "event": {"type": "message", "channel_type": "channel", "channel": "C_SLACK_NOISE", "user": user, "text": "chatter"},
        },
    ]
    for event in ignored:
        assert send(assistant, slack_api, json.dumps(event).encode()) == 200, event
    say(assistant, slack_api, user, "hello", turns=1)
    assert user_texts(assistant.tracker(user)) == ["hello"]
    assert not slack_api.posted_to("C_SLACK_NOISE")


def test_a_mention_in_a_channel_gets_a_pointer_to_the_dm_and_no_conversation(
    assistant: RunningAssistant, slack_api: SlackStandIn
) -> None:
    user, channel = "U_SLACK_MENTION", "C_SLACK_MENTION"
    event = {
        "type": "event_callback",
        "event_id": "Ev_SLACK_MENTION_1",
        "authorizations": [{"user_id": slack_api.bot_user_id, "is_bot": True}],
        "event": {
            "type": "app_mention",
            "channel": channel,
            "user": user,
            "text": f"<@{slack_api.bot_user_id}> my knee hurts at the back",
            "ts": "1.000001",
        },
    }
    assert send(assistant, slack_api, json.dumps(event).encode()) == 200
    (note,) = slack_api.wait_for("chat.postMessage", where=lambda call: call.params.get("channel") == channel)
    assert "direct message" in note.params["text"] and note.params["thread_ts"] == "1.000001"
    # Nothing of the person's words reached the assistant: symptoms are not discussed in a channel.
    assert user_texts(assistant.tracker(user)) == []
