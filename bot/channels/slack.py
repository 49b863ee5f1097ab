"""Slack: Rasa's connector, with the fixes Poplit needs and replies rendered as Block Kit.

What differs from Rasa 3.6's own `SlackInput` / `SlackBot`:
- the Web API's base URL comes from the credentials (`slack_api_url`), so tests can use a stand-in;
- a request whose signature is missing, wrong or older than five minutes gets 401 (Rasa: 400);
- Slack's retries are recognised by event id: a retry of something already handled gets 200 and no
  second reply, whatever the retry reason; a retry of something never seen is handled (Rasa drops
  every `http_timeout` retry, even when the first attempt was lost, and answers all others again);
- a body that is not JSON or not a form with a JSON `payload` gets 400 (Rasa: 500);
- the person's time zone from their Slack profile (users.info, scope users:read) goes with each
  message as `metadata.timezone`, so check-ins come in their daytime;
- replies: buttons as a section plus an `actions` block, an urgent or emergency message as a `header`
  block, text escaped the way Slack's mrkdwn requires, and no Rasa-internal keys sent to Slack.

Rasa already answers Slack at once and handles the message in a background task (Slack wants a 200
within 3 s); this keeps that.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import urllib.parse
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.slack import SlackBot, SlackInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.door import BadInput, door_of, handle_message, read_json
from bot.channels.rendering import ALERT_LEVELS, alert_heading, alert_level, bulleted
from bot.runtime_config import SLACK_API_URL
from bot.settings import emergency_number
from bot.shared_memory import Deliveries

logger = logging.getLogger(__name__)

# Slack retries an event three times over about five minutes; an hour leaves a wide margin.
SEEN_EVENT_TTL_SECONDS = 60 * 60
MAX_SEEN_EVENTS = 10_000
# A person's time zone from their Slack profile: asked once a day at most, and never waited on for long.
TIME_ZONE_MEMORY_SECONDS = 24 * 60 * 60
TIME_ZONE_TIMEOUT_SECONDS = 3

PRIVATE_CONVERSATION_NOTE = (
    "I talk about knee pain in a direct message, so what you tell me stays between us. "
    "Open Poplit under Apps in the sidebar and write to me there."
)

# Block Kit limits (https://api.slack.com/reference/block-kit): longer text is rejected, not cut.
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
ACTIONS_PER_BLOCK = 25
ALT_TEXT_LIMIT = 2000

# Message subtypes that still carry something a person wrote; every other subtype (edits, deletions,
# joins, the bot's own messages) is not a new message to answer.
USER_SUBTYPES = (None, "file_share", "thread_broadcast")


# ---- Rendering: pure functions from Rasa's message parts to chat.postMessage arguments ----


def escape_mrkdwn(text: str) -> str:
    """Slack reads &, < and > as control characters in message text; they must be sent escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_text(text: str) -> str:
    """Message text for Slack: list lines as bullets (mrkdwn has no lists), escaped."""
    return escape_mrkdwn(bulleted(text.strip()))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain_text(text: str, limit: int) -> Dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def _section(text: str) -> Dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(slack_text(text), SECTION_LIMIT)}}


