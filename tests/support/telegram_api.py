"""A local stand-in for Telegram's Bot API (TELEGRAM_API_URL points the Telegram channel at it), and
builders for the updates Telegram would post to the assistant's webhook."""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any, Optional, Union

from tests.support.platform_standin import PlatformCall, PlatformStandIn

_DEFAULT = object()


class TelegramStandIn(PlatformStandIn):
    bot_token = "123456:poplit-test"
    bot_username = "poplit_test_bot"
    secret_token = "poplit-test-telegram-secret"
    webhook_url = "https://poplit.example/webhooks/telegram/webhook"

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(int(time.time()) % 1_000_000 * 1000)
        self.webhook: dict[str, Any] = {}
        self._results: dict[int, Any] = {}
        # Private chat ids handed to tests (numeric, like Telegram's); any other chat id seen is a leak.
        self._chat_ids = itertools.count(7_300_000_001)
        self.test_chats: set[str] = set()
        # What the assistant had called here by the time it was up (the conftest fills it in).
        self.calls_at_start: list[PlatformCall] = []

    def new_chat(self) -> int:
        with self._lock:
            chat_id = next(self._chat_ids)
            self.test_chats.add(str(chat_id))
        return chat_id

    # --- the Bot API side -------------------------------------------------------------------

    def answer(self, call: PlatformCall) -> tuple[int, Any]:
        prefix = f"/bot{self.bot_token}/"
        if not call.method.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = call.method[len(prefix) :].lower()
        params = call.params
        if method in ("sendmessage", "sendphoto", "editmessagetext"):
            if not params.get("chat_id"):
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}
            result = self._message(method, params)
            with self._lock:
                self._results[id(call)] = result
            return 200, {"ok": True, "result": result}
        if method == "answercallbackquery":
            if not params.get("callback_query_id"):
                return 400, {
                    "ok": False,
                    "error_code": 400,
                    "description": "Bad Request: query is too old or query ID is invalid",
                }
            return 200, {"ok": True, "result": True}
        if method == "setwebhook":
            allowed = params.get("allowed_updates")
            self.webhook = {
                "url": params.get("url", ""),
                "secret_token": params.get("secret_token"),
                "allowed_updates": json.loads(allowed) if isinstance(allowed, str) else allowed,
            }
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "deletewebhook":
            self.webhook = {}
            return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}
        if method == "getwebhookinfo":
            info = {"url": self.webhook.get("url", ""), "has_custom_certificate": False, "pending_update_count": 0}
            if self.webhook.get("allowed_updates"):
                info["allowed_updates"] = self.webhook["allowed_updates"]
            return 200, {"ok": True, "result": info}
        if method == "getme":
            return 200, {
                "ok": True,
                "result": {
                    "id": int(self.bot_token.split(":")[0]),
                    "is_bot": True,
                    "first_name": "Poplit",
                    "username": self.bot_username,
                },
            }
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        """The Message object Telegram answers with (aiogram parses message_id, date and chat)."""
        with self._lock:
            message_id = (
                int(params["message_id"]) if method == "editmessagetext" and params.get("message_id") else next(self._message_ids)
            )
        chat_id = params["chat_id"]
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id, "type": "private"},
            "from": {
                "id": int(self.bot_token.split(":")[0]),
                "is_bot": True,
                "first_name": "Poplit",
                "username": self.bot_username,
            },
        }
        if method == "sendphoto":
            message["photo"] = [{"file_id": "photo-1", "file_unique_id": "p1", "width": 640, "height": 480}]
        else:
            message["text"] = params.get("text", "")
        markup = reply_markup(params)
        if markup:
            message["reply_markup"] = markup
        return message

    def result_of(self, call: PlatformCall) -> Any:
        """What the stand-in answered a recorded call with (the Message for sendMessage)."""
        with self._lock:
            return self._results[id(call)]

    def assistant_env(self) -> dict[str, str]:
        return {
            "TELEGRAM_TOKEN": self.bot_token,
            "TELEGRAM_VERIFY": self.bot_username,
            "TELEGRAM_WEBHOOK_URL": self.webhook_url,
            "TELEGRAM_SECRET_TOKEN": self.secret_token,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{self.port}",
        }

    # --- the webhook side: updates as Telegram would post them ---------------------------------

    def next_update_id(self) -> int:
        with self._lock:
            return next(self._update_ids)

    def text_update(self, chat_id: int, text: str, update_id: Optional[int] = None) -> dict[str, Any]:
        person = {"id": chat_id, "is_bot": False, "first_name": "Pat", "language_code": "en"}
        return {
            "update_id": self.next_update_id() if update_id is None else update_id,
            "message": {
                "message_id": self.next_update_id() % 1_000_000,
                "from": person,
                "chat": {"id": chat_id, "first_name": "Pat", "type": "private"},
                "date": int(time.time()),
                "text": text,
            },
        }

    def callback_update(self, sent: PlatformCall, title: str, update_id: Optional[int] = None) -> dict[str, Any]:
        """A person tapping the button called `title` under the message the assistant sent in `sent`."""
        data = button_data(sent, title)
        chat_id = int(sent.params["chat_id"])
        return {
            "update_id": self.next_update_id() if update_id is None else update_id,
            "callback_query": {
                "id": f"cbq-{self.next_update_id()}",
                "from": {"id": chat_id, "is_bot": False, "first_name": "Pat", "language_code": "en"},
                "chat_instance": f"ci-{chat_id}",
                "data": data,
                "message": self.result_of(sent),
            },
        }


def reply_markup(params: dict[str, Any]) -> Optional[dict[str, Any]]:
    """reply_markup of a call: aiogram sends it as a JSON string in a form field."""
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup) if markup else None
    return markup if isinstance(markup, dict) else None


def keyboard(call: PlatformCall) -> list[list[dict[str, str]]]:
    markup = reply_markup(call.params) or {}
    return list(markup.get("inline_keyboard") or [])


def button_data(call: PlatformCall, title: str) -> str:
    for row in keyboard(call):
        for button in row:
            if button.get("text") == title:
                return str(button["callback_data"])
    raise AssertionError(f"no button {title!r} in {keyboard(call)}")


def post_update(
    base_url: str, update: Union[dict[str, Any], bytes], secret: Any = _DEFAULT, timeout: float = 60
) -> tuple[int, Any]:
    """Posts an update to the assistant's Telegram webhook as Telegram would: with the secret header
    (the stand-in's secret unless given; None sends no header). Returns the status and JSON answer."""
    if secret is _DEFAULT:
        secret = TelegramStandIn.secret_token
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = update if isinstance(update, bytes) else json.dumps(update).encode()
    request = urllib.request.Request(f"{base_url}/webhooks/telegram/webhook", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, json.loads(raw or b"null")
        except ValueError:
            return error.code, raw.decode(errors="replace")
