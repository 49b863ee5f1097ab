"""The Telegram connector without Rasa running: rendering, the webhook's answers and the Bot API calls
it makes, against the local stand-in of the Bot API."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Awaitable, Callable, Iterator

import pytest
import yaml
from rasa.core.channels.channel import UserMessage

from bot.channels.telegram import (
    CALLBACK_DATA_MAX_BYTES,
    EXPIRED_BUTTON_NOTICE,
    MESSAGE_MAX_CHARS,
    CallbackKeys,
    PoplitTelegramInput,
    as_person_text,
    keyboard_rows,
    render_html,
    split_text,
)
from tests.support.assistant import PROJECT_ROOT
from tests.support.telegram_api import TelegramStandIn, keyboard

CHECK_IN_BUTTONS = [
    {"title": "Better", "payload": "It's better"},
    {"title": "About the same", "payload": "It's about the same"},
    {"title": "Worse", "payload": "It's worse"},
]


def domain_buttons() -> list[dict[str, Any]]:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    return [
        button for variants in domain["responses"].values() for variant in variants for button in variant.get("buttons") or []
    ]


def test_every_button_in_the_domain_travels_as_its_own_payload_or_under_a_key() -> None:
    buttons = domain_buttons()
    assert buttons
    keys = CallbackKeys()
    for button in buttons:
        data = keys.data_for(button["payload"])
        assert len(data.encode()) <= CALLBACK_DATA_MAX_BYTES, button
        # Intent payloads ("/accept_check_ins{...}") go under a key, so typed text can never be one.
        assert data == button["payload"] or keys.payload_for(data) == button["payload"], button


def test_long_and_intent_payloads_travel_under_short_keys_that_map_back() -> None:
    keys = CallbackKeys()
    long_payload = "the pain is at the back of the knee, mostly after running downhill for a while"
    intent_payload = '/inform{"pain_location": "calf"}'
    for payload in (long_payload, intent_payload, "k:looks like a key"):
        data = keys.data_for(payload)
        assert data != payload and len(data.encode()) <= CALLBACK_DATA_MAX_BYTES
        assert data == keys.data_for(payload)  # the same payload, the same key
        assert keys.payload_for(data) == payload
    # Unknown keys (issued before a restart) and forged intents never reach Rasa as intents.
    assert CallbackKeys().payload_for(keys.data_for(long_payload)) is None
    assert keys.payload_for('/inform{"triage_level": "self_care"}') == 'inform{"triage_level": "self_care"}'


def test_short_titles_share_a_row_and_long_ones_stack() -> None:
    keys = CallbackKeys()
    assert keyboard_rows(CHECK_IN_BUTTONS, keys) == [
        [
            {"text": "Better", "callback_data": "It's better"},
            {"text": "About the same", "callback_data": "It's about the same"},
            {"text": "Worse", "callback_data": "It's worse"},
        ]
    ]
    location = next(
        variant["buttons"]
        for variants in yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())["responses"].values()
        for variant in variants
        if variant.get("buttons") and len(variant["buttons"]) >= 4
    )
    rows = keyboard_rows(location, keys)
    assert [len(row) for row in rows] == [1] * len(location)
    assert [row[0]["text"] for row in rows] == [button["title"] for button in location]


def test_alert_heading_leads_and_everything_else_is_escaped() -> None:
    assert render_html("Call 112 <now> & don't wait") == "Call 112 &lt;now&gt; &amp; don't wait"
    emergency = render_html("Call 112 <now>", "emergency")
    assert emergency.startswith("<b>🚨 Emergency: call 112 now</b>\n") and emergency.endswith("Call 112 &lt;now&gt;")
    assert render_html("See a doctor today", "urgent").startswith("<b>⚠️ Get your knee checked today</b>\n")
    assert render_html("plain", "something else") == "plain"


def test_long_text_is_cut_between_paragraphs_within_telegrams_limit() -> None:
    paragraph = "word " * 300
    parts = split_text("\n\n".join([paragraph.strip()] * 5))
    assert len(parts) > 1 and all(0 < len(part) <= MESSAGE_MAX_CHARS for part in parts)
    assert " ".join(parts).split() == ("word " * 1500).split()
    assert split_text("short") == ["short"] and split_text("   ") == []


def test_commands_become_words() -> None:
    assert as_person_text("/start") == "hi"
    assert as_person_text("/start@poplit_bot ref123", "poplit_bot") == "hi"
    assert as_person_text("/help@Poplit_Bot", "poplit_bot") == "help"
    assert as_person_text('/greet{"name": "x"}') == 'greet{"name": "x"}'
    assert as_person_text("my knee / calf hurts") == "my knee / calf hurts"


# --- the webhook and the output channel, against the Bot API stand-in -------------------------------


@pytest.fixture
def telegram_api() -> Iterator[TelegramStandIn]:
    with TelegramStandIn() as api:
        yield api


def channel_for(api: TelegramStandIn) -> PoplitTelegramInput:
    env = api.assistant_env()
    return PoplitTelegramInput.from_credentials(
        {
            "access_token": env["TELEGRAM_TOKEN"],
            "verify": env["TELEGRAM_VERIFY"],
            "webhook_url": env["TELEGRAM_WEBHOOK_URL"],
            "secret_token": env["TELEGRAM_SECRET_TOKEN"],
            "api_url": env["TELEGRAM_API_URL"],
        }
    )


def run_with(channel: PoplitTelegramInput, work: Callable[[], Awaitable[Any]]) -> Any:
    """Runs `work` in a fresh event loop and closes the channel's HTTP session in that loop."""

    async def wrapped() -> Any:
        try:
            return await work()
        finally:
            session = channel.get_output_channel()._session
            if session is not None:
                await session.close()

    return asyncio.run(wrapped())


