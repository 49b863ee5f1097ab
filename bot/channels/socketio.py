"""The website widget's channel: Rasa's Socket.IO connector, fixed and extended.

- Rasa 3.6 calls `sio.enter_room(...)` without `await` (RasaHQ/rasa#13027), so with python-socketio
  5.10+ a browser never joins its session's room and receives no reply. This connector awaits it.
- Each bot response is one Socket.IO message in Rasa's shape (`text`, `quick_replies`,
  `attachment`) plus `alert` for an urgent or emergency reply, so the page can make it stand out.
- Proactive messages (`trigger_intent` with `output_channel=socketio`) go to the room named after the
  session id, which every tab of that person's browser joins.
- With `redis_url` (REDIS_URL, several instances behind a balancer) the server shares its emits
  through Redis (python-socketio's AsyncRedisManager): Rasa's channel emits only to sockets on its
  own process, so a check-in triggered through another instance would never reach the page
  (the warning in Rasa's `SocketIOInput.get_output_channel`; RasaHQ/rasa PR #7864).
- The same blueprint serves the chat page (`/chat`, bot/channels/web) and the page's history
  (`POST /chat/history`, answering only to the session id itself).
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import string
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from rasa.shared.core.constants import IS_EXTERNAL
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot.channels.door import BadInput, client_address, door_of, handle_message, read_json
from bot.channels.rendering import alert_heading, alert_level
from bot.conversation_channel import person_channel
from bot.knowledge import load_knowledge
from bot.settings import emergency_number
from bot.shared_memory import KEY_PREFIX, PUBSUB_OPTIONS

logger = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parent / "web"
# The browser makes the session id (crypto.randomUUID); it is the only key to the conversation,
# so anything short or odd is refused rather than trusted.
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{24,64}")
MAX_HISTORY_MESSAGES = 200
# The files the page may load: ours, and the two npm packages' browser builds (installed by `npm ci`).
STATIC_FILES = {
    "poplit-chat.js": WEB_DIR / "poplit-chat.js",
    "poplit-chat.css": WEB_DIR / "poplit-chat.css",
    "embed.js": WEB_DIR / "embed.js",
    "poplit-icon.svg": WEB_DIR / "poplit-icon.svg",
    "vendor/deep-chat.js": WEB_DIR / "node_modules" / "deep-chat" / "dist" / "deepChat.bundle.js",
    "vendor/socket.io.js": WEB_DIR / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js",
}
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


def widget_message(
    text: Optional[str],
    buttons: Optional[Iterable[Dict[str, Any]]] = None,
    image: Optional[str] = None,
    alert: Optional[str] = None,
) -> Dict[str, Any]:
    """One bot response as the page receives it, live or from history."""
    message: Dict[str, Any] = {"text": text or ""}
    if buttons:
        message["quick_replies"] = [
            {"content_type": "text", "title": str(button.get("title", "")), "payload": str(button.get("payload", ""))}
            for button in buttons
        ]
    if image:
        message["attachment"] = {"type": "image", "payload": {"src": image}}
    if alert:
        message["alert"] = alert
        message["alert_title"] = alert_heading(alert, emergency_number())
    return message


class PoplitSocketIOOutput(SocketIOOutput):
    """Sends each bot response whole (Rasa splits text at blank lines and drops the alert)."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        if message.get("custom"):
            await self._send_message(recipient_id, {"custom": message["custom"]})
        text, buttons, image = message.get("text"), message.get("buttons") or message.get("quick_replies"), message.get("image")
        if not (text or buttons or image):
            return
        await self._send_message(recipient_id, widget_message(text, buttons, image, alert_level(message.get("metadata"))))


def history_messages(events: Iterable[Any]) -> List[Dict[str, Any]]:
    """What the person and the bot said, oldest first, in the page's message shape."""
    messages: List[Dict[str, Any]] = []
    for event in events:
        # Messages the assistant started itself (trigger_intent: "EXTERNAL: ...") are not the person's.
        external = isinstance(event, UserUttered) and (event.metadata or {}).get(IS_EXTERNAL)
        if isinstance(event, UserUttered) and event.text and not external and not event.text.startswith("/"):
            messages.append({"role": "user", "text": event.text})
        elif isinstance(event, BotUttered):
            data = event.data or {}
            if not (event.text or data.get("buttons") or data.get("image")):
                continue
            message = widget_message(
                event.text, data.get("buttons"), data.get("image"), alert_level(event.metadata.get("metadata"))
            )
            messages.append({"role": "bot", **message})
    return messages[-MAX_HISTORY_MESSAGES:]


