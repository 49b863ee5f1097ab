"""What every public door checks before anything reaches Rasa, in one place for every channel.

- Bodies: JSON that is valid UTF-8, an object where one is expected, nested at most MAX_JSON_DEPTH
  deep, and free of what no store can keep (lone surrogates, NUL). One reader, `read_json`, used by
  the HTTP middleware, the channels that parse their own bodies (Slack's form payloads, Telegram) and
  the action server.
- Messages: text of at most MAX_TEXT_CHARS characters and ids of at most MAX_ID_CHARS, without control
  characters, the same on REST, Socket.IO, Slack and Telegram.
- Rate limits: per sender on every channel and per address on the public HTTP routes (token buckets).
- Typed intents: a message starting with "/" is Rasa's intent syntax. People may send one only when it
  is a button the assistant offered on its last turn; anything else is read as plain text, so nobody
  can type `/EXTERNAL_check_in{...}` (what the follow-up worker sends through the token-protected API).
- Identity: only REST conversation ids carry the `rest:` prefix, so a REST caller, who can choose any
  sender, can never name a Slack, Telegram or web person's conversation.

The buckets are this process's memory, or Redis shared by every instance when REDIS_URL is set.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
import unicodedata
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Mapping, Optional, Text, Union

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.lock_store import LockError
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings, emergency_number
from bot.shared_memory import Deliveries, Rate, SharedRateLimiter

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 2000
# A request repeated with its X-Request-ID (a balancer's or a client's retry) comes within this.
REQUEST_MEMORY_SECONDS = 3600
MAX_REMEMBERED_REQUESTS = 100_000
MAX_ID_CHARS = 128
MAX_JSON_DEPTH = 32
# Webhook bodies: Slack's interactivity payloads carry the whole message they came from (blocks),
# which stays far below this; the token-protected API (model uploads) is not limited here.
MAX_PUBLIC_BODY_BYTES = 512 * 1024
# Routes anyone can reach without the API token (Slack and Telegram prove themselves by signature or
# secret, after these checks).
PUBLIC_PREFIXES = ("/webhooks/", "/chat/")
# Rasa's parse route is token-protected, but its body is read by the NLU pipeline: checked the same way.
PARSE_ROUTE = "/model/parse"
# Per-address limits apply where a browser or a script talks to us directly; Slack and Telegram send
# every person's messages from their own few addresses, so they are limited per sender only.
PLATFORM_PREFIXES = ("/webhooks/slack/", "/webhooks/telegram/")
REST_PREFIX = "rest:"
INTENT_PREFIX = "/"

SLOW_DOWN = (
    "You're sending messages faster than I can read them. Please wait a few seconds, then send your "
    "message again; nothing you sent before is lost."
)
# When the conversation's lock or its tracker cannot be had (Redis or the database away, or a turn
# stuck): the message was not handled.
SERVICE_TROUBLE = (
    "Sorry, I can't read messages properly right now because part of my service is down. Nothing you "
    "sent has been stored; please send it again in a minute. If your knee problem feels urgent, don't "
    "wait for me: contact a doctor or urgent care today, or call {emergency_number} in an emergency."
)
TOO_LONG = (
    f"That message is longer than I can read at once (more than {MAX_TEXT_CHARS} characters). Could you "
    "send it in shorter parts?"
)

# Control characters a person cannot mean (tab, newline and carriage return are allowed in text).
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID_CONTROLS = re.compile(r"[\x00-\x1f\x7f\s]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class BadInput(ValueError):
    """A body or field that cannot be accepted; the message says what is wrong, never what was sent."""

    def __init__(self, message: str, status: int = HTTPStatus.BAD_REQUEST) -> None:
        super().__init__(message)
        self.status = status


def _string_problem(value: str) -> Optional[str]:
    if _SURROGATE.search(value):
        return "holds characters that are not valid UTF-8 (lone surrogates)"
    if "\x00" in value:
        return "holds a NUL character"
    return None


def _check_tree(value: Any) -> None:
    """Depth and strings of a parsed JSON value, without recursion (a deep value would overflow it)."""
    stack: List[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_JSON_DEPTH:
                raise BadInput(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
            children: Iterable[Any] = item.values() if isinstance(item, dict) else item
            if isinstance(item, dict):
                for key in item:
                    problem = _string_problem(key)
                    if problem:
                        raise BadInput(f"a JSON key {problem}")
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(item, str):
            problem = _string_problem(item)
            if problem:
                raise BadInput(f"a JSON string {problem}")
        elif isinstance(item, float) and not math.isfinite(item):
            raise BadInput("the JSON holds NaN or Infinity, which JSON does not allow")


def read_json(body: Union[bytes, str], want_object: bool = True) -> Any:
    """The one reader of untrusted JSON: the parsed value, or BadInput saying what is wrong."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadInput("the body is not valid UTF-8") from None
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadInput(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep") from None
    except ValueError:
        raise BadInput("the body is not valid JSON") from None
    _check_tree(value)
    if want_object and not isinstance(value, dict):
        raise BadInput("the body must be a JSON object")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def text_problem(text: Any, what: str = "message") -> Optional[BadInput]:
    """Why a person's text cannot be taken, or None. The same limits on every channel."""
    if not isinstance(text, str) or not text.strip():
        return BadInput(f"{what} must be non-empty text")
    problem = _string_problem(text)
    if problem:
        return BadInput(f"{what} {problem}")
    if _TEXT_CONTROLS.search(text):
        return BadInput(f"{what} holds control characters")
    if len(text) > MAX_TEXT_CHARS:
        return BadInput(
            f"{what} is longer than {MAX_TEXT_CHARS} characters; please send it in parts", HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        )
    return None


def id_problem(value: Any, what: str = "sender") -> Optional[BadInput]:
    """Why an id (a sender, a session, a chat) cannot be taken, or None."""
    if not isinstance(value, str) or not value:
        return BadInput(f"{what} must be a non-empty string")
    problem = _string_problem(value)
    if problem:
        return BadInput(f"{what} {problem}")
    if _ID_CONTROLS.search(value) or any(unicodedata.category(char).startswith("C") for char in value):
        return BadInput(f"{what} must not hold spaces or control characters")
    if len(value) > MAX_ID_CHARS:
        return BadInput(f"{what} is longer than {MAX_ID_CHARS} characters")
    return None


def rest_conversation_id(sender: str) -> str:
    """The tracker and store id of a REST sender: its own namespace, never another channel's person."""
    return REST_PREFIX + sender


# ---- Rate limits ----


@dataclass(frozen=True)
class DoorSettings:
    per_sender: Rate = Rate.parse(Settings().rate_per_sender)
    per_address: Rate = Rate.parse(Settings().rate_per_address)
    # Several instances share their buckets through Redis (bot/shared_memory.py); None: this process.
    redis_url: Optional[str] = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "DoorSettings":
        settings = Settings.from_env(env)
        return cls(
            per_sender=Rate.parse(settings.rate_per_sender),
            per_address=Rate.parse(settings.rate_per_address),
            redis_url=settings.redis_url or None,
        )


# ---- Messages ----


@dataclass(frozen=True)
class Refusal:
    """A message the door did not let in: the status a webhook answers with, the error for the caller,
    and what to tell the person (None: nothing, e.g. a repeat of a rate-limit notice)."""

    status: int
    error: str
    reply: Optional[str] = None
    retry_after: Optional[int] = None


def offered_payloads(events: Iterable[Any]) -> set[str]:
    """The button payloads of the assistant's last turn (since the latest user message)."""
    offered: set[str] = set()
    for event in reversed(list(events)):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered):
            for button in (event.data or {}).get("buttons") or []:
                if isinstance(button, dict) and isinstance(button.get("payload"), str):
                    offered.add(button["payload"].strip())
    return offered