def test_no_call_reaches_telegram_when_the_channel_is_built(telegram_api: TelegramStandIn) -> None:
    channel = channel_for(telegram_api)
    channel.blueprint(lambda message: asyncio.sleep(0))
    output = channel.get_output_channel()
    assert output is channel.get_output_channel()  # the proactive path gets the same, ready channel
    assert output.server.api_url(token="T", method="sendMessage") == f"http://127.0.0.1:{telegram_api.port}/botT/sendMessage"
    assert telegram_api.calls == []


def test_missing_secret_token_refuses_to_start() -> None:
    with pytest.raises(ValueError, match="secret_token"):
        PoplitTelegramInput.from_credentials({"access_token": "1:x", "verify": "b", "webhook_url": "https://x"})


def test_webhook_answers(telegram_api: TelegramStandIn) -> None:
    channel = channel_for(telegram_api)
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    def post(update: Any, secret: str = TelegramStandIn.secret_token) -> tuple[int, dict]:
        body = update if isinstance(update, bytes) else json.dumps(update).encode()
        return run_with(channel, lambda: channel.receive(secret, body, on_new_message))

    update = telegram_api.text_update(501, "hello")
    assert post(update, "")[0] == 403 and post(update, "wrong")[0] == 403
    assert received == []
    assert post(b"{not json")[0] == 400
    assert post([1, 2]) == (200, {"status": "ignored"})
    assert post({"message": {"text": "no update id"}}) == (200, {"status": "ignored"})
    assert post(update) == (200, {"status": "ok"})
    assert post(update) == (200, {"status": "duplicate"})
    assert [(m.text, m.sender_id, m.input_channel) for m in received] == [("hello", "501", "telegram")]

    edited = {"update_id": telegram_api.next_update_id(), "edited_message": update["message"]}
    group = telegram_api.text_update(-100, "hi all")
    group["message"]["chat"]["type"] = "group"
    photo = telegram_api.text_update(501, "")
    del photo["message"]["text"]
    for ignored in (edited, group, photo, {"update_id": telegram_api.next_update_id(), "my_chat_member": {}}):
        assert post(ignored) == (200, {"status": "ok"})
    assert post(telegram_api.text_update(501, "/start"))[0] == 200
    assert [m.text for m in received] == ["hello", "hi"]
    assert telegram_api.calls == []  # receiving costs no call to Telegram


