"""Telegram end to end: the running assistant (scripts/run.sh) receives updates at its webhook as
Telegram would post them and answers through a local stand-in of the Bot API (TELEGRAM_API_URL)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from tests.support.assistant import PROJECT_ROOT, RunningAssistant
from tests.support.platform_standin import PlatformCall
from tests.support.telegram_api import TelegramStandIn, keyboard, post_update

pytestmark = pytest.mark.e2e

# What the channel may call at Telegram: replies and button answers, never setWebhook or getMe.
REPLY_METHODS = ("/sendMessage", "/sendPhoto", "/answerCallbackQuery", "/editMessageText")


def to_chat(chat_id: int) -> Callable[[PlatformCall], bool]:
    return lambda call: str(call.params.get("chat_id")) == str(chat_id)


def with_keyboard(chat_id: int) -> Callable[[PlatformCall], bool]:
    return lambda call: to_chat(chat_id)(call) and bool(keyboard(call))


def say(assistant: RunningAssistant, api: TelegramStandIn, chat_id: int, text: str) -> None:
    status, answer = post_update(assistant.base_url, api.text_update(chat_id, text))
    assert (status, answer) == (200, {"status": "ok"})


def rasa_log(assistant: RunningAssistant) -> str:
    return (assistant.var_dir / "log" / "rasa.log").read_text(errors="replace")


def test_nothing_reaches_telegram_at_start_up(assistant: RunningAssistant, telegram_api: TelegramStandIn) -> None:
    # The stand-in was up before the assistant started; nothing reached it until the assistant was up.
    assert telegram_api.calls_at_start == []
    assert not [call for call in telegram_api.calls if not call.method.endswith(REPLY_METHODS)], telegram_api.calls


def test_hi_gets_a_reply(assistant: RunningAssistant, telegram_api: TelegramStandIn) -> None:
    chat = telegram_api.new_chat()
    say(assistant, telegram_api, chat, "hi")
    replies = telegram_api.wait_for("/sendMessage", where=to_chat(chat))
    assert all(call.params["parse_mode"] == "HTML" and call.params["text"] for call in replies)
    assert telegram_api.calls_to("/getMe") == []  # Rasa's connector asked Telegram who it is on every update


def test_a_description_leads_to_a_question_with_buttons_and_a_tap_moves_on(
    assistant: RunningAssistant, telegram_api: TelegramStandIn
) -> None:
    chat = telegram_api.new_chat()
    say(assistant, telegram_api, chat, "the back of my right knee has ached for two weeks after running")
    [question] = telegram_api.wait_for("/sendMessage", where=with_keyboard(chat))
    asked = assistant.tracker(str(chat))["slots"]["requested_slot"]
    assert asked, "the intake should be asking something"
    first_title = keyboard(question)[0][0]["text"]
    sent_before = len(telegram_api.calls_to("/sendMessage", where=to_chat(chat)))

    tap = telegram_api.callback_update(question, first_title)
    assert post_update(assistant.base_url, tap) == (200, {"status": "ok"})
    telegram_api.wait_for(
        "/answerCallbackQuery", where=lambda call: call.params.get("callback_query_id") == tap["callback_query"]["id"]
    )
    [marked] = telegram_api.wait_for("/editMessageText", where=to_chat(chat))
    assert marked.params["text"].endswith("» " + first_title)
    telegram_api.wait_for("/sendMessage", sent_before + 1, where=to_chat(chat))
    tracker = assistant.tracker(str(chat))
    assert tracker["slots"][asked] is not None, tracker["slots"]
    assert tracker["slots"]["requested_slot"] != asked
    user_texts = [event.get("text") for event in tracker["events"] if event.get("event") == "user"]
    assert user_texts[-1] == question_payload(question, first_title)


def question_payload(question: PlatformCall, title: str) -> str:
    return next(button["callback_data"] for row in keyboard(question) for button in row if button["text"] == title)


def test_the_emergency_message_arrives_marked(assistant: RunningAssistant, telegram_api: TelegramStandIn) -> None:
    chat = telegram_api.new_chat()
    say(assistant, telegram_api, chat, "my calf is swollen hot and red and I'm short of breath")
    texts = [call.params["text"] for call in telegram_api.wait_for("/sendMessage", where=to_chat(chat))]
    marked = [text for text in texts if text.startswith("<b>🚨 Emergency: call 112 now</b>\n")]
    assert len(marked) == 1, texts
    assert assistant.tracker(str(chat))["slots"]["triage_level"] == "emergency"


@pytest.mark.parametrize("secret", [None, "", "not-the-secret"])
def test_an_update_without_the_right_secret_is_refused(
    assistant: RunningAssistant, telegram_api: TelegramStandIn, secret: str | None
) -> None:
    chat = telegram_api.new_chat()
    status, _ = post_update(assistant.base_url, telegram_api.text_update(chat, "hi"), secret=secret)
    assert status == 403
    assert telegram_api.calls_to("/sendMessage", where=to_chat(chat)) == []
    user_events = [event for event in assistant.tracker(str(chat))["events"] if event.get("event") == "user"]
    assert user_events == []


def test_a_bad_body_is_a_4xx_or_a_200_never_a_500(assistant: RunningAssistant, telegram_api: TelegramStandIn) -> None:
    assert post_update(assistant.base_url, b"{not json")[0] == 400
    assert post_update(assistant.base_url, b'{"no": "update_id"}') == (200, {"status": "ignored"})
    chat = telegram_api.new_chat()
    edited = telegram_api.text_update(chat, "actually my left knee")
    edited["edited_message"] = edited.pop("message")
    assert post_update(assistant.base_url, edited) == (200, {"status": "ok"})
    assert telegram_api.calls_to("/sendMessage", where=to_chat(chat)) == []


def test_a_redelivered_update_gets_no_second_reply(assistant: RunningAssistant, telegram_api: TelegramStandIn) -> None:
    chat = telegram_api.new_chat()
    update = telegram_api.text_update(chat, "hello")
    assert post_update(assistant.base_url, update) == (200, {"status": "ok"})
    replies = len(telegram_api.wait_for("/sendMessage", where=to_chat(chat)))
    assert post_update(assistant.base_url, update) == (200, {"status": "duplicate"})
    assert len(telegram_api.calls_to("/sendMessage", where=to_chat(chat))) == replies
    user_events = [event for event in assistant.tracker(str(chat))["events"] if event.get("event") == "user"]
    assert len(user_events) == 1


def test_a_proactive_check_in_reaches_the_chat_with_its_buttons(
    assistant: RunningAssistant, telegram_api: TelegramStandIn
) -> None:
    chat = telegram_api.new_chat()
    assistant.post_json(
        f"/conversations/{chat}/trigger_intent?output_channel=telegram&token={assistant.token}",
        {"name": "EXTERNAL_check_in"},
    )
    [opening] = telegram_api.wait_for("/sendMessage", where=with_keyboard(chat))
    assert "checking in" in opening.params["text"]
    assert [[button["text"] for button in row] for row in keyboard(opening)] == [["Better", "About the same", "Worse"]]
    assert "asyncio.run() cannot be called" not in rasa_log(assistant)
    # The person answers with a tap; the conversation goes on on the same channel.
    assert post_update(assistant.base_url, telegram_api.callback_update(opening, "Worse"))[0] == 200
    telegram_api.wait_for("/sendMessage", 2, where=to_chat(chat))
    user_texts = [event.get("text") for event in assistant.tracker(str(chat))["events"] if event.get("event") == "user"]
    assert user_texts[-1] == "It's worse"


def test_every_call_at_telegram_belongs_to_a_test_chat(assistant: RunningAssistant, telegram_api: TelegramStandIn) -> None:
    assert not [call for call in telegram_api.calls if not call.method.endswith(REPLY_METHODS)]
    assert all(call.method.startswith(f"/bot{telegram_api.bot_token}/") for call in telegram_api.calls)
    chatless = [call for call in telegram_api.calls if not call.method.endswith("/answerCallbackQuery")]
    assert all(str(call.params.get("chat_id")) in telegram_api.test_chats for call in chatless)


# --- python -m bot telegram set-webhook ------------------------------------------------------------


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "telegram", *args],
        cwd=PROJECT_ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_set_webhook_registers_the_url_and_the_secret(tmp_path: Path) -> None:
    with TelegramStandIn() as api:
        env = {**api.assistant_env(), "VAR_DIR": str(tmp_path)}
        result = run_cli("set-webhook", env=env)
        assert result.returncode == 0, result.stderr
        [call] = api.calls_to("/setWebhook")
        assert call.params["url"] == api.webhook_url
        assert call.params["secret_token"] == api.secret_token
        assert call.params["allowed_updates"] == ["message", "callback_query"]
        info = run_cli("webhook-info", env=env)
        assert info.returncode == 0 and api.webhook_url in info.stdout

        # Without TELEGRAM_SECRET_TOKEN: the secret `make run` generates and keeps under VAR_DIR.
        del env["TELEGRAM_SECRET_TOKEN"]
        assert run_cli("set-webhook", env=env).returncode == 0
        kept = (tmp_path / "telegram-secret-token").read_text().strip()
        assert api.calls_to("/setWebhook")[-1].params["secret_token"] == kept


def test_set_webhook_explains_what_is_wrong(tmp_path: Path) -> None:
    with TelegramStandIn() as api:
        env = {**api.assistant_env(), "VAR_DIR": str(tmp_path)}
        no_token = run_cli("set-webhook", env={k: v for k, v in env.items() if k != "TELEGRAM_TOKEN"})
        assert no_token.returncode != 0 and "TELEGRAM_TOKEN" in no_token.stderr
        no_url = run_cli("set-webhook", env={k: v for k, v in env.items() if k != "TELEGRAM_WEBHOOK_URL"})
        assert no_url.returncode != 0 and "TELEGRAM_WEBHOOK_URL" in no_url.stderr
        plain_http = run_cli(
            "set-webhook", env={**env, "TELEGRAM_WEBHOOK_URL": "http://poplit.example/webhooks/telegram/webhook"}
        )
        assert plain_http.returncode != 0 and "https://" in plain_http.stderr
        assert api.calls == []
        refused = run_cli("set-webhook", env={**env, "TELEGRAM_TOKEN": "999:wrong"})
        assert refused.returncode != 0 and "Unauthorized" in refused.stderr
