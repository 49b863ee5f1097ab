"""Serves each person's pain chart at GET /webhooks/charts/<token>.png, for the chart links the check-in
sends on every channel (bot/followups/chart.py makes and signs them).

A channel only in name: Rasa mounts every channel's blueprint under /webhooks/<name>, on the server
people already reach (PUBLIC_BASE_URL), so the charts need no server of their own. It takes no
messages. 403 for a token that is forged, altered or expired; 404 when the person has no pain scores;
else the PNG, drawn from the store on each request and never cached (the scores change, and the image
is personal).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


@dataclass(frozen=True)
class ChartReply:
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: dict(NO_STORE))


def _error(status: int, message: str) -> ChartReply:
    return ChartReply(status, "text/plain; charset=utf-8", message.encode())


def chart_reply(filename: str, now: datetime, secret: str, engine: Any) -> ChartReply:
    """The answer to GET /webhooks/charts/<filename>: blocking (store and drawing), run off the event loop."""
    from bot.followups.chart import pain_chart_png, verify_chart_token
    from bot.followups.report import pain_points
    from bot.store import checkins

    token = filename[: -len(".png")] if filename.endswith(".png") else None
    claim = verify_chart_token(token, secret, now) if token else None
    if claim is None:
        return _error(403, "This chart link is not valid or has expired. Ask for a new one in the chat.")
    person = checkins.find_person(engine, claim.sender_id, claim.channel)
    if person is None:
        return _error(404, "No pain scores are recorded for this chart.")
    check_ins = checkins.check_ins_of(engine, person.id)
    points = pain_points(checkins.assessments_of(engine, person.id), check_ins)
    if not check_ins or not points:
        return _error(404, "No pain scores are recorded for this chart.")
    return ChartReply(200, "image/png", pain_chart_png(points, person.timezone))


class ChartsInput(InputChannel):
    """Always on (credentials.yml, no settings)."""

    @classmethod
    def name(cls) -> Text:
        return "charts"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        charts = Blueprint("charts_webhook", __name__)

        @charts.route("/<filename:str>", methods=["GET"])
        async def chart(_: Request, filename: str) -> HTTPResponse:
            from bot.followups.chart import chart_secret
            from bot.followups.schedule import current_time
            from bot.store import StoreUnavailable, process_store

            def answer() -> ChartReply:
                return chart_reply(filename, current_time(), chart_secret(), process_store())

            try:
                reply = await asyncio.get_running_loop().run_in_executor(None, answer)
            except (StoreUnavailable, OSError) as error:
                logger.warning("chart not served: %s", error.__class__.__name__)
                reply = _error(503, "The chart is not available right now. Please try again later.")
            return response.raw(reply.body, status=reply.status, content_type=reply.content_type, headers=reply.headers)

        return charts
