"""The REST channel with its input checked: a clear 4xx instead of a crash or a silent default."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.exceptions import InvalidUsage, PayloadTooLarge
from sanic.request import Request

MAX_MESSAGE_CHARS = 2000
MAX_SENDER_CHARS = 128


def _payload(request: Request) -> Dict[str, Any]:
    try:
        payload = request.json
    except Exception as error:  # Sanic raises its own error types for unparsable bodies
        raise InvalidUsage('the body must be JSON: {"sender": "...", "message": "..."}') from error
    if not isinstance(payload, dict):
        raise InvalidUsage('the body must be a JSON object: {"sender": "...", "message": "..."}')
    return payload


class ValidatedRestInput(RestInput):
    """Same URL and replies as Rasa's REST channel (/webhooks/rest/webhook)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = _payload(req).get("sender")
        if not isinstance(sender, str) or not sender.strip():
            raise InvalidUsage('"sender" is required: a non-empty string that identifies the conversation')
        if len(sender) > MAX_SENDER_CHARS:
            raise InvalidUsage(f'"sender" is longer than {MAX_SENDER_CHARS} characters')
        return sender

    def _extract_message(self, req: Request) -> Optional[Text]:
        message = _payload(req).get("message")
        if not isinstance(message, str) or not message.strip():
            raise InvalidUsage('"message" is required: a non-empty string')
        if len(message) > MAX_MESSAGE_CHARS:
            raise PayloadTooLarge(f'"message" is longer than {MAX_MESSAGE_CHARS} characters; please send it in parts')
        return message

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        metadata = _payload(request).get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidUsage('"metadata" must be a JSON object when given')
        return metadata
