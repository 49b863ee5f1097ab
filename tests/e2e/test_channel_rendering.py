"""One conversation, four channels: the same intake-to-assessment conversation and the same emergency
through REST, Socket.IO, Slack and Telegram. The assistant must say the same things in the same
order on each, each in the channel's native form (REST buttons, Socket.IO quick replies, Block Kit
actions, Telegram inline keyboards; the emergency as the channel's alert)."""

from __future__ import annotations

import html
import re
import secrets
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pytest

from bot.channels.door import rest_conversation_id
from tests.e2e.conversation import ANSWERS
from tests.support.assistant import RunningAssistant
from tests.support.slack_api import SlackStandIn, deliver, dm_channel
from tests.support.socketio_client import WebChatClient
from tests.support.telegram_api import TelegramStandIn, keyboard, post_update

pytestmark = pytest.mark.e2e

OPENING = "The back of my right knee has been aching"
EMERGENCY = "my calf is swollen, hot and red and I'm suddenly short of breath"


@dataclass
class Turn:
    """What one channel delivered for one message: the texts, and which of them came with choices
    in the channel's own form (their titles)."""

    texts: list[str] = field(default_factory=list)  # as the person reads them, markup taken off
    choices: list[list[str]] = field(default_factory=list)
    alert_marked: bool = False


class Channel:
    name = ""

    def __init__(self, assistant: RunningAssistant) -> None:
        self.assistant = assistant
        self.turns = 0

    sender = ""

    @property
    def conversation_id(self) -> str:
        """The tracker's id: the sender, except on REST, whose ids have a namespace of their own."""
        return rest_conversation_id(self.sender) if self.name == "rest" else self.sender

    def send(self, text: str) -> Turn:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Rest(Channel):
    name = "rest"

    def __init__(self, assistant: RunningAssistant) -> None:
        super().__init__(assistant)
        self.sender = "render-rest-" + secrets.token_hex(6)

    def send(self, text: str) -> Turn:
        turn = Turn()
        for reply in self.assistant.say(self.sender, text):
            turn.texts.append(reply.get("text") or "")
            if reply.get("buttons"):
                assert all({"title", "payload"} <= set(button) for button in reply["buttons"]), reply
                turn.choices.append([button["title"] for button in reply["buttons"]])
        return turn


class SocketIO(Channel):
    name = "socketio"

    def __init__(self, assistant: RunningAssistant) -> None:
        super().__init__(assistant)
        self.client = WebChatClient(assistant.base_url)
        self.client.connect()
        self.sender = self.client.session_id

    def send(self, text: str) -> Turn:
        self.turns += 1
        self.client.client.emit("user_uttered", {"session_id": self.sender, "message": text})
        expected = self.bot_messages_after()
        turn = Turn()
        for _ in range(expected):
            message = self.client.received.get(timeout=30)
            turn.texts.append(message.get("text") or "")
            if message.get("quick_replies"):
                assert all(reply["content_type"] == "text" for reply in message["quick_replies"]), message
                turn.choices.append([reply["title"] for reply in message["quick_replies"]])
            turn.alert_marked |= (
                message.get("alert") == "emergency" and message.get("alert_title") == "🚨 Emergency: call 112 now"
            )
        return turn

    def bot_messages_after(self) -> int:
        return count_bot_messages_of_last_turn(self.assistant.settled(self.conversation_id, self.turns))

    def close(self) -> None:
        self.client.close()


class Slack(Channel):
    name = "slack"

    def __init__(self, assistant: RunningAssistant, api: SlackStandIn) -> None:
        super().__init__(assistant)
        self.api = api
        self.sender = f"U_RENDER_{secrets.token_hex(4).upper()}"

    def send(self, text: str) -> Turn:
        self.turns += 1
        before = len(self.api.posted_to(dm_channel(self.sender)))
        body = self.api.message_event(self.sender, text)
        status, _ = deliver(
            f"{self.assistant.base_url}/webhooks/slack/webhook", body, "application/json", self.api.signed_headers(body)
        )
        assert status == 200
        expected = count_bot_messages_of_last_turn(self.assistant.settled(self.conversation_id, self.turns))
        posted = self.api.wait_for(
            "chat.postMessage", before + expected, where=lambda c: c.params.get("channel") == dm_channel(self.sender)
        )
        turn = Turn()
        for call in posted[before:]:
            blocks = call.params.get("blocks") or []
            turn.texts.append(plain(call.params.get("text") or "", heading=any(b.get("type") == "header" for b in blocks)))
            actions = [block for block in blocks if block.get("type") == "actions"]
            if actions:
                turn.choices.append([element["text"]["text"] for block in actions for element in block["elements"]])
            turn.alert_marked |= any(block.get("type") == "header" for block in blocks)
        return turn


