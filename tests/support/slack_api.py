"""A local stand-in for Slack's Web API (SLACK_API_URL points the Slack channel at it), and builders
for the signed requests Slack itself sends to the assistant (Events API and interactivity)."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Optional

from tests.support.platform_standin import PlatformCall, PlatformStandIn

# What Slack rejects with `invalid_blocks` (https://api.slack.com/reference/block-kit), as far as the
# blocks Poplit sends go: unknown types, missing fields, text over the limits.
BLOCK_TYPES = {"section", "actions", "header", "image", "context", "divider"}
_ids = itertools.count(1)


def block_errors(blocks: Any) -> list[str]:
    """Why Slack would refuse these blocks (empty when it would accept them)."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return ["blocks must be a list of at most 50"]
    errors: list[str] = []
    for index, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            errors.append(f"block {index}: unknown type {kind!r}")
            continue
        if kind == "header" and not _text_ok(block.get("text"), "plain_text", 150):
            errors.append(f"block {index}: header needs plain_text of at most 150 characters")
        if kind == "section" and not _text_ok(block.get("text"), None, 3000):
            errors.append(f"block {index}: section needs text of at most 3000 characters")
        if kind == "image" and not (block.get("image_url") and block.get("alt_text")):
            errors.append(f"block {index}: image needs image_url and alt_text")
        if kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
                errors.append(f"block {index}: actions needs 1 to 25 elements")
                continue
            for element in elements:
                if element.get("type") != "button" or not _text_ok(element.get("text"), "plain_text", 75):
                    errors.append(f"block {index}: a button needs plain_text of at most 75 characters")
                elif len(str(element.get("value", ""))) > 2000:
                    errors.append(f"block {index}: a button value is over 2000 characters")
    return errors


def _text_ok(text: Any, kind: Optional[str], limit: int) -> bool:
    return (
        isinstance(text, dict)
        and text.get("type") in ((kind,) if kind else ("plain_text", "mrkdwn"))
        and isinstance(text.get("text"), str)
        and 0 < len(text["text"]) <= limit
    )


