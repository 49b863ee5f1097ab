"""Telegram connector: Rasa's channel without its network calls at start-up, with the webhook's secret
token checked, redelivered updates answered once, buttons as inline keyboards and proactive messages
(trigger_intent) that work.

Rasa 3.6's TelegramInput calls setWebhook (and through it asyncio.run) whenever it builds an output
channel: once at start-up, and again on every trigger_intent, where asyncio.run fails inside Sanic's
running loop (RasaHQ/rasa#13040). It also asks Telegram who the bot is (getMe) on every update and
accepts updates from anyone who knows the URL. Here the webhook is registered by
`python -m bot telegram set-webhook`, and an update counts only when it carries the secret token given
to Telegram then.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.telegram import TelegramInput, TelegramOutput
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.door import BadInput, door_of, handle_message, read_json
from bot.channels.rendering import ALERT_LEVELS, alert_heading, alert_level, bulleted
from bot.runtime_config import TELEGRAM_API_URL
from bot.settings import emergency_number
from bot.shared_memory import Deliveries

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's own limits (Bot API): callback_data is 1-64 bytes, a text message 1-4096 characters.
CALLBACK_DATA_MAX_BYTES = 64
MESSAGE_MAX_CHARS = 4096
# Payloads that cannot travel as callback_data travel as this prefix and a hash of the payload.
CALLBACK_KEY_PREFIX = "k:"
# Telegram keeps an undelivered update for at most 24 hours, so a redelivery cannot come later than that.
UPDATE_MEMORY_SECONDS = 24 * 3600
MAX_REMEMBERED_UPDATES = 100_000
# Buttons share one row only when they are few and short enough to stay readable on a phone.
ROW_MAX_BUTTONS = 3
ROW_MAX_TITLE_CHARS = 15
# The first line of a message whose response carries metadata `alert` (domain.yml, utter_escalation).
HEADING_ROOM = 100
# What a person sees after tapping a button that this process no longer knows (issued before a restart).
EXPIRED_BUTTON_NOTICE = "That button has expired. Please type your answer instead."
CHOICE_MARK = "» "


class CallbackKeys:
    """Short stand-ins for button payloads that cannot be callback_data as they are: longer than 64
    bytes, or starting with "/" (which Rasa would read as an intent, and which a person's own message
    may not do). The same payload always gets the same key. Kept in memory, so a key issued before a
    restart is unknown afterwards and the person is asked to type instead."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._payloads: OrderedDict[str, str] = OrderedDict()

    @staticmethod
    def needs_key(payload: str) -> bool:
        return (
            len(payload.encode()) > CALLBACK_DATA_MAX_BYTES or payload.startswith("/") or payload.startswith(CALLBACK_KEY_PREFIX)
        )

    def data_for(self, payload: str) -> str:
        if not self.needs_key(payload):
            return payload
        key = CALLBACK_KEY_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:32]
        self._payloads[key] = payload
        self._payloads.move_to_end(key)
        while len(self._payloads) > self._capacity:
            self._payloads.popitem(last=False)
        return key

    def payload_for(self, data: str) -> Optional[str]:
        """The payload a button's callback_data stands for; None for a key this process did not issue."""
        if data.startswith(CALLBACK_KEY_PREFIX):
            return self._payloads.get(data)
        # Telegram warns that a modified client can send any callback_data: read it like typed text.
        return as_person_text(data)


def keyboard_rows(buttons: List[Dict[str, Any]], keys: CallbackKeys) -> List[List[Dict[str, str]]]:
    """Rasa buttons as rows of inline keyboard buttons ({"text", "callback_data"})."""
    rendered = [
        {"text": str(button.get("title") or button.get("payload") or ""), "callback_data": keys.data_for(str(button["payload"]))}
        for button in buttons
        if button.get("payload")
    ]
    if len(rendered) <= ROW_MAX_BUTTONS and all(len(button["text"]) <= ROW_MAX_TITLE_CHARS for button in rendered):
        return [rendered] if rendered else []
    return [[button] for button in rendered]