def _button(index: int, button: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    title = str(button.get("title") or button.get("payload") or "")
    if not title:
        return None
    element: Dict[str, Any] = {
        "type": "button",
        "action_id": f"poplit_button_{index}",
        "text": _plain_text(title, BUTTON_TEXT_LIMIT),
    }
    if button.get("url"):
        element["url"] = str(button["url"])
    elif button.get("payload") is not None:
        payload = str(button["payload"])
        if len(payload) > BUTTON_VALUE_LIMIT:
            logger.warning("Slack button %r dropped: its payload is longer than %d characters", title, BUTTON_VALUE_LIMIT)
            return None
        element["value"] = payload
    else:
        return None
    return element


def button_blocks(buttons: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """`actions` blocks, each with up to 25 buttons whose `value` is the button's payload."""
    elements = [element for index, button in enumerate(buttons) if (element := _button(index, button))]
    return [
        {"type": "actions", "block_id": f"poplit_buttons_{start}", "elements": elements[start : start + ACTIONS_PER_BLOCK]}
        for start in range(0, len(elements), ACTIONS_PER_BLOCK)
    ]


def render_message(
    text: str,
    buttons: Optional[List[Dict[str, Any]]] = None,
    alert: Optional[str] = None,
    number: Optional[str] = None,
) -> Dict[str, Any]:
    """chat.postMessage arguments (without the channel) for a text, its buttons and its alert level.

    `text` is always there: Slack shows it in notifications and where blocks cannot be shown.
    """
    blocks: List[Dict[str, Any]] = []
    fallback = slack_text(text)
    if alert in ALERT_LEVELS:
        heading = alert_heading(alert, number or emergency_number())
        blocks += [{"type": "header", "text": _plain_text(heading, HEADER_LIMIT)}, _section(text)]
        fallback = f"{escape_mrkdwn(heading)}\n{fallback}"
    actions = button_blocks(buttons or [])
    if actions and not blocks:
        blocks.append(_section(text))
    blocks += actions
    return {"text": fallback, "blocks": blocks} if blocks else {"text": fallback}


def render_image(url: str, alt_text: Optional[str] = None) -> Dict[str, Any]:
    alt = _cut(alt_text or "Picture from Poplit", ALT_TEXT_LIMIT)
    return {"text": escape_mrkdwn(alt), "blocks": [{"type": "image", "image_url": url, "alt_text": alt}]}


def answered_blocks(blocks: List[Dict[str, Any]], block_id: str, chosen: str) -> Optional[List[Dict[str, Any]]]:
    """The message's blocks with the clicked buttons replaced by the choice, as Slack apps usually do
    (the buttons cannot be clicked twice, and the chat shows what the person answered). None when the
    clicked block is not in the message."""
    if not any(block.get("block_id") == block_id for block in blocks):
        return None
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"You chose: *{escape_mrkdwn(chosen)}*"}]}
    return [note if block.get("block_id") == block_id else block for block in blocks]


class PoplitSlackBot(SlackBot):
    """Sends Poplit's replies to Slack. Only Slack's own arguments are sent: Rasa passes response
    details such as `utter_action` and `metadata` in kwargs, and Slack would read `metadata` as its own."""

    def __init__(
        self,
        token: Text,
        slack_channel: Optional[Text] = None,
        thread_id: Optional[Text] = None,
        proxy: Optional[Text] = None,
        base_url: Text = SLACK_API_URL,
    ) -> None:
        super().__init__(token, slack_channel, thread_id, proxy)
        self.client = AsyncWebClient(token, base_url=base_url, proxy=proxy)

    def _recipient(self, recipient_id: Text) -> Text:
        # Without a channel (the proactive path) the recipient is the Slack user id: Slack then posts
        # into the app's direct message with that person.
        return self.slack_channel or recipient_id

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._post_message(
            channel=self._recipient(recipient_id), **render_message(text, alert=alert_level(kwargs.get("metadata")))
        )

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        message = render_message(text, buttons=buttons, alert=alert_level(kwargs.get("metadata")))
        await self._post_message(channel=self._recipient(recipient_id), **message)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        metadata = kwargs.get("metadata")
        alt_text = metadata.get("alt_text") if isinstance(metadata, dict) else None
        await self._post_message(channel=self._recipient(recipient_id), **render_image(image, alt_text))

    async def send_attachment(self, recipient_id: Text, attachment: Dict[Text, Any], **kwargs: Any) -> None:
        await self._post_message(channel=self._recipient(recipient_id), attachments=[attachment])

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        message = dict(json_message)
        channel = message.pop("channel", None) or self._recipient(recipient_id)
        await self._post_message(channel=channel, **message)


# ---- Receiving ----


def _json_object(body: bytes) -> Optional[Dict[str, Any]]:
    try:
        parsed = read_json(body)
    except BadInput:
        return None
    return parsed if isinstance(parsed, dict) else None