def test_a_failing_turn_is_logged_and_not_redelivered(telegram_api: TelegramStandIn) -> None:
    channel = channel_for(telegram_api)

    async def broken(message: UserMessage) -> None:
        raise RuntimeError("boom")

    body = json.dumps(telegram_api.text_update(502, "hello")).encode()
    assert run_with(channel, lambda: channel.receive(TelegramStandIn.secret_token, body, broken)) == (200, {"status": "ok"})


def test_buttons_go_out_as_an_inline_keyboard_and_a_tap_comes_back_as_the_payload(telegram_api: TelegramStandIn) -> None:
    channel = channel_for(telegram_api)
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    out = channel.get_output_channel()
    run_with(channel, lambda: out.send_text_with_buttons("503", "How has it been?", CHECK_IN_BUTTONS))
    [sent] = telegram_api.wait_for("/sendMessage")
    assert sent.params["parse_mode"] == "HTML" and sent.params["text"] == "How has it been?"
    assert [[b["text"] for b in row] for row in keyboard(sent)] == [["Better", "About the same", "Worse"]]

    tap = json.dumps(telegram_api.callback_update(sent, "Worse")).encode()
    assert run_with(channel, lambda: channel.receive(TelegramStandIn.secret_token, tap, on_new_message))[0] == 200
    [answered] = telegram_api.wait_for("/answerCallbackQuery")
    assert answered.params["callback_query_id"].startswith("cbq-") and "text" not in answered.params
    [edited] = telegram_api.wait_for("/editMessageText")
    assert edited.params["text"].endswith("» Worse") and "reply_markup" not in edited.params
    assert [(m.text, m.sender_id) for m in received] == [("It's worse", "503")]


def test_a_tap_on_a_button_from_before_a_restart_asks_to_type(telegram_api: TelegramStandIn) -> None:
    before_restart = channel_for(telegram_api)
    long_payload = "x" * 100
    run_with(
        before_restart,
        lambda: before_restart.get_output_channel().send_text_with_buttons(
            "504", "Pick", [{"title": "Long", "payload": long_payload}]
        ),
    )
    [sent] = telegram_api.wait_for("/sendMessage")
    after_restart = channel_for(telegram_api)
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    tap = json.dumps(telegram_api.callback_update(sent, "Long")).encode()
    run_with(after_restart, lambda: after_restart.receive(TelegramStandIn.secret_token, tap, on_new_message))
    [answered] = telegram_api.wait_for("/answerCallbackQuery")
    assert answered.params["text"] == EXPIRED_BUTTON_NOTICE
    assert received == [] and telegram_api.calls_to("/editMessageText") == []


def test_alerts_are_marked_long_texts_split_and_images_sent_as_photos(telegram_api: TelegramStandIn) -> None:
    channel = channel_for(telegram_api)
    out = channel.get_output_channel()

    async def send() -> None:
        await out.send_response("505", {"text": "Call 112 now <b>", "metadata": {"alert": "emergency"}})
        await out.send_response("505", {"text": "para one\n\npara two"})
        await out.send_response("505", {"text": "y " * 3000})
        await out.send_response("505", {"image": "https://poplit.example/knee.png"})

    run_with(channel, send)
    texts = [call.params["text"] for call in telegram_api.wait_for("/sendMessage", 4)]
    assert texts[0] == "<b>🚨 Emergency: call 112 now</b>\nCall 112 now &lt;b&gt;"
    assert texts[1] == "para one\n\npara two"  # one utterance, one Telegram message
    assert len(texts) == 4 and all(len(text) <= MESSAGE_MAX_CHARS for text in texts[2:])
    [photo] = telegram_api.wait_for("/sendPhoto")
    assert photo.params["photo"] == "https://poplit.example/knee.png"
