"""A local stand-in for a chat platform's web API (Slack's, Telegram's): records every call the
assistant makes and answers each the way the platform would, so tests can assert what a person
would see without reaching the internet.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional


@dataclass
class PlatformCall:
    """One request the assistant sent to the platform: the API method and its parameters."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    at: float = field(default_factory=time.time)


class PlatformStandIn:
    """Subclasses say how each API method answers (`answer`) and which env enables the channel."""

    def __init__(self) -> None:
        self.calls: list[PlatformCall] = []
        self._changed = threading.Condition()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                self._handle()

            def do_GET(self) -> None:  # noqa: N802
                self._handle()

            def _handle(self) -> None:
                parsed = urllib.parse.urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                params = standin._params(self.headers.get("Content-Type", ""), body, parsed.query)
                call = PlatformCall(parsed.path, params, {k.lower(): v for k, v in self.headers.items()})
                status, answer = standin.answer(call)
                with standin._changed:
                    standin.calls.append(call)
                    standin._changed.notify_all()
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @staticmethod
    def _params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
        params: dict[str, Any] = {key: values[-1] for key, values in urllib.parse.parse_qs(query).items()}
        if not body:
            return params
        if "json" in content_type:
            params.update(json.loads(body))
        elif "x-www-form-urlencoded" in content_type:
            params.update({key: values[-1] for key, values in urllib.parse.parse_qs(body.decode()).items()})
        elif "multipart/form-data" in content_type:
            params["_multipart"] = body
        return params

    def answer(self, call: PlatformCall) -> tuple[int, Any]:
        raise NotImplementedError

    def assistant_env(self) -> dict[str, str]:
        """Environment variables that enable this channel in `make run`, pointed at this stand-in."""
        raise NotImplementedError

    def __enter__(self) -> "PlatformStandIn":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls_to(self, method_suffix: str, where: Optional[Callable[[PlatformCall], bool]] = None) -> list[PlatformCall]:
        with self._changed:
            return [c for c in self.calls if c.method.endswith(method_suffix) and (where is None or where(c))]

    def wait_for(
        self,
        method_suffix: str,
        count: int = 1,
        where: Optional[Callable[[PlatformCall], bool]] = None,
        timeout: float = 30,
    ) -> list[PlatformCall]:
        """The matching calls once there are at least `count` of them (AssertionError after timeout)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c.method.endswith(method_suffix) and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(found)} of {count} calls to {method_suffix} after {timeout} s: {found}")
                self._changed.wait(left)