class Telegram(Channel):
    name = "telegram"

    def __init__(self, assistant: RunningAssistant, api: TelegramStandIn) -> None:
        super().__init__(assistant)
        self.api = api
        self.chat_id = api.new_chat()
        self.sender = str(self.chat_id)

    def send(self, text: str) -> Turn:
        to_us: Callable[[Any], bool] = lambda call: str(call.params.get("chat_id")) == self.sender  # noqa: E731
        before = len(self.api.calls_to("/sendMessage", where=to_us))
        status, _ = post_update(self.assistant.base_url, self.api.text_update(self.chat_id, text))
        assert status == 200
        self.turns += 1
        expected = count_bot_messages_of_last_turn(self.assistant.settled(self.conversation_id, self.turns))
        sent = self.api.wait_for("/sendMessage", before + expected, where=to_us)
        turn = Turn()
        for call in sent[before:]:
            text = str(call.params.get("text") or "")
            turn.texts.append(plain(re.sub(r"<[^>]+>", "", text), heading=text.startswith("<b>")))
            if keyboard(call):
                turn.choices.append([button["text"] for row in keyboard(call) for button in row])
            turn.alert_marked |= text.startswith("<b>🚨 Emergency: call 112 now</b>")
        return turn


def plain(text: str, heading: bool) -> str:
    """A Slack or Telegram message as the words the person reads: without the alert heading line
    (checked separately), entities decoded, bullets back as the "- " the knowledge texts use."""
    if heading:
        text = text.split("\n", 1)[1]
    return re.sub(r"^• ", "- ", html.unescape(text), flags=re.M)


def count_bot_messages_of_last_turn(tracker: dict[str, Any]) -> int:
    count = 0
    for event in reversed(tracker["events"]):
        if event.get("event") == "user":
            return count
        if event.get("event") == "bot":
            count += 1
    return count


def said(tracker: dict[str, Any]) -> list[str]:
    """Which responses the assistant gave, in order (the channel-independent record)."""
    return [
        str((event.get("metadata") or {}).get("utter_action") or event.get("text"))
        for event in tracker["events"]
        if event.get("event") == "bot"
    ]


@pytest.fixture
def channels(assistant: RunningAssistant, slack_api: SlackStandIn, telegram_api: TelegramStandIn) -> Iterator[list[Channel]]:
    opened: list[Channel] = [
        Rest(assistant),
        SocketIO(assistant),
        Slack(assistant, slack_api),
        Telegram(assistant, telegram_api),
    ]
    yield opened
    for channel in opened:
        channel.close()


def intake_conversation(channel: Channel) -> list[Turn]:
    turns = [channel.send(OPENING)]
    for _ in range(10):
        slots = channel.assistant.tracker(channel.conversation_id)["slots"]
        if slots.get("assessment_done"):
            return turns
        turns.append(channel.send(ANSWERS[slots["requested_slot"]]))
    raise AssertionError(f"{channel.name}: no assessment after 10 answers")


def test_the_same_intake_is_shown_natively_on_every_channel(channels: list[Channel], assistant: RunningAssistant) -> None:
    conversations = {channel.name: intake_conversation(channel) for channel in channels}
    records = {channel.name: said(assistant.tracker(channel.conversation_id)) for channel in channels}
    assert len({tuple(record) for record in records.values()}) == 1, records
    shown_texts = {name: [turn.texts for turn in turns] for name, turns in conversations.items()}
    assert len({repr(texts) for texts in shown_texts.values()}) == 1, shown_texts
    shown_choices = {name: [turn.choices for turn in turns] for name, turns in conversations.items()}
    assert len({repr(choices) for choices in shown_choices.values()}) == 1, shown_choices
    assert sum(len(turn_choices) for turn_choices in shown_choices["rest"]) >= 3  # several closed questions had buttons
    for name, turns in conversations.items():
        # OPENING says where and which side: "The back of my right knee"
        assert "at the back of your right knee" in " ".join(turns[-1].texts), (name, turns[-1].texts)


def test_the_emergency_is_the_channels_own_alert_everywhere(channels: list[Channel], assistant: RunningAssistant) -> None:
    turns = {channel.name: channel.send(EMERGENCY) for channel in channels}
    records = {channel.name: said(assistant.tracker(channel.conversation_id)) for channel in channels}
    assert len({tuple(record) for record in records.values()}) == 1, records
    assert len({repr(turn.texts) for turn in turns.values()}) == 1, turns
    for name in ("socketio", "slack", "telegram"):
        assert turns[name].alert_marked, (name, turns[name])
    assert not turns["rest"].alert_marked and "112" in turns["rest"].texts[0]
