"""The action server: rasa_sdk's app with the door's checks in front of its webhook.

`rasa run actions` builds rasa_sdk's Sanic app and runs it with no way to add a check before the
webhook, which answered 500 for `[]`, a deeply nested body or a call without a tracker, and echoed
the whole body (a conversation) into its log and its answer. This builds the same app with rasa_sdk's
own `create_app`, checks each call against the shape Rasa sends (`ActionCall`), and runs it the same
way.
"""

from __future__ import annotations

import logging
import os
import zlib
from http import HTTPStatus
from typing import Any, Dict, List, Optional

from pydantic import BaseModel, StrictStr, ValidationError
from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.door import BadInput, error_response, read_json

logger = logging.getLogger(__name__)

# A call carries the conversation's current session, which the tracker store caps (bot/trackers).
ACTION_CALL_MAX_BYTES = 16 * 1024 * 1024


class CallTracker(BaseModel):
    """The parts of the tracker rasa_sdk's Tracker.from_dict reads (Rasa sends more)."""

    sender_id: StrictStr
    slots: Dict[str, Any] = {}
    latest_message: Dict[str, Any] = {}
    events: List[Dict[str, Any]] = []
    active_loop: Dict[str, Any] = {}
    latest_action_name: Optional[StrictStr] = None
    followup_action: Optional[StrictStr] = None
    paused: bool = False

    class Config:
        extra = "allow"


class ActionCall(BaseModel):
    """What Rasa posts to /webhook (rasa.core.actions.action.RemoteAction)."""

    next_action: StrictStr
    sender_id: StrictStr
    tracker: CallTracker
    domain: Dict[str, Any] = {}
    version: Optional[StrictStr] = None

    class Config:
        extra = "allow"


def call_problem(body: bytes, deflated: bool) -> Optional[BadInput]:
    """Why a POST to the webhook is not an action call Rasa could have sent, or None."""
    try:
        if deflated:
            # rasa_sdk inflates it itself afterwards; checked here first, inflated no larger than the cap.
            inflater = zlib.decompressobj()
            body = inflater.decompress(body, ACTION_CALL_MAX_BYTES)
            if inflater.unconsumed_tail:
                return BadInput("the body is too large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        ActionCall.parse_obj(read_json(body))
    except zlib.error:
        return BadInput("the body is not valid deflate data")
    except BadInput as problem:
        return problem
    except ValidationError as invalid:
        fields = ", ".join(".".join(str(part) for part in error["loc"]) for error in invalid.errors())
        return BadInput(f"not an action call: check {fields}")
    return None


def install_checks(app: Sanic) -> None:
    async def check(request: Request) -> Optional[HTTPResponse]:
        if request.method != "POST" or request.path != "/webhook":
            return None
        body = request.body or b""
        if len(body) > ACTION_CALL_MAX_BYTES:
            return error_response(BadInput("the body is too large", HTTPStatus.REQUEST_ENTITY_TOO_LARGE))
        problem = call_problem(body, request.headers.get("Content-Encoding") == "deflate")
        return None if problem is None else error_response(problem)

    async def failed(request: Request, exception: Exception) -> HTTPResponse:
        # rasa_sdk's own handler logged the request and answered with its body: the conversation.
        logger.error("an action call failed: %s", exception.__class__.__name__, exc_info=exception)
        return response.json({"error": "the action failed; see the action server's log"}, status=500)

    app.register_middleware(check, "request")
    app.error_handler.add(Exception, failed)


def run(port: int, actions_package: str = "actions") -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app(actions_package, cors_origins=None)
    install_checks(app)
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    # Only Rasa calls it: loopback unless SANIC_HOST says otherwise (as `rasa run actions` reads it).
    app.run(os.environ.get("SANIC_HOST", "127.0.0.1"), port, workers=1, access_log=False)
