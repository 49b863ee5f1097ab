"""The REST channel with its input checked (a clear 4xx instead of a crash or a silent default),
and the check-ins REST cannot push: a follow-up that fell due opens when the person next writes."""

from __future__ import annotations

import asyncio
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Union

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import bool_arg
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream
from sqlalchemy.exc import SQLAlchemyError

from bot import names
from bot.channels.door import (
    BadInput,
    Refusal,
    door_of,
    handle_message,
    id_problem,
    read_json,
    refusal_response,
    rest_conversation_id,
)
from bot.followups.schedule import current_time
from bot.store import StoreUnavailable, due_follow_up, process_store

logger = logging.getLogger(__name__)

# A caller's id for one message (the balancer sets one on every request it forwards): the same id sent
# again gets the same answer (see earlier_answer).
REQUEST_ID_HEADER = "X-Request-ID"


def _payload(request: Request) -> Dict[str, Any]:
    # Usually read and checked by the door's middleware already (bot/channels/door.py).
    payload = request.parsed_json if request.parsed_json is not None else read_json(request.body or b"")
    request.parsed_json = payload
    if not isinstance(payload, dict):
        raise BadInput('the body must be a JSON object: {"sender": "...", "message": "..."}')
    return payload


class ValidatedRestInput(RestInput):
    """Same URL and replies as Rasa's REST channel (/webhooks/rest/webhook). The caller's sender is
    theirs to choose, so it names a conversation in REST's own namespace (`rest:<sender>`), and the
    body's `input_channel` is ignored: REST callers are REST. Every refusal is JSON with an `error`,
    and with `messages` when the person is told something."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's two routes (/ and /webhook), with the due check-in opened after the person's message."""
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", type(self).__module__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> Union[ResponseStream, HTTPResponse]:
            try:
                payload = _payload(request)
                metadata = payload.get("metadata")
                if metadata is not None and not isinstance(metadata, dict):
                    raise BadInput('"metadata" must be a JSON object when given')
            except BadInput as problem:
                return response.json({"error": str(problem)}, status=problem.status)
            sender, text = payload.get("sender"), payload.get("message")
            door = door_of(request.app)
            refusal = await door.check_message(self.name(), sender, text)
            if refusal is not None or not isinstance(sender, str):  # check_message refuses a sender that is not text
                return refusal_response(refusal or Refusal(400, "sender must be text"), sender if isinstance(sender, str) else "")
            conversation_id = rest_conversation_id(sender)
            agent = request.app.ctx.agent
            request_id = request.headers.get(REQUEST_ID_HEADER)
            bad_id = id_problem(request_id, REQUEST_ID_HEADER) if request_id is not None else None
            if bad_id is not None:
                return refusal_response(Refusal(400, str(bad_id)), sender)
            # Only a repeat can have been answered: the first sending of an id costs no tracker read.
            if request_id is not None and not await door.requests.first_time(f"{conversation_id}:{request_id}"):
                answered = await earlier_answer(agent, conversation_id, request_id)
                if answered is not None:
                    return response.json([{**reply, "recipient_id": sender} for reply in answered])
            message = UserMessage(
                text, None, conversation_id, input_channel=self.name(), metadata=metadata, message_id=request_id
            )
            refusal = await door.typed_intents(agent, message)
            if refusal is not None:
                return refusal_response(refusal, sender)
            if bool_arg(request, "stream", default=False):  # streamed replies: no check-in appended
                return response.stream(
                    self.stream_response(on_new_message, message.text, conversation_id, self.name(), metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            message.output_channel = collector
            try:
                if await handle_message(on_new_message, message):
                    await open_due_check_in(agent, conversation_id, collector)
            except CancelledError:
                logger.error("a REST message timed out")  # never the text: it may describe someone's knee
            except Exception:
                logger.exception("a REST message failed")
            # Replies name the sender as the caller knows it.
            return response.json([{**reply, "recipient_id": sender} for reply in collector.messages])

        return webhook


async def earlier_answer(agent: Any, conversation_id: str, request_id: str) -> Optional[List[Dict[str, Any]]]:
    """The replies already given to the message sent with this X-Request-ID, or None when it was never
    handled. A request repeated with its id (a client retrying, or the balancer retrying on another
    instance when the first died mid-turn, after it had stored the turn) gets the same answer rather
    than a second turn. None too when the tracker store is away (the turn itself then says so)."""
    try:
        tracker = await agent.tracker_store.retrieve(conversation_id)
    except SQLAlchemyError:
        return None
    if tracker is None:
        return None
    replies: Optional[List[Dict[str, Any]]] = None
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if replies is not None:
                break
            if event.message_id == request_id:
                replies = []
        elif replies is not None and isinstance(event, BotUttered):
            reply: Dict[str, Any] = {"text": event.text} if event.text else {}
            reply.update({key: value for key, value in (event.data or {}).items() if value and key != "elements"})
            replies.append(reply)
    return replies


def _due_follow_up_id(sender_id: str) -> Optional[str]:
    try:
        follow_up = due_follow_up(process_store(), ValidatedRestInput.name(), sender_id, current_time())
    except StoreUnavailable:
        logger.warning("the store is down: no check-in is opened on this message")
        return None
    return None if follow_up is None else follow_up.public_id


def busy(tracker: DialogueStateTracker) -> bool:
    """Not the moment for a check-in: a form is under way, a yes or no is awaited, or this turn
    escalated (the person has just been told to get help)."""
    if tracker.active_loop_name or tracker.get_slot(names.DELETE_REQUESTED):
        return True
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == names.ESCALATION_RECORD and event.value:
            return True
    return False


async def open_due_check_in(agent: Any, sender_id: str, collector: CollectingOutputChannel) -> None:
    """The check-in the worker could not push (REST has no push), started as the worker would start it
    (EXTERNAL_check_in with the follow-up's id), its questions added to the same reply."""
    follow_up_id = await asyncio.to_thread(_due_follow_up_id, sender_id)
    if follow_up_id is None:
        return
    async with agent.lock_store.lock(sender_id):
        tracker = await agent.processor.fetch_tracker_and_update_session(sender_id, collector)
        if busy(tracker):
            return
        await agent.trigger_intent(
            names.EXTERNAL_CHECK_IN, [{"entity": "follow_up_id", "value": follow_up_id}], collector, tracker
        )
