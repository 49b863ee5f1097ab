"""Keeps a slow, hung or dead action server from leaving the person in silence.

Rasa 3.6 waits up to five minutes for every call to the action server (a constant,
`DEFAULT_REQUEST_TIMEOUT`, with no setting), and when a call fails it logs the error and the person
gets no reply at all. Rasa has no extension point for how it calls custom actions, so this module
wraps `RemoteAction.run`, the one method every call goes through (actions, form validation and
custom slot mappings). With the guard:

- each call has a time limit (POPLIT_ACTION_TIMEOUT_SECONDS, default 4 s);
- a timeout, a refused connection or a failed action gets a short apology (the domain response
  `utter_service_trouble`, naming the emergency number), at most once per turn;
- after a timeout or a refused connection, later calls first ask the action server's /health with a
  short limit and apologise at once if it does not answer, so one turn never waits several times
  over; the first call after it answers again goes through as usual;
- a failed form validation also clears the answer it was checking, so the form asks its question
  again instead of being rejected, and resumes where it was once the action server is back.

The red-flag escalation never goes through here: RedFlagPolicy has Rasa say it itself.

Rasa checks every action server response against its JSON schema with `jsonschema.validate`, which
first checks the schema itself against the JSON Schema meta-schema, on every call: about an eighth of
the Rasa process's CPU under load (py-spy). The same check runs here with a validator built once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Awaitable, Callable, List, Optional

import aiohttp
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.events import BotUttered, Event, SlotSet, UserUttered
from rasa.shared.exceptions import RasaException

from bot import names
from bot.settings import current, emergency_number

logger = logging.getLogger(__name__)

APOLOGY_RESPONSE = names.UTTER_SERVICE_TROUBLE
PROBE_TIMEOUT_SECONDS = 0.5
FORM_VALIDATION_PREFIX = "validate_"

RunMethod = Callable[..., Awaitable[List[Event]]]


def timeout_from_env() -> float:
    """POPLIT_ACTION_TIMEOUT_SECONDS (bot/settings.py); a value that is not a positive number is an error."""
    return current().action_timeout_seconds


@dataclass
class ActionServerState:
    """What this Rasa process last saw of the action server."""

    timeout_seconds: float
    unreachable_since: Optional[float] = None
    failures: int = field(default=0)

    def mark_unreachable(self) -> None:
        if self.unreachable_since is None:
            self.unreachable_since = time.monotonic()
        self.failures += 1

    def mark_reachable(self) -> None:
        if self.unreachable_since is not None:
            logger.warning("action server answers again after %.1f s", time.monotonic() - self.unreachable_since)
        self.unreachable_since = None


def health_url(webhook_url: str) -> str:
    """The rasa_sdk action server answers /health next to its /webhook."""
    base = webhook_url.rstrip("/")
    if base.endswith("/webhook"):
        base = base[: -len("/webhook")]
    return base + "/health"


async def answers_health_check(webhook_url: str) -> bool:
    try:
        timeout = aiohttp.ClientTimeout(total=PROBE_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(health_url(webhook_url)) as response:
                return response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        return False


def _apologised_this_turn(tracker: Any) -> bool:
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, BotUttered) and (event.metadata or {}).get("utter_action") == APOLOGY_RESPONSE:
            return True
    return False


async def _apology(action: RemoteAction, output_channel: Any, nlg: Any, tracker: Any) -> List[Event]:
    events: List[Event] = []
    if not _apologised_this_turn(tracker):
        message = await nlg.generate(APOLOGY_RESPONSE, tracker, output_channel.name(), emergency_number=emergency_number())
        if message:
            events.append(create_bot_utterance({**message, "utter_action": APOLOGY_RESPONSE}))
    requested = tracker.get_slot(REQUESTED_SLOT)
    if action.name().startswith(FORM_VALIDATION_PREFIX) and requested:
        # An empty answer counts as "validated", so the form asks again rather than being rejected.
        events.append(SlotSet(requested, None))
    return events


def guarded(original_run: RunMethod, state: ActionServerState) -> RunMethod:
    async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
        url = self.action_endpoint.url if self.action_endpoint else ""
        if state.unreachable_since is not None and not await answers_health_check(url):
            state.mark_unreachable()
            logger.error("action server still not answering; '%s' not run", self.name())
            return await _apology(self, output_channel, nlg, tracker)
        try:
            events = await asyncio.wait_for(original_run(self, output_channel, nlg, tracker, domain), state.timeout_seconds)
        except ActionExecutionRejection:
            raise
        except asyncio.TimeoutError:
            state.mark_unreachable()
            logger.error("action '%s' got no answer within %.1f s", self.name(), state.timeout_seconds)
            return await _apology(self, output_channel, nlg, tracker)
        except RasaException as error:
            if isinstance(error.__context__, aiohttp.ClientConnectionError):
                state.mark_unreachable()
            logger.error("action '%s' failed: %s", self.name(), error)
            return await _apology(self, output_channel, nlg, tracker)
        state.mark_reachable()
        return events

    run.poplit_guard = state  # type: ignore[attr-defined]
    return run


@lru_cache(maxsize=1)
def _response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)  # what jsonschema.validate does on every call, done once
    return validator_class(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """RemoteAction._validate_action_result with the validator built once: the same errors, raised the
    same way (jsonschema's best match, with Rasa's pointer to the docs)."""
    error = best_match(_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install(timeout_seconds: Optional[float] = None) -> ActionServerState:
    """Wraps RemoteAction.run once per process (later calls only update the time limit) and gives it
    the validator built once."""
    RemoteAction._validate_action_result = validate_action_result
    current = getattr(RemoteAction.run, "poplit_guard", None)
    limit = timeout_seconds if timeout_seconds is not None else timeout_from_env()
    if isinstance(current, ActionServerState):
        current.timeout_seconds = limit
        return current
    state = ActionServerState(timeout_seconds=limit)
    RemoteAction.run = guarded(RemoteAction.run, state)
    return state