def as_plain_text(text: str) -> str:
    """A message that looks like Rasa's intent syntax, as words: the leading slashes go."""
    return text.lstrip(INTENT_PREFIX).strip()


@dataclass
class Door:
    settings: DoorSettings = field(default_factory=DoorSettings)
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self.senders = SharedRateLimiter("sender", self.settings.per_sender, self.settings.redis_url, clock=self.clock)
        self.addresses = SharedRateLimiter("address", self.settings.per_address, self.settings.redis_url, clock=self.clock)
        # REST requests by X-Request-ID: only one seen before can have an earlier answer to give back.
        self.requests = Deliveries("rest-request", REQUEST_MEMORY_SECONDS, MAX_REMEMBERED_REQUESTS, self.settings.redis_url)

    async def check_address(self, address: Optional[str]) -> Optional[Refusal]:
        first = await self.addresses.take(address or "?")
        if first is None:
            return None
        return Refusal(
            HTTPStatus.TOO_MANY_REQUESTS,
            "too many requests from this address",
            SLOW_DOWN if first else None,
            self.addresses.retry_after(),
        )

    async def check_message(self, channel: str, sender: Any, text: Any) -> Optional[Refusal]:
        """Everything that needs no tracker: the id, the text and the sender's rate."""
        problem = id_problem(sender)
        if problem is None and channel != "rest" and str(sender).startswith(REST_PREFIX):
            problem = BadInput("sender must not use the rest: namespace")
        problem = problem or text_problem(text)
        if problem is not None:
            reply = TOO_LONG if problem.status == HTTPStatus.REQUEST_ENTITY_TOO_LARGE else None
            return Refusal(problem.status, str(problem), reply)
        first = await self.senders.take(f"{channel}:{sender}")
        if first is not None:
            return Refusal(
                HTTPStatus.TOO_MANY_REQUESTS,
                "too many messages from this sender",
                SLOW_DOWN if first else None,
                self.senders.retry_after(),
            )
        return None

    async def admit(self, agent: Any, message: UserMessage) -> Optional[Refusal]:
        """Checks a message before Rasa handles it: `check_message`, then `typed_intents`."""
        return await self.check_message(message.input_channel or "", message.sender_id, message.text) or await self.typed_intents(
            agent, message
        )

    async def typed_intents(self, agent: Any, message: UserMessage) -> Optional[Refusal]:
        """A message in Rasa's intent syntax counts only as a button of the assistant's last turn; any
        other becomes words (`message.text` is changed in place)."""
        text = (message.text or "").strip()
        if not text.startswith(INTENT_PREFIX):
            return None
        tracker = await agent.tracker_store.retrieve(message.sender_id) if agent is not None else None
        if text not in offered_payloads(tracker.events if tracker is not None else []):
            message.text = as_plain_text(text)
            if not message.text:
                return Refusal(HTTPStatus.BAD_REQUEST, "message must be non-empty text")
        return None