def split_text(text: str, limit: int = MESSAGE_MAX_CHARS) -> List[str]:
    """Text in parts Telegram accepts, cut between paragraphs where possible, else between lines,
    else between words."""
    text = text.strip()
    parts: List[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = next((at for at in (window.rfind(sep) for sep in ("\n\n", "\n", " ")) if at > 0), limit)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def render_html(text: str, alert: Optional[str] = None) -> str:
    """The text HTML-escaped (it is sent with parse_mode HTML), led by the bold alert heading when given."""
    body = html.escape(bulleted(text), quote=False)
    if alert not in ALERT_LEVELS:
        return body
    return f"<b>{html.escape(alert_heading(alert, emergency_number()))}</b>\n{body}"


def as_person_text(text: str, bot_username: Optional[str] = None) -> str:
    """What Rasa gets for a person's message: a Telegram command (/start, /help@poplit_bot) becomes
    plain words, because Rasa reads a leading "/" as an intent with entities, which nobody may set by
    typing. /start, which Telegram sends when someone opens the bot, is a greeting."""
    if not text.startswith("/"):
        return text
    command, _, rest = text.partition(" ")
    command = command.lstrip("/")
    if bot_username and command.lower().endswith("@" + bot_username.lower()):
        command = command[: -len(bot_username) - 1]
    if command.lower() == "start":
        return "hi"
    return f"{command} {rest}".strip()


class PoplitTelegramOutput(TelegramOutput):
    """Replies through the Bot API at `api_url`, buttons as inline keyboards and alerts marked."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, access_token: str, api_url: str, callback_keys: CallbackKeys) -> None:
        super().__init__(access_token)
        self.server = TelegramAPIServer.from_base(api_url)
        self.callback_keys = callback_keys

    async def _send_parts(self, recipient_id: Text, text: str, alert: Optional[str], markup: Any = None) -> None:
        # Room for the alert heading, which leads the first part.
        parts = split_text(text, MESSAGE_MAX_CHARS - HEADING_ROOM) or [""]
        for number, part in enumerate(parts):
            last = number == len(parts) - 1
            await self.send_message(
                recipient_id,
                render_html(part, alert if number == 0 else None),
                parse_mode="HTML",
                reply_markup=markup if last else None,
            )

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_parts(recipient_id, text, alert_level(kwargs.get("metadata")))

    async def send_text_with_buttons(
        self,
        recipient_id: Text,
        text: Text,
        buttons: List[Dict[Text, Any]],
        button_type: Optional[Text] = "inline",
        **kwargs: Any,
    ) -> None:
        rows = keyboard_rows(buttons, self.callback_keys)
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row] for row in rows]
        )
        await self._send_parts(recipient_id, text, alert_level(kwargs.get("metadata")), markup if rows else None)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_photo(recipient_id, image)


@dataclass
class _Incoming:
    """The part of an update that becomes a person's message."""

    chat_id: str
    text: Optional[str]
    callback_query: Optional[Dict[str, Any]] = None


class PoplitTelegramInput(TelegramInput):
    """Receives updates at /webhooks/telegram/webhook (see the module's docstring)."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "PoplitTelegramInput":
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials is not None
        missing = [key for key in ("access_token", "secret_token") if not credentials.get(key)]
        if missing:
            # An open webhook would let anyone who finds the URL talk as any chat: refuse to start.
            raise ValueError(f"the Telegram channel needs {' and '.join(missing)} in its credentials")
        return cls(
            credentials["access_token"],
            credentials.get("verify"),
            credentials.get("webhook_url"),
            secret_token=credentials["secret_token"],
            api_url=credentials.get("api_url") or TELEGRAM_API_URL,
            redis_url=credentials.get("redis_url"),
        )

    def __init__(
        self,
        access_token: str,
        verify: Optional[str],
        webhook_url: Optional[str],
        secret_token: str,
        api_url: str = TELEGRAM_API_URL,
        redis_url: Optional[str] = None,
    ) -> None:
        # Errors are logged and answered 200 (see receive), so Rasa's debug_mode re-raise is off.
        super().__init__(access_token, verify, webhook_url, debug_mode=False)
        self.secret_token = secret_token
        self.api_url = api_url
        self.callback_keys = CallbackKeys()
        self.recent_updates = Deliveries("telegram", UPDATE_MEMORY_SECONDS, MAX_REMEMBERED_UPDATES, redis_url)
        self._output: Optional[PoplitTelegramOutput] = None

    def get_output_channel(self) -> PoplitTelegramOutput:
        """One output channel for the process (replies and trigger_intent alike): no setWebhook, no
        asyncio.run, and one HTTP session to Telegram instead of one per proactive message."""
        if self._output is None:
            assert self.access_token is not None
            self._output = PoplitTelegramOutput(self.access_token, self.api_url, self.callback_keys)
        return self._output

    async def receive(
        self,
        secret_given: str,
        body: bytes,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        app: Optional[Sanic] = None,
    ) -> Tuple[int, Dict[str, Any]]:
        """The webhook's answer (status, JSON) to one POST, after handing its message to Rasa (through
        the app's door, bot/channels/door.py, when there is an app)."""
        if not hmac.compare_digest(secret_given.encode("utf-8", "replace"), self.secret_token.encode()):
            return 403, {"error": f"missing or wrong {SECRET_HEADER}"}
        try:
            update = read_json(body, want_object=False)
        except BadInput as problem:
            # Telegram always sends JSON, so this is a misconfigured caller: say so.
            return 400, {"error": f"the body must be a Telegram Update as JSON: {problem}"}
        # From here on every answer is 200: Telegram redelivers an update until it gets a 2xx, and an
        # update that cannot be read now will not become readable the next time.
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            logger.warning("ignored a Telegram update without an update_id")
            return 200, {"status": "ignored"}
        if not await self.recent_updates.first_time(update["update_id"]):
            return 200, {"status": "duplicate"}
        try:
            await self._handle(update, on_new_message, app)
        except Exception:
            # Part of the turn may already be in the tracker or sent, so a redelivery could answer
            # twice; the person can simply write again.
            logger.exception("failed to handle Telegram update %s", update["update_id"])
        return 200, {"status": "ok"}

    def _read(self, update: Dict[str, Any]) -> Optional[_Incoming]:
        """The person's message in an update, or None for what gets no reply: edited messages, other
        update types, messages without text, and chats other than a private one (a symptom
        conversation is personal, and in a group everyone would share one conversation)."""
        if isinstance(update.get("message"), dict):
            message = update["message"]
            chat = message.get("chat")
            text = message.get("text")
            if not _private_chat(chat) or not isinstance(text, str) or not text.strip():
                return None
            return _Incoming(str(chat["id"]), as_person_text(text, self.verify))
        if isinstance(update.get("callback_query"), dict):
            query = update["callback_query"]
            if not isinstance(query.get("id"), str):
                return None
            message = query.get("message")
            chat = message.get("chat") if isinstance(message, dict) else None
            data = query.get("data")
            if not _private_chat(chat) or not isinstance(data, str):
                # Still answered, so the person's client stops showing a spinner on the button.
                return _Incoming("", None, query)
            assert isinstance(chat, dict)
            return _Incoming(str(chat["id"]), self.callback_keys.payload_for(data), query)
        return None

    async def _answer_callback(self, query: Dict[str, Any], text: Optional[str], payload: Optional[str]) -> None:
        out = self.get_output_channel()
        try:
            await out.answer_callback_query(query["id"], text=text)
        except TelegramAPIError as error:
            logger.warning("answerCallbackQuery failed: %s", error)
        message = query.get("message")
        if payload is None or not isinstance(message, dict) or not isinstance(message.get("text"), str):
            return
        # The keyboard goes and the choice stays in the chat: the person sees what they answered, and
        # an old question's buttons cannot be tapped again later.
        chosen = _button_title(message, query.get("data")) or payload
        try:
            await out.edit_message_text(
                html.escape(message["text"], quote=False) + "\n\n" + CHOICE_MARK + html.escape(chosen, quote=False),
                chat_id=message["chat"]["id"],
                message_id=message.get("message_id"),
                parse_mode="HTML",
            )
        except TelegramAPIError as error:
            logger.info("could not mark the chosen button (%s); the conversation goes on", error)

    async def _handle(
        self, update: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]], app: Optional[Sanic] = None
    ) -> None:
        incoming = self._read(update)
        if incoming is None:
            return
        if incoming.callback_query is not None:
            notice = EXPIRED_BUTTON_NOTICE if incoming.chat_id and incoming.text is None else None
            await self._answer_callback(incoming.callback_query, notice, incoming.text)
        if not incoming.chat_id or not incoming.text:
            return
        message = UserMessage(incoming.text, self.get_output_channel(), incoming.chat_id, input_channel=self.name())
        refusal = await door_of(app).admit(app.ctx.agent, message) if app is not None else None
        if refusal is None:
            await handle_message(on_new_message, message)
        elif refusal.reply:
            await message.output_channel.send_text_message(incoming.chat_id, refusal.reply)
        else:
            logger.info("a Telegram message was refused: %s", refusal.error)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram_webhook = Blueprint("telegram_webhook", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        # Rasa's /set_webhook route is left out on purpose: anyone could call it, and registering the
        # webhook (with its secret) is `python -m bot telegram set-webhook`'s job.

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            secret = request.headers.get(SECRET_HEADER, "")
            status, answer = await self.receive(secret, request.body or b"", on_new_message, request.app)
            return response.json(answer, status=status)

        @telegram_webhook.listener("after_server_stop")
        async def close_session(*_: Any) -> None:
            if self._output is not None and self._output._session is not None:
                await self._output._session.close()

        return telegram_webhook


def _private_chat(chat: Any) -> bool:
    return isinstance(chat, dict) and chat.get("type") == "private" and isinstance(chat.get("id"), int)


def _button_title(message: Dict[str, Any], data: Any) -> Optional[str]:
    markup = message.get("reply_markup")
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows if isinstance(rows, list) else []:
        for button in row if isinstance(row, list) else []:
            if isinstance(button, dict) and button.get("callback_data") == data and isinstance(button.get("text"), str):
                return str(button["text"])
    return None
