"""A real Socket.IO client (python-socketio, Engine.IO 4, websocket transport) using the channel as
the website widget does: session_request, then user_uttered / bot_uttered."""

from __future__ import annotations

import queue
import secrets
import time
from typing import Any, Optional

import socketio


class WebChatClient:
    def __init__(self, base_url: str, session_id: Optional[str] = None, origin: Optional[str] = None) -> None:
        """`origin`: the page the browser says it runs on (by default the server's own address)."""
        self.base_url = base_url
        self.session_id = session_id or secrets.token_hex(16)
        self.client = socketio.Client(reconnection=False, websocket_extra_options={"origin": origin} if origin else {})
        self.received: queue.Queue[dict[str, Any]] = queue.Queue()
        self.errors: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.confirmed: queue.Queue[str] = queue.Queue()
        self.client.on("bot_uttered", self.received.put)
        self.client.on("session_confirm", self.confirmed.put)
        self.client.on("session_error", lambda data: self.errors.put(("session_error", data)))
        self.client.on("message_error", lambda data: self.errors.put(("message_error", data)))

    def connect(self, request_session: bool = True) -> None:
        self.client.connect(self.base_url, transports=["websocket"], socketio_path="/socket.io")
        if request_session:
            self.request_session(self.session_id)

    def request_session(self, session_id: str) -> None:
        self.session_id = session_id
        self.client.emit("session_request", {"session_id": session_id})
        assert self.confirmed.get(timeout=10) == session_id

    def say(self, text: str, wait_seconds: float = 30, quiet_seconds: float = 1.0) -> list[dict[str, Any]]:
        """Sends a message and collects bot messages until none has arrived for `quiet_seconds`."""
        self.client.emit("user_uttered", {"session_id": self.session_id, "message": text})
        return self.collect(wait_seconds, quiet_seconds)

    def collect(self, wait_seconds: float = 30, quiet_seconds: float = 1.0) -> list[dict[str, Any]]:
        messages = [self.received.get(timeout=wait_seconds)]
        while True:
            try:
                messages.append(self.received.get(timeout=quiet_seconds))
            except queue.Empty:
                return messages

    def next_error(self, timeout: float = 10) -> tuple[str, Any]:
        return self.errors.get(timeout=timeout)

    def close(self) -> None:
        self.client.disconnect()
        # python-socketio's client threads finish shortly after; give them a moment.
        time.sleep(0.05)

    def __enter__(self) -> "WebChatClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
