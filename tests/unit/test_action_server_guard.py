"""The guard around Rasa's calls to the action server, against a real HTTP server that answers,
hangs, fails or is not there: a time limit, one apology per turn, forms that ask again, and no
waiting again and again while the server is known to be down."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

import jsonschema
import pytest
from aiohttp import web
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.policies import action_server_guard
from bot.policies.action_server_guard import APOLOGY_RESPONSE, health_url, timeout_from_env
from tests.support.assistant import PROJECT_ROOT, free_port

DOMAIN = Domain.load(str(PROJECT_ROOT / "domain.yml"))
NLG = TemplatedNaturalLanguageGenerator(DOMAIN.responses)


class StubActionServer:
    """`mode` decides how /webhook behaves: ok, hang, fail; /health answers unless mode is hang."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.calls = 0
        self.port = free_port()

    async def webhook(self, request: web.Request) -> web.Response:
        self.calls += 1
        if self.mode == "hang":
            await asyncio.sleep(30)
        if self.mode == "fail":
            return web.Response(status=500, text="boom")
        return web.json_response({"events": [], "responses": [{"text": "the real answer"}]})

    async def health(self, request: web.Request) -> web.Response:
        if self.mode == "hang":
            await asyncio.sleep(30)
        return web.json_response({"status": "ok"})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"


async def serving(stub: StubActionServer) -> web.AppRunner:
    app = web.Application()
    app.router.add_post("/webhook", stub.webhook)
    app.router.add_get("/health", stub.health)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", stub.port).start()
    return runner


def tracker(*events: Any) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "guarded", [ActionExecuted("action_listen"), UserUttered("hi"), *events], DOMAIN.slots
    )


async def run_action(name: str, url: str, state_tracker: DialogueStateTracker) -> tuple[list[Any], float]:
    started = time.monotonic()
    events = await RemoteAction(name, EndpointConfig(url)).run(CollectingOutputChannel(), NLG, state_tracker, DOMAIN)
    return events, time.monotonic() - started


def texts(events: list[Any]) -> list[str]:
    return [event.text for event in events if isinstance(event, BotUttered)]


def with_server(scenario: Callable[[StubActionServer], Awaitable[None]]) -> None:
    async def main() -> None:
        action_server_guard.install(timeout_seconds=1.0)
        stub = StubActionServer()
        runner = await serving(stub)
        try:
            await scenario(stub)
        finally:
            await runner.cleanup()
            action_server_guard.install(timeout_seconds=1.0).mark_reachable()

    asyncio.run(main())


def test_an_answering_server_is_used_as_usual() -> None:
    async def scenario(stub: StubActionServer) -> None:
        events, _ = await run_action("action_greet", stub.url, tracker())
        assert texts(events) == ["the real answer"]

    with_server(scenario)


def test_a_hung_server_gets_an_apology_within_the_time_limit_then_fast_ones() -> None:
    async def scenario(stub: StubActionServer) -> None:
        stub.mode = "hang"
        events, waited = await run_action("action_greet", stub.url, tracker())
        assert waited < 2.5
        [apology] = texts(events)
        assert "went wrong on my side" in apology and "112" in apology
        # Known to be down: the next call only asks /health briefly instead of waiting the full limit.
        calls_before = stub.calls
        _, waited_again = await run_action("action_answer_question", stub.url, tracker())
        assert waited_again < 1.0 and stub.calls == calls_before
        stub.mode = "ok"
        events, _ = await run_action("action_greet", stub.url, tracker())
        assert texts(events) == ["the real answer"]

    with_server(scenario)


def test_one_apology_per_turn() -> None:
    async def scenario(stub: StubActionServer) -> None:
        stub.mode = "fail"
        apologised = tracker(BotUttered("sorry", metadata={"utter_action": APOLOGY_RESPONSE}))
        events, _ = await run_action("action_greet", stub.url, apologised)
        assert texts(events) == []

    with_server(scenario)


def test_a_refused_connection_is_an_apology_too() -> None:
    async def scenario(stub: StubActionServer) -> None:
        events, waited = await run_action("action_greet", f"http://127.0.0.1:{free_port()}/webhook", tracker())
        assert len(texts(events)) == 1 and waited < 1.5

    with_server(scenario)


def test_a_failed_form_validation_asks_the_question_again() -> None:
    async def scenario(stub: StubActionServer) -> None:
        stub.mode = "fail"
        events, _ = await run_action("validate_symptom_intake_form", stub.url, tracker(SlotSet("requested_slot", "pain_onset")))
        assert SlotSet("pain_onset", None) in events and len(texts(events)) == 1

    with_server(scenario)


def test_settings_and_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    assert health_url("http://127.0.0.1:5055/webhook") == "http://127.0.0.1:5055/health"
    monkeypatch.setenv("POPLIT_ACTION_TIMEOUT_SECONDS", "2.5")
    assert timeout_from_env() == 2.5
    monkeypatch.setenv("POPLIT_ACTION_TIMEOUT_SECONDS", "soon")
    with pytest.raises(ValueError, match="POPLIT_ACTION_TIMEOUT_SECONDS"):
        timeout_from_env()


def test_every_place_rasa_calls_the_action_server_goes_through_the_guard() -> None:
    """Forms and custom slot mappings build RemoteAction themselves; all share the wrapped run."""
    import rasa.core.actions.action as rasa_actions
    import rasa.core.actions.forms as rasa_forms

    action_server_guard.install(timeout_seconds=1.0)
    assert rasa_forms.RemoteAction is RemoteAction is rasa_actions.RemoteAction
    assert isinstance(getattr(RemoteAction.run, "poplit_guard", None), action_server_guard.ActionServerState)
    assert isinstance(rasa_actions.action_for_name_or_text("action_greet", DOMAIN, EndpointConfig("http://x")), RemoteAction)


@pytest.mark.parametrize(
    "response",
    [
        {"events": [{"event": "slot", "name": "pain_score", "value": "4"}], "responses": [{"text": "Thanks."}]},
        {"events": [], "responses": []},
        {"events": [{"event": "followup", "name": "symptom_intake_form"}]},
        {"events": "not a list"},
        {"events": [{"name": "no event type"}]},
        {"events": [{"event": "not_an_event"}]},
        {"responses": [{"text": 3}], "events": []},
    ],
)
def test_action_responses_are_checked_as_rasa_checks_them(response: dict[str, Any]) -> None:
    """The validator built once accepts and refuses exactly what jsonschema.validate does, with Rasa's message."""
    action_server_guard.install(5)
    action = RemoteAction("action_x", None)
    try:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
        expected_error = None
    except jsonschema.ValidationError as error:
        expected_error = error.message
    if expected_error is None:
        assert action._validate_action_result(response) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as raised:
            action._validate_action_result(response)
        assert raised.value.message.startswith(expected_error + ". Failed to validate Action server response")