async def handle_message(on_new_message: Callable[[UserMessage], Awaitable[Any]], message: UserMessage) -> bool:
    """Hands a message to Rasa, the same on every channel. When its conversation's lock cannot be had
    (LockError: the lock store is away or the conversation stayed busy) or the tracker store cannot be
    read or written, the person is told so at once rather than left waiting or answered with nothing.
    False when the message was not handled."""
    try:
        await on_new_message(message)
    except (LockError, SQLAlchemyError) as error:
        logger.error("a %s message was not handled: %s", message.input_channel, error.__class__.__name__)
        if message.output_channel is not None:
            await message.output_channel.send_text_message(
                message.sender_id, SERVICE_TROUBLE.format(emergency_number=emergency_number())
            )
        return False
    return True


def door_of(app: Sanic) -> Door:
    """The door of this Rasa process (one set of buckets for every channel)."""
    door = getattr(app.ctx, "poplit_door", None)
    if door is None:
        door = Door(DoorSettings.from_env(os.environ))
        app.ctx.poplit_door = door
    return door


# ---- HTTP: every request, before its route ----


def client_address(request: Request) -> str:
    # remote_addr honours SANIC_PROXIES_COUNT / SANIC_REAL_IP_HEADER behind a proxy; ip is the peer.
    return request.remote_addr or request.ip or "?"