class PoplitSocketIOInput(SocketIOInput):
    """Rasa's socketio channel (same name, events and protocol) with the fixes above."""

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        credentials = credentials or {}
        # The page relies on a session that survives reloads, and nothing here checks tokens: say so
        # at start-up rather than run without what the settings ask for.
        if credentials.get("session_persistence") is not True:
            raise ValueError("the socketio channel needs session_persistence: true (the chat page keeps its session)")
        if credentials.get("jwt_key"):
            raise ValueError("the socketio channel does not check JWTs; remove jwt_key from the credentials")
        channel = super().from_credentials(credentials)
        assert isinstance(channel, PoplitSocketIOInput)
        channel.allowed_origins = [str(origin).rstrip("/") for origin in credentials.get("allowed_origins") or []]
        channel.redis_url = credentials.get("redis_url") or None
        return channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed_origins: List[str] = []
        self.redis_url: Optional[str] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        if self.sio is None:
            return None
        return PoplitSocketIOOutput(self.sio, self.bot_message_evt)

    def _origin_is_allowed(self, origin: Optional[str], environ: Dict[str, Any]) -> bool:
        """The public origin (PUBLIC_BASE_URL, else Rasa's own address) or one configured to embed the
        page (POPLIT_ALLOWED_ORIGINS): never one built from the request's Host header, which the
        caller writes (a DNS-rebinding page would send its own)."""
        if not origin:
            return True  # not a browser: no cross-site risk to guard against
        return origin.rstrip("/") in self.allowed_origins

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        # Several instances: an emit on any of them (a reply, a check-in pushed through the API) reaches
        # the socket wherever it is connected, through Redis pub/sub. Rasa's channel knows only its own.
        manager = (
            AsyncRedisManager(self.redis_url, channel=f"{KEY_PREFIX}:socketio", redis_options=PUBSUB_OPTIONS)
            if self.redis_url
            else None
        )
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=self._origin_is_allowed, client_manager=manager)
        assert self.socketio_path is not None
        socketio_webhook = PageServingBlueprint(self, sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            session_id = (data or {}).get("session_id") if isinstance(data, dict) else None
            if session_id is None:  # a first visit (as other Rasa Socket.IO clients send it): a new id
                session_id = secrets.token_hex(16)
            if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
                await sio.emit("session_error", {"error": "session_id must be 24-64 letters, digits, - or _"}, room=sid)
                return
            joined = await sio.get_session(sid, namespace=self.namespace)
            if joined.get("session_id") not in (None, session_id):
                # One socket, one conversation: another id needs a new connection.
                await sio.emit("session_error", {"error": "this connection has a session already"}, room=sid)
                return
            joined["session_id"] = session_id
            await sio.enter_room(sid, session_id, namespace=self.namespace)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def user_message(sid: Text, data: Any) -> None:
            joined = (await sio.get_session(sid, namespace=self.namespace)).get("session_id")
            problem = _message_problem(data, joined)
            if problem:
                await sio.emit("message_error", {"error": problem}, room=sid)
                return
            metadata = data.get(self.metadata_key) or {}
            message = UserMessage(
                data["message"],
                PoplitSocketIOOutput(sio, self.bot_message_evt),
                joined,
                input_channel=self.name(),
                metadata=metadata if isinstance(metadata, dict) else {},
            )
            request = sio.get_environ(sid, namespace=self.namespace)["sanic.request"]
            door = door_of(request.app)
            refusal = await door.check_address(client_address(request)) or await door.admit(request.app.ctx.agent, message)
            if refusal is not None:
                await sio.emit("message_error", {"error": refusal.error, "status": refusal.status}, room=sid)
                if refusal.reply:
                    await message.output_channel.send_text_message(joined, refusal.reply)
                return
            await handle_message(on_new_message, message)

        return socketio_webhook


def _message_problem(data: Any, joined: Optional[str]) -> Optional[str]:
    """What is wrong with a message event's shape (its text is the door's to check), or None."""
    if not isinstance(data, dict):
        return "a message must be an object with session_id and message"
    if joined is None:
        return "send session_request first"
    if data.get("session_id") != joined:
        return "session_id is not the session this connection joined"
    if not isinstance(data.get("message"), str):
        return "message must be text"
    return None


class PageServingBlueprint(SocketBlueprint):
    """Attaches Socket.IO and adds the chat page's routes at the server's root (/chat), where a
    person expects them, rather than under the channel's /webhooks/socketio prefix."""

    def __init__(self, channel: PoplitSocketIOInput, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.channel = channel

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        channel: PoplitSocketIOInput = self.ctx.channel

        def security_headers() -> Dict[str, str]:
            frame_ancestors = " ".join(["'self'", *channel.allowed_origins])
            return {
                "Content-Security-Policy": (
                    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                    "img-src 'self' https: data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                    f"frame-ancestors {frame_ancestors}"
                ),
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            }

        async def page(_: Request) -> HTTPResponse:
            knowledge = load_knowledge()
            body = string.Template((WEB_DIR / "index.html").read_text()).substitute(
                disclaimer=html.escape(knowledge.disclaimer),
                emergency_number=html.escape(emergency_number()),
            )
            return response.html(body, headers=security_headers())

        async def static_file(_: Request, name: str) -> HTTPResponse:
            path = STATIC_FILES.get(name)
            if path is None:
                return response.json({"error": "not found"}, status=404)
            if not path.exists():
                return response.json({"error": f"{name} is not installed: run `make web`"}, status=503)
            return await response.file(
                str(path), mime_type=CONTENT_TYPES[path.suffix], headers={**security_headers(), "Cache-Control": "no-cache"}
            )

        async def history(request: Request) -> HTTPResponse:
            try:
                payload = request.parsed_json if request.parsed_json is not None else read_json(request.body or b"null")
            except BadInput:
                payload = None
            session_id = payload.get("session_id") if isinstance(payload, dict) else None
            if not isinstance(session_id, str) or not SESSION_ID.fullmatch(session_id):
                return response.json({"error": 'send {"session_id": "<the id this browser keeps>"}'}, status=400)
            tracker_store = request.app.ctx.agent.tracker_store
            tracker = await tracker_store.retrieve_full_tracker(session_id) if tracker_store else None
            # Only a web conversation: a Slack or Telegram user id is not a key to their history.
            if tracker is None or person_channel(event.as_dict() for event in tracker.events) != channel.name():
                return response.json({"messages": []}, headers={"Cache-Control": "no-store"})
            return response.json({"messages": history_messages(tracker.events)}, headers={"Cache-Control": "no-store"})

        app.add_route(page, "/chat", methods=["GET"], name="poplit_chat_page")
        app.add_route(static_file, "/chat/<name:path>", methods=["GET"], name="poplit_chat_static")
        app.add_route(history, "/chat/history", methods=["POST"], name="poplit_chat_history")
        super().register(app, options)
