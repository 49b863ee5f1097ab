"""Slack rendering (Block Kit shapes) and the retry memory, without a server."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.channels.rendering import alert_heading
from bot.channels.slack import (
    PoplitSlackBot,
    PoplitSlackInput,
    answered_blocks,
    escape_mrkdwn,
    render_image,
    render_message,
    slack_text,
)
from tests.support.slack_api import block_errors

BUTTONS = [{"title": "Better", "payload": "It's better"}, {"title": "Worse", "payload": "/worse"}]


def test_text_is_escaped_for_mrkdwn_and_lists_become_bullets() -> None:
    assert escape_mrkdwn("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert (
        slack_text("Things that help:\n- rest & ice\n- <gentle> walks")
        == "Things that help:\n• rest &amp; ice\n• &lt;gentle&gt; walks"
    )
    assert render_message("  just text  ") == {"text": "just text"}


def test_buttons_are_a_section_and_an_actions_block_with_the_payloads_as_values() -> None:
    message = render_message("How is it?", buttons=BUTTONS)
    section, actions = message["blocks"]
    assert section == {"type": "section", "text": {"type": "mrkdwn", "text": "How is it?"}}
    assert actions["type"] == "actions"
    assert [(e["type"], e["text"]["text"], e["value"]) for e in actions["elements"]] == [
        ("button", "Better", "It's better"),
        ("button", "Worse", "/worse"),
    ]
    assert len({e["action_id"] for e in actions["elements"]}) == 2
    assert message["text"] == "How is it?" and not block_errors(message["blocks"])


def test_many_long_buttons_stay_within_slacks_limits() -> None:
    buttons = [{"title": f"Choice {i} " + "x" * 100, "payload": str(i)} for i in range(30)]
    buttons.append({"title": "Too big", "payload": "y" * 2001})
    blocks = render_message("Pick", buttons=buttons)["blocks"]
    assert [len(block["elements"]) for block in blocks if block["type"] == "actions"] == [25, 5]
    assert not block_errors(blocks)
    assert render_message("x" * 5000, buttons=BUTTONS)["blocks"][0]["text"]["text"].endswith("…")


def test_a_link_button_has_a_url_and_no_value() -> None:
    (button,) = render_message("See", buttons=[{"title": "Leaflet", "url": "https://example.org/x"}])["blocks"][1]["elements"]
    assert button["url"] == "https://example.org/x" and "value" not in button


def test_emergency_and_urgent_messages_get_a_header_first() -> None:
    emergency = render_message("This could be serious. Call 999 now.", alert="emergency", number="999")
    header, section = emergency["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "🚨 Emergency: call 999 now", "emoji": True}}
    assert section["text"]["text"] == "This could be serious. Call 999 now."
    assert emergency["text"] == "🚨 Emergency: call 999 now\nThis could be serious. Call 999 now."
    urgent = render_message("Get seen today.", alert="urgent")
    assert urgent["blocks"][0]["text"]["text"] == alert_heading("urgent", "112")
    assert render_message("Hi", alert="something else") == {"text": "Hi"}
    with_buttons = render_message("Serious", buttons=BUTTONS, alert="emergency", number="112")
    assert [block["type"] for block in with_buttons["blocks"]] == ["header", "section", "actions"]
    assert not block_errors(emergency["blocks"] + with_buttons["blocks"])


def test_an_image_is_an_image_block_with_alt_text() -> None:
    message = render_image("https://example.org/stretch.png", "Calf stretch")
    assert message["blocks"] == [{"type": "image", "image_url": "https://example.org/stretch.png", "alt_text": "Calf stretch"}]
    assert render_image("https://example.org/x.png")["blocks"][0]["alt_text"]


def test_a_click_replaces_its_buttons_with_the_choice() -> None:
    blocks = render_message("How is it?", buttons=BUTTONS)["blocks"]
    block_id = blocks[1]["block_id"]
    answered = answered_blocks(blocks, block_id, "Worse <really>")
    assert answered is not None and answered[0] == blocks[0]
    assert answered[1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "You chose: *Worse &lt;really&gt;*"}]}
    assert answered_blocks(blocks, "another block", "Worse") is None


class FakeClient:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    async def chat_postMessage(self, **kwargs: Any) -> None:  # noqa: N802 (slack_sdk's name)
        self.posted.append(kwargs)


def test_the_output_channel_sends_only_slacks_arguments() -> None:
    bot = PoplitSlackBot("xoxb-test", base_url="http://127.0.0.1:1/api/")
    client = FakeClient()
    bot.client = client  # type: ignore[assignment]
    rasa_kwargs = {"metadata": {"alert": "emergency"}, "utter_action": "utter_escalation", "condition": []}
    asyncio.run(bot.send_text_message("U1", "Call 112 now.", **rasa_kwargs))
    asyncio.run(bot.send_text_with_buttons("U1", "Pick", BUTTONS, utter_action="utter_x", metadata={}))
    asyncio.run(bot.send_custom_json("U1", {"text": "custom", "channel": "C9"}))
    assert [set(message) for message in client.posted] == [{"channel", "text", "blocks"}] * 2 + [{"channel", "text"}]
    assert client.posted[0]["channel"] == "U1" and client.posted[0]["blocks"][0]["type"] == "header"
    assert client.posted[2]["channel"] == "C9"


def test_credentials_point_the_web_api_client_at_the_configured_url() -> None:
    channel = PoplitSlackInput.from_credentials(
        {"slack_token": "xoxb-test", "slack_signing_secret": "s", "slack_api_url": "http://127.0.0.1:9/api"}
    )
    assert isinstance(channel, PoplitSlackInput) and channel.name() == "slack"
    output = channel.get_output_channel()
    assert isinstance(output, PoplitSlackBot)
    assert output.client.base_url == "http://127.0.0.1:9/api/" and output.slack_channel is None