def error_response(problem: BadInput) -> HTTPResponse:
    return response.json({"error": str(problem)}, status=problem.status)


def refusal_response(refusal: Refusal, recipient: str = "") -> HTTPResponse:
    """A refused request, the same at every door: the status, the error, and what the person is told
    as a bot message (REST's reply shape), with Retry-After when waiting helps."""
    headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else None
    messages = [{"recipient_id": recipient, "text": refusal.reply}] if refusal.reply else []
    return response.json({"error": refusal.error, "messages": messages}, status=refusal.status, headers=headers)


def _looks_like_json(request: Request) -> bool:
    """Whatever the Content-Type says: Sanic's `request.json` parses any body, so any body that may be
    JSON is read here first."""
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    return media_type.endswith("json") or (request.body or b"").lstrip()[:1] in (b"{", b"[")


# Rasa's routes that replace or retrain the running model. Off: the model a deployment runs is the one
# it was started with (MODEL), so a leaked API token cannot swap in another.
MODEL_REPLACEMENT = {("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/train")}


async def check_request(request: Request, door: Optional[Door]) -> Optional[HTTPResponse]:
    """None to let the request through, else the answer: 403, 413, 400 or 429."""
    path = request.path
    if (request.method, path.rstrip("/")) in MODEL_REPLACEMENT:
        return error_response(
            BadInput("replacing the model over HTTP is off: restart with MODEL=<path> instead", HTTPStatus.FORBIDDEN)
        )
    public = path.startswith(PUBLIC_PREFIXES) or path == PARSE_ROUTE
    if request.method not in ("POST", "PUT", "PATCH"):
        return None
    if public and door is not None and not path.startswith(PLATFORM_PREFIXES):
        refusal = await door.check_address(client_address(request))
        if refusal is not None:
            return refusal_response(refusal)
    body = request.body or b""
    if public and len(body) > MAX_PUBLIC_BODY_BYTES:
        return error_response(
            BadInput(f"the body is larger than {MAX_PUBLIC_BODY_BYTES} bytes", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        )
    if path == PARSE_ROUTE or (body and _looks_like_json(request)):
        try:
            parsed = read_json(body, want_object=public)
        except BadInput as problem:
            return error_response(problem)
        if path == PARSE_ROUTE:
            text_refused = text_problem(parsed.get("text"), "text")
            if text_refused is not None:
                return error_response(text_refused)
        # Sanic parses the body again on `request.json` unless it is already there.
        request.parsed_json = parsed
    return None


class DoorInput(InputChannel):
    """Not a channel people write to: it installs the request checks on Rasa's server (Rasa builds its
    server from the channels in credentials.yml, so this is where the project can reach it)."""

    @classmethod
    def name(cls) -> Text:
        return "door"

    def blueprint(self, on_new_message: Callable[[UserMessage], Any]) -> Blueprint:
        return DoorBlueprint("poplit_door", __name__)


def raise_tracker_store_errors(error: Exception) -> None:
    raise error


def no_silent_fallback(agent: Any) -> None:
    """Rasa wraps the tracker store in a FailSafeTrackerStore that, when the database is away, carries on
    with an empty tracker in memory: the person is answered as a stranger and the turn is never stored.
    Its error callback, raising, makes the error reach `handle_message`, which tells the person."""
    tracker_store = getattr(agent, "tracker_store", None)
    if isinstance(tracker_store, FailSafeTrackerStore):
        tracker_store._on_tracker_store_error = raise_tracker_store_errors


class DoorBlueprint(Blueprint):
    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        door = door_of(app)

        async def check(request: Request) -> Optional[HTTPResponse]:
            return await check_request(request, door)

        async def after_start(app: Sanic, _: Any) -> None:
            # Rasa loads the agent before the server starts.
            no_silent_fallback(getattr(app.ctx, "agent", None))

        app.register_middleware(check, "request")
        app.register_listener(after_start, "after_server_start")
        super().register(app, options)