class SlackStandIn(PlatformStandIn):
    bot_token = "xoxb-poplit-test"
    signing_secret = "poplit-test-signing-secret"
    bot_user_id = "U_POPLIT_BOT"
    team_id = "T_POPLIT"

    def __init__(self) -> None:
        super().__init__()
        # users.info's `tz` per user (the time zone set in each person's Slack profile).
        self.time_zones: dict[str, str] = {}

    def answer(self, call: PlatformCall) -> tuple[int, Any]:
        if call.headers.get("authorization") != f"Bearer {self.bot_token}":
            return 200, {"ok": False, "error": "invalid_auth"}
        method = call.method.rsplit("/", 1)[-1]
        if isinstance(call.params.get("blocks"), str):  # form-encoded calls send blocks as a JSON string
            call.params["blocks"] = json.loads(call.params["blocks"])
        if method == "auth.test":
            return 200, {"ok": True, "url": "https://poplit-test.slack.com/", "team": "Poplit test", "user": "poplit",
                         "team_id": self.team_id, "user_id": self.bot_user_id, "bot_id": "B_POPLIT"}  # fmt: skip
        if method in ("chat.postMessage", "chat.update"):
            return 200, self._message_answer(method, call)
        if method == "users.info":
            user = str(call.params.get("user") or "")
            if not user.startswith("U"):
                return 200, {"ok": False, "error": "user_not_found"}
            tz = self.time_zones.get(user, "America/Chicago")
            return 200, {"ok": True, "user": {"id": user, "tz": tz, "tz_label": tz, "tz_offset": 0}}
        return 200, {"ok": False, "error": "unknown_method"}

    def _message_answer(self, method: str, call: PlatformCall) -> dict[str, Any]:
        params = call.params
        if not params.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if method == "chat.update" and not params.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if "blocks" in params and block_errors(params["blocks"]):
            return {"ok": False, "error": "invalid_blocks", "errors": block_errors(params["blocks"])}
        ts = params.get("ts") or f"{call.at:.6f}"  # block_actions() gives the same ts back
        message = {"type": "message", "user": self.bot_user_id, "text": params.get("text", ""), "ts": ts}
        if params.get("blocks"):
            message["blocks"] = params["blocks"]
        return {"ok": True, "channel": params["channel"], "ts": ts, "message": message}

    def assistant_env(self) -> dict[str, str]:
        return {
            "SLACK_BOT_TOKEN": self.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_API_URL": f"http://127.0.0.1:{self.port}/api/",
        }

    # ---- What Slack sends to the assistant ----

    def signed_headers(self, body: bytes, timestamp: Optional[int] = None, secret: Optional[str] = None) -> dict[str, str]:
        """X-Slack-Request-Timestamp and X-Slack-Signature as Slack computes them (v0, HMAC-SHA256)."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        base = f"v0:{timestamp}:".encode() + body
        digest = hmac.new((secret or self.signing_secret).encode(), base, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}

    def posted_to(self, channel: str) -> list[PlatformCall]:
        """The messages the assistant posted to one channel (a DM channel id or a user id)."""
        return self.calls_to("chat.postMessage", where=lambda call: call.params.get("channel") == channel)

    def message_event(self, user: str, text: str, channel: Optional[str] = None, event_id: Optional[str] = None) -> bytes:
        """An Events API `message.im` delivery: the person wrote `text` in their DM with the app."""
        ts = f"{time.time():.6f}"
        return json.dumps(
            {
                "token": "deprecated-verification-token",
                "team_id": self.team_id,
                "api_app_id": "A_POPLIT",
                "event": {
                    "type": "message",
                    "channel_type": "im",
                    "channel": channel or dm_channel(user),
                    "user": user,
                    "text": text,
                    "ts": ts,
                    "event_ts": ts,
                    "client_msg_id": f"msg-{next(_ids)}",
                },
                "type": "event_callback",
                "event_id": event_id or f"Ev{next(_ids):08d}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": self.team_id, "user_id": self.bot_user_id, "is_bot": True}],
            }
        ).encode()

    def block_actions(self, user: str, clicked: PlatformCall, title: str, channel: Optional[str] = None) -> bytes:
        """An interactivity `block_actions` form body: `user` clicked the button titled `title` in the
        message the assistant posted in `clicked`."""
        blocks = clicked.params.get("blocks") or []
        for block in blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("text", {}).get("text") == title:
                    action_block, button = block, element
                    break
            else:
                continue
            break
        else:
            raise AssertionError(f"no button {title!r} in {blocks}")
        channel = channel or str(clicked.params["channel"])
        message_ts = f"{clicked.at:.6f}"
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": user.lower(), "team_id": self.team_id},
            "api_app_id": "A_POPLIT",
            "team": {"id": self.team_id},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
            "trigger_id": f"{next(_ids)}.{self.team_id}.trigger",
            "channel": {"id": channel, "name": "directmessage"},
            "message": {
                "type": "message",
                "user": self.bot_user_id,
                "ts": message_ts,
                "text": clicked.params.get("text", ""),
                "blocks": blocks,
            },  # fmt: skip
            "response_url": "https://hooks.slack.invalid/actions/T_POPLIT/1/x",
            "actions": [
                {
                    "type": "button",
                    "action_id": button.get("action_id", "button"),
                    "block_id": action_block.get("block_id", "block"),
                    "text": button["text"],
                    "value": button.get("value"),
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }
        return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def dm_channel(user: str) -> str:
    """The id of the app's direct-message channel with `user` (Slack's start with D)."""
    return "D" + user


def deliver(url: str, body: bytes, content_type: str, headers: dict[str, str], timeout: float = 10) -> tuple[int, bytes]:
    """POSTs as Slack would; the status and body, also for 4xx/5xx (no exception)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type, **headers}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