def _interaction_payload(body: bytes) -> Optional[Dict[str, Any]]:
    """The JSON object in an interactivity request's `payload=` form field."""
    try:
        form = urllib.parse.parse_qs(body.decode("utf-8"), strict_parsing=True)
    except (ValueError, UnicodeDecodeError):
        return None
    values = form.get("payload")
    return _json_object(values[-1].encode()) if values else None


def _object(parent: Dict[str, Any], key: str) -> Dict[str, Any]:
    value = parent.get(key)
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def chosen_value(action: Dict[str, Any]) -> Optional[str]:
    """What a person chose in a button, menu or overflow menu (the value Poplit put there), or None for
    anything else. Rasa's version indexes into the payload and raised on unusual ones."""
    kind = action.get("type")
    if kind == "button":
        return _text(action.get("value"))
    if kind in ("static_select", "external_select", "overflow"):
        return _text(_object(action, "selected_option").get("value"))
    if kind == "select":  # legacy interactive messages
        options = action.get("selected_options")
        first = options[0] if isinstance(options, list) and options else None
        return _text(first.get("value")) if isinstance(first, dict) else None
    return None


class PoplitSlackInput(SlackInput):
    """Receives Slack's Events API and interactivity requests at /webhooks/slack/webhook."""

    @classmethod
    def name(cls) -> Text:
        return "slack"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        assert credentials is not None  # raise_missing_credentials_exception always raises
        return cls(
            credentials.get("slack_token"),  # type: ignore[arg-type]
            slack_channel=credentials.get("slack_channel"),
            proxy=credentials.get("proxy"),
            slack_retry_reason_header=credentials.get("slack_retry_reason_header", "x-slack-retry-reason"),
            slack_retry_number_header=credentials.get("slack_retry_number_header", "x-slack-retry-num"),
            use_threads=credentials.get("use_threads", False),
            slack_signing_secret=credentials.get("slack_signing_secret", ""),
            conversation_granularity=credentials.get("conversation_granularity", "sender"),
            slack_api_url=credentials.get("slack_api_url") or SLACK_API_URL,
            redis_url=credentials.get("redis_url"),
        )

    def __init__(
        self,
        slack_token: Text,
        *args: Any,
        slack_api_url: Text = SLACK_API_URL,
        redis_url: Optional[str] = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(slack_token, *args, **kwargs)
        # slack_sdk joins method names onto the base URL, which therefore must end with a slash.
        self.slack_api_url = slack_api_url if slack_api_url.endswith("/") else slack_api_url + "/"
        self.seen_events = Deliveries("slack", SEEN_EVENT_TTL_SECONDS, MAX_SEEN_EVENTS, redis_url)
        self._time_zones: Dict[str, tuple[Optional[str], float]] = {}

    def get_output_channel(self, channel: Optional[Text] = None, thread_id: Optional[Text] = None) -> OutputChannel:
        return PoplitSlackBot(self.slack_token, channel or self.slack_channel, thread_id, self.proxy, base_url=self.slack_api_url)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        slack_webhook = Blueprint("slack_webhook", __name__)

        @slack_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @slack_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            # Rasa's check: HMAC-SHA256 of "v0:{timestamp}:{body}", timestamp within five minutes either way.
            if not self.is_request_from_slack_authentic(request):
                return response.text("Missing, invalid or expired X-Slack-Signature.", status=HTTPStatus.UNAUTHORIZED)
            media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
            if media_type == "application/json":
                body = _json_object(request.body)
                if body is None:
                    return response.text("The body must be a JSON object.", status=HTTPStatus.BAD_REQUEST)
                return await self._handle_event(request, body, on_new_message)
            if media_type == "application/x-www-form-urlencoded":
                payload = _interaction_payload(request.body)
                if payload is None:
                    return response.text(
                        "The body must be a form with a JSON object in `payload`.", status=HTTPStatus.BAD_REQUEST
                    )
                return await self._handle_interaction(request, payload, on_new_message)
            return response.text("Expected an Events API (JSON) or interactivity (form) request.", status=HTTPStatus.BAD_REQUEST)

        return slack_webhook

    async def _first_delivery(self, request: Request, key: Optional[str]) -> bool:
        """False for a delivery already handled (Slack retries when it saw no 200 in 3 s, or an error).
        Without an id to go by, a delivery is known by a digest of its body (a retry repeats it)."""
        retry = request.headers.get(self.retry_num_header or "x-slack-retry-num")
        key = key or "body:" + hashlib.sha256(request.body or b"").hexdigest()
        if await self.seen_events.first_time(key):
            if retry:
                logger.info("Slack retry #%s of %s: not seen before, handling it", retry, key)
            return True
        reason = request.headers.get(self.retry_reason_header or "x-slack-retry-reason")
        logger.info("Slack delivery of %s already handled (retry #%s, reason %s): not answering again", key, retry, reason)
        return False

    async def _handle_event(
        self, request: Request, body: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        kind = body.get("type")
        if kind == "url_verification":
            challenge = _text(body.get("challenge"))
            if challenge is None:
                return response.text("url_verification needs a `challenge`.", status=HTTPStatus.BAD_REQUEST)
            return response.json({"challenge": challenge})
        if kind != "event_callback":
            return response.text("Ignored: not an event.")
        event = body.get("event")
        if not isinstance(event, dict):
            return response.text("An event_callback needs an `event` object.", status=HTTPStatus.BAD_REQUEST)
        user, text = _text(event.get("user")), _text(event.get("text"))
        if (
            event.get("type") not in ("message", "app_mention")
            or event.get("bot_id")
            or event.get("subtype") not in USER_SUBTYPES
            or user is None
            or text is None
        ):
            return response.text("Ignored: not a person's message.")
        channel = _text(event.get("channel"))
        authorizations = body.get("authorizations")
        bot_users = (
            [a.get("user_id") for a in authorizations[:1] if isinstance(a, dict)] if isinstance(authorizations, list) else []
        )
        metadata = {"out_channel": channel, "thread_id": event.get("thread_ts", event.get("ts")), "users": bot_users}
        if not self._is_supported_channel(body, metadata):
            return response.text("Ignored: not a direct message or mention.")
        if event.get("type") == "app_mention" and (channel or "").startswith("D"):
            # In a direct message the same words also arrive as message.im; answer them once.
            return response.text("Ignored: the direct message event carries it.")
        event_id = _text(body.get("event_id"))
        if not await self._first_delivery(request, f"event:{event_id}" if event_id else None):
            return response.text("Already handled.")
        if event.get("type") == "app_mention" and channel:
            # Knee symptoms are health information: the conversation happens in the person's DM, never
            # in a channel others read. A mention gets a pointer there, in the thread.
            client = AsyncWebClient(self.slack_token, base_url=self.slack_api_url, proxy=self.proxy)
            thread = event.get("thread_ts", event.get("ts"))
            self._in_background(client.chat_postMessage(channel=channel, thread_ts=thread, text=PRIVATE_CONVERSATION_NOTE))
            return response.text("")
        message = self._sanitize_user_message(text, [u for u in bot_users if isinstance(u, str)])
        self._start(request, on_new_message, message, user, metadata, event_id)
        return response.text("")

    async def _handle_interaction(
        self, request: Request, payload: Dict[str, Any], on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        if payload.get("type") not in ("block_actions", "interactive_message"):
            return response.text("Ignored: not a button or menu.")
        actions, user = payload.get("actions"), payload.get("user")
        if not (isinstance(actions, list) and actions and isinstance(actions[0], dict) and isinstance(user, dict)):
            return response.text("An interaction needs `actions` and `user`.", status=HTTPStatus.BAD_REQUEST)
        user_id = _text(user.get("id"))
        action = actions[0]
        value = chosen_value(action)
        if user_id is None or value is None:
            return response.text("Ignored: an interaction Poplit does not use, a link button or an empty choice.")
        interaction_id = _text(payload.get("trigger_id")) or _text(action.get("action_ts"))
        if not await self._first_delivery(request, f"interaction:{user_id}:{interaction_id}" if interaction_id else None):
            return response.text("Already handled.")
        container, channel_info, original = (
            _object(payload, "container"),
            _object(payload, "channel"),
            _object(payload, "message"),
        )
        channel = _text(channel_info.get("id")) or _text(container.get("channel_id"))
        metadata = {"out_channel": channel, "thread_id": original.get("thread_ts", original.get("ts")), "users": [user_id]}
        self._start(request, on_new_message, value, user_id, metadata, interaction_id)
        self._mark_answered(channel, original, action)
        return response.text("")

    def _start(
        self,
        request: Request,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        text: str,
        user: str,
        metadata: Dict[str, Any],
        message_id: Optional[str],
    ) -> None:
        """Handles the message after the 200 has gone back to Slack."""
        thread_id = metadata.get("thread_id") if self.use_threads else None
        message = UserMessage(
            text,
            self.get_output_channel(metadata.get("out_channel"), thread_id),
            self._get_conversation_id(user, metadata.get("out_channel"), metadata.get("thread_id")),
            input_channel=self.name(),
            message_id=message_id,
            metadata=metadata,
        )
        self._in_background(self._through_the_door(request.app, on_new_message, message, user))

    async def _through_the_door(
        self, app: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage, user: str
    ) -> None:
        """The door's checks (length, rate, typed intents); a refused message may get a kind reply."""
        refusal = await door_of(app).admit(app.ctx.agent, message)
        if refusal is None:
            await self._with_time_zone(on_new_message, message, user)
        elif refusal.reply:
            await message.output_channel.send_text_message(message.sender_id, refusal.reply)
        else:
            logger.info("a Slack message was refused: %s", refusal.error)

    async def _with_time_zone(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage, user: str
    ) -> None:
        """The person's time zone from their Slack profile goes with the message (check-ins come in
        their daytime), as the web page sends the browser's."""
        time_zone = await self._time_zone(user)
        if time_zone and isinstance(message.metadata, dict):
            message.metadata["timezone"] = time_zone
        await handle_message(on_new_message, message)

    async def _time_zone(self, user: str) -> Optional[str]:
        """users.info's `tz` (scope users:read), remembered for a day; None when Slack does not say."""
        known = self._time_zones.get(user)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        client = AsyncWebClient(
            self.slack_token, base_url=self.slack_api_url, proxy=self.proxy, timeout=TIME_ZONE_TIMEOUT_SECONDS
        )
        try:
            reply = await client.users_info(user=user)
            found = _text(_object(reply.data if isinstance(reply.data, dict) else {}, "user").get("tz"))
        except Exception as error:  # no scope, Slack slow or down: the check-ins fall back to UTC
            logger.info("no time zone from Slack for a user: %s", error.__class__.__name__)
            return None
        self._time_zones[user] = (found, time.monotonic() + TIME_ZONE_MEMORY_SECONDS)
        return found

    def _mark_answered(self, channel: Optional[str], original: Dict[str, Any], action: Dict[str, Any]) -> None:
        """Replaces the clicked buttons with the choice (best effort: the reply matters more)."""
        text_object = action.get("text")
        chosen = text_object.get("text") if isinstance(text_object, dict) else None
        blocks, ts, block_id = original.get("blocks"), _text(original.get("ts")), _text(action.get("block_id"))
        if not (channel and ts and block_id and isinstance(chosen, str) and isinstance(blocks, list)):
            return
        updated = answered_blocks([block for block in blocks if isinstance(block, dict)], block_id, chosen)
        if updated is None:
            return
        client = AsyncWebClient(self.slack_token, base_url=self.slack_api_url, proxy=self.proxy)
        fallback = _text(original.get("text")) or escape_mrkdwn(chosen)
        self._in_background(client.chat_update(channel=channel, ts=ts, text=fallback, blocks=updated))

    def _in_background(self, work: Awaitable[Any]) -> None:
        # Rasa's pattern: keep a reference so the task is not garbage-collected mid-way.
        task: asyncio.Future[Any] = asyncio.ensure_future(work)
        self._background_tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: "asyncio.Future[Any]") -> None:
        self._background_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("Handling a Slack request failed", exc_info=task.exception())
