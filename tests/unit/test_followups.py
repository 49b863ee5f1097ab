"""Follow-up check-ins without servers: due times in the person's daytime, the pain trend and
`not_improving`, the exercise plan, the chart and its signed links, the report's escaping, and the
chart route of Rasa's "charts" channel over a SQLite store."""

from __future__ import annotations

import asyncio
import os
import re
import struct
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional
from zoneinfo import ZoneInfo

import pytest

from bot.followups.chart import (
    CHART_LINK_LIFETIME,
    _kept_secret,
    chart_secret,
    chart_token,
    chart_url,
    pain_chart_png,
    person_chart_url,
    public_base_url,
    verify_chart_token,
)
from bot.followups.report import PdfUnavailable, ReportData, pain_points, render_report, write_pdf
from bot.followups.schedule import DEFAULT_SCHEDULE_DAYS, current_time, due_times, next_daytime, parse_clock, zone
from bot.followups.trend import (
    IMPROVING,
    KEEP,
    PROGRESS,
    SAME,
    STEP_BACK,
    WORSE,
    exercise_plan,
    meaningful_change,
    not_improving,
    trend,
)
from bot.store.checkins import Assessment, CheckIn

UTC = timezone.utc
LONDON, NEW_YORK, SYDNEY, TOKYO = (
    ZoneInfo("Europe/London"),
    ZoneInfo("America/New_York"),
    ZoneInfo("Australia/Sydney"),
    ZoneInfo("Asia/Tokyo"),
)


def local(moment: datetime, tz: ZoneInfo) -> tuple[str, str]:
    here = moment.astimezone(tz)
    return here.strftime("%Y-%m-%d"), here.strftime("%H:%M")


# ---- schedule ---------------------------------------------------------------------------------


def test_daytime_keeps_its_time_of_day_and_comes_back_in_utc() -> None:
    now = datetime(2026, 6, 1, 10, 15, tzinfo=LONDON)
    due = due_times(now, DEFAULT_SCHEDULE_DAYS, "Europe/London")
    assert [local(moment, LONDON) for moment in due] == [
        ("2026-06-03", "10:15"),
        ("2026-06-08", "10:15"),
        ("2026-06-15", "10:15"),
    ]
    assert all(moment.tzinfo == UTC for moment in due)


@pytest.mark.parametrize(
    ("local_now", "expected"),
    [
        ("21:30", ("2026-06-04", "08:00")),  # evening: the morning after the due day
        ("23:59", ("2026-06-04", "08:00")),
        ("03:00", ("2026-06-03", "08:00")),  # small hours: the same due day's morning
        ("07:59", ("2026-06-03", "08:00")),
        ("08:00", ("2026-06-03", "08:00")),  # quiet hours end at 08:00 sharp
        ("20:59", ("2026-06-03", "20:59")),
    ],
)
def test_quiet_hours_move_a_check_in_to_the_next_morning(local_now: str, expected: tuple[str, str]) -> None:
    hour, minute = map(int, local_now.split(":"))
    now = datetime(2026, 6, 1, hour, minute, tzinfo=LONDON)
    assert local(due_times(now, [2], "Europe/London")[0], LONDON) == expected


def test_the_persons_own_timezone_decides_what_is_night() -> None:
    now = datetime(2026, 6, 1, 23, 30, tzinfo=UTC)  # night in London, 08:30 next morning in Tokyo
    assert local(due_times(now, [2], "Asia/Tokyo")[0], TOKYO) == ("2026-06-04", "08:30")
    assert local(due_times(now, [2], "Europe/London")[0], LONDON) == ("2026-06-04", "08:00")
    # An unknown or empty zone is UTC rather than an error.
    assert due_times(now, [2], "Mars/Olympus") == due_times(now, [2], "UTC") == due_times(now, [2], "")
    assert zone(None).key == "UTC"


def test_a_clock_change_in_between_keeps_the_local_time_of_day() -> None:
    # New York moves to summer time on 8 March 2026; Sydney leaves it on 5 April 2026.
    before = datetime(2026, 3, 5, 10, 15, tzinfo=NEW_YORK)
    due = due_times(before, [7], "America/New_York")[0]
    assert local(due, NEW_YORK) == ("2026-03-12", "10:15")
    assert due - before == timedelta(days=7) - timedelta(hours=1)  # a 23-hour day in between
    sydney = datetime(2026, 4, 1, 9, 0, tzinfo=SYDNEY)
    assert local(due_times(sydney, [7], "Australia/Sydney")[0], SYDNEY) == ("2026-04-08", "09:00")


def test_quiet_hours_that_end_in_a_skipped_hour_end_an_hour_later() -> None:
    # 02:30 does not exist in New York on 8 March 2026: the check-in comes at 03:30 summer time.
    now = datetime(2026, 3, 7, 23, 0, tzinfo=NEW_YORK)
    due = due_times(now, [0], "America/New_York", quiet_start="22:00", quiet_end="02:30")[0]
    assert local(due, NEW_YORK) == ("2026-03-08", "03:30")


def test_chosen_quiet_hours_including_daytime_ones_and_none() -> None:
    noon = datetime(2026, 6, 1, 13, 30, tzinfo=UTC)
    assert local(due_times(noon, [1], "UTC", "13:00", "14:00")[0], ZoneInfo("UTC")) == ("2026-06-02", "14:00")
    assert local(due_times(noon, [1], "UTC", "22:00", "06:30")[0], ZoneInfo("UTC")) == ("2026-06-02", "13:30")
    late = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)
    assert local(due_times(late, [1], "UTC", "00:00", "00:00")[0], ZoneInfo("UTC")) == ("2026-06-02", "23:00")
    # Malformed settings fall back to 21:00-08:00.
    assert due_times(late, [1], "UTC", "9pm", "25:00") == due_times(late, [1], "UTC")
    assert next_daytime(late, "UTC") == datetime(2026, 6, 2, 8, 0, tzinfo=UTC)


def test_due_times_are_sorted_without_duplicates_and_refuse_naive_times() -> None:
    now = datetime(2026, 6, 1, 22, 0, tzinfo=UTC)
    assert len(due_times(now, [14, 2, 2, 7], "UTC")) == 3
    assert due_times(now, [14, 2, 7], "UTC") == sorted(due_times(now, [14, 2, 7], "UTC"))
    with pytest.raises(ValueError):
        due_times(datetime(2026, 6, 1, 10, 0), [2], "UTC")
    with pytest.raises(ValueError):
        due_times(now, [-1], "UTC")


def test_the_test_clock_is_fixed_an_offset_or_read_from_a_file(tmp_path: Path) -> None:
    real = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert parse_clock("2026-07-01T09:00:00+02:00", real) == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert parse_clock("2026-07-01T09:00:00", real) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)  # naive: UTC
    assert parse_clock("2026-07-01T09:00:00Z", real) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert parse_clock("+3d", real) == real + timedelta(days=3)
    assert parse_clock("-90m", real) == real - timedelta(minutes=90)
    assert parse_clock("+1.5h", real) == real + timedelta(minutes=90)
    clock_file = tmp_path / "clock"
    clock_file.write_text("+14d\n")
    assert parse_clock(f"@{clock_file}", real) == real + timedelta(days=14)
    clock_file.write_text("")
    assert parse_clock(f"@{clock_file}", real) == real  # an empty clock file: the real time
    assert parse_clock(f"@{tmp_path / 'no-such-clock'}", real) == real
    assert current_time({"POPLIT_CLOCK": "2030-01-01T00:00:00Z"}) == datetime(2030, 1, 1, tzinfo=UTC)
    assert abs(current_time({}) - datetime.now(UTC)) < timedelta(seconds=5)
    with pytest.raises(ValueError):
        parse_clock("next tuesday", real)


# ---- trend ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    created_at: datetime
    pain: Optional[int]
    change: Optional[str] = None


START = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)


def readings(*items: tuple[float, Optional[int], Optional[str]]) -> list[Reading]:
    return [Reading(START + timedelta(days=days), pain, change) for days, pain, change in items]


@pytest.mark.parametrize(
    ("first", "last", "meaningful"),
    [
        (6, 4, True),  # 2 points
        (6, 5, False),  # 1 point, 17%
        (3, 2, True),  # 1 point but 33%
        (4, 3, False),  # 25%
        (10, 7, True),
        (1, 0, True),
        (0, 0, False),
        (0, 1, False),  # a rise counts at 2 points only
        (2, 3, False),
        (3, 5, True),
        (8, 10, True),
    ],
)
def test_meaningful_change_is_about_2_points_or_30_percent(first: int, last: int, meaningful: bool) -> None:
    assert meaningful_change(first, last) is meaningful


def test_trend_in_plain_words() -> None:
    better = trend(readings((2, 5, "better"), (12, 3, "better")), baseline_pain=6, baseline_at=START)
    assert (better.direction, better.change_points, better.change_percent, better.days) == (IMPROVING, -3, -50.0, 12)
    assert better.sentence == "Your pain is 3 out of 10; 12 days ago it was 6. That's 3 points less: a real improvement."
    worse = trend(readings((7, 6, "worse")), baseline_pain=4, baseline_at=START)
    assert worse.direction == WORSE and "a week ago it was 4" in worse.sentence and "2 points more" in worse.sentence
    same = trend(readings((14, 5, "same")), baseline_pain=6, baseline_at=START)
    assert same.direction == SAME and "2 weeks ago it was 6" in same.sentence and "about the same" in same.sentence
    unchanged = trend(readings((1, 6, None)), baseline_pain=6, baseline_at=START)
    assert unchanged.sentence == "Your pain is 6 out of 10, the same as yesterday."
    # Without an assessment score the first check-in is the baseline; from 0 there is no percentage.
    no_baseline = trend(readings((2, 0, None), (9, 2, None)))
    assert (no_baseline.direction, no_baseline.change_percent, no_baseline.days) == (WORSE, None, 7)
    assert trend(readings((2, 4, None))).sentence.startswith("Your pain is 4 out of 10. That's our first score")
    assert trend([], None).direction == SAME
    assert trend(readings((2, None, "better"))).change_points == 0


@pytest.mark.parametrize(
    ("baseline", "history", "days_since", "expected"),
    [
        (6, ((2, 6, "same"), (7, 6, "same"), (14, 5, "same")), 14, True),  # two weeks without a real drop
        (6, ((2, 6, "same"), (7, 6, "same"), (13.6, 5, "same")), 13.6, True),  # about two weeks
        (6, ((2, 6, "same"), (7, 6, "same")), 10, False),  # too early to say
        (5, ((2, 5, "better"), (14, 4, "better")), 14, True),  # 1 point, 20%: not a real drop
        (6, ((2, 5, "better"), (14, 4, "better")), 14, False),  # 2 points down
        (3, ((14, 2, "better"),), 14, False),  # 1 point but 33%
        (6, ((3, 8, "worse"),), 3, True),  # up 2 points: worse at any time
        (6, ((2, 6, "worse"), (4, 6, "worse")), 4, True),  # says worse twice in a row
        (6, ((2, 6, "worse"), (4, 6, "same"), (6, 6, "worse")), 6, False),
        (6, ((2, None, "same"),), 20, False),  # no score at all
        (2, ((14, 0, "better"),), 14, False),  # the pain is gone
        (0, ((14, 0, "same"),), 14, False),
    ],
)
def test_not_improving(baseline: int, history: tuple, days_since: float, expected: bool) -> None:
    assert not_improving(baseline, START, readings(*history), START + timedelta(days=days_since)) is expected


def test_not_improving_without_an_assessment_score_uses_the_first_check_in() -> None:
    history = readings((2, 5, "same"), (14, 5, "same"))
    assert not_improving(None, START, history, START + timedelta(days=14)) is True
    assert not_improving(None, START, readings((2, 6, None), (14, 3, None)), START + timedelta(days=14)) is False


@pytest.mark.parametrize(
    ("pain", "change", "previous", "done", "plan"),
    [
        (3, "better", None, "yes", PROGRESS),
        (5, "better", None, "some", PROGRESS),  # 5/10 is still acceptable
        (6, "better", None, "yes", STEP_BACK),  # above 5/10
        (2, "worse", None, "yes", STEP_BACK),  # building
        (4, "same", 2, "yes", STEP_BACK),  # up 2 points since last time
        (4, "same", 3, "yes", KEEP),
        (3, "better", None, "no", KEEP),  # not done: nothing to progress from
        (None, None, None, None, KEEP),
        (None, "better", None, None, PROGRESS),
    ],
)
def test_exercise_plan_follows_the_pain_monitoring_model(
    pain: Optional[int], change: Optional[str], previous: Optional[int], done: Optional[str], plan: str
) -> None:
    assert exercise_plan(pain, change, previous, done) == plan


# ---- chart ------------------------------------------------------------------------------------


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_chart_is_a_readable_png() -> None:
    points = [(START + timedelta(days=days), pain) for days, pain in ((0, 7), (2, 6), (7, 6), (14, 4))]
    data = pain_chart_png(points, "Europe/London")
    width, height = png_size(data)
    assert width >= 600 and height >= 350 and len(data) > 10_000
    # One point, or several within a day, still draw; nothing to draw is an error.
    assert png_size(pain_chart_png(points[:1]))[0] == width
    assert png_size(pain_chart_png([(START, 3), (START + timedelta(hours=2), 4)]))[0] == width
    with pytest.raises(ValueError):
        pain_chart_png([])


SECRET = "test-secret-0123456789"


def test_a_chart_token_names_the_person_until_it_expires() -> None:
    expires = START + timedelta(days=7)
    token = chart_token("päivi:42/ä", "socketio", expires, SECRET)
    claim = verify_chart_token(token, SECRET, START)
    assert claim is not None and (claim.sender_id, claim.channel, claim.expires_at) == ("päivi:42/ä", "socketio", expires)
    assert "/" not in token and "?" not in token and "#" not in token
    assert verify_chart_token(token, SECRET, expires - timedelta(seconds=1)) is not None
    assert verify_chart_token(token, SECRET, expires) is None  # expired
    assert verify_chart_token(token, "another-secret", START) is None
    assert chart_url("https://poplit.example.org/", token) == f"https://poplit.example.org/webhooks/charts/{token}.png"


def test_a_tampered_or_garbled_token_is_refused() -> None:
    token = chart_token("alice", "slack", START + timedelta(days=7), SECRET)
    payload, signature = token.split(".")
    other = chart_token("bob", "slack", START + timedelta(days=7), SECRET)
    assert verify_chart_token(f"{other.split('.')[0]}.{signature}", SECRET, START) is None  # bob's name, alice's signature
    later = chart_token("alice", "slack", START + timedelta(days=700), "guess")
    assert verify_chart_token(f"{later.split('.')[0]}.{signature}", SECRET, START) is None  # a longer life
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert verify_chart_token(f"{payload}.{flipped}", SECRET, START) is None
    for garbage in ("", ".", "abc", "a.b.c", "!!!.???", payload, f"{payload}.", "x" * 5000):
        assert verify_chart_token(garbage, SECRET, START) is None
    with pytest.raises(ValueError):
        chart_token("alice", "slack", datetime(2026, 6, 8), SECRET)  # naive expiry
    with pytest.raises(ValueError):
        chart_token("alice", "sl:ack", START, SECRET)
    with pytest.raises(ValueError):
        chart_token("alice", "slack", START, "")


def test_the_chart_secret_comes_from_the_setting_or_is_kept_once_under_var(tmp_path: Path) -> None:
    assert chart_secret({"POPLIT_CHART_SECRET": "given"}, tmp_path) == "given"
    made = chart_secret({}, tmp_path)
    assert len(made) >= 32 and chart_secret({"VAR_DIR": str(tmp_path)}) == made
    assert (tmp_path / "chart-secret").stat().st_mode & 0o777 == 0o600
    # Several processes asking at once all get the one secret that was kept.
    results: list[str] = []
    path = tmp_path / "race" / "chart-secret"
    threads = [threading.Thread(target=lambda: results.append(_kept_secret(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1 and results[0] == path.read_text().strip()
    assert sorted(os.listdir(path.parent)) == ["chart-secret"]  # no drafts left behind


def test_a_persons_chart_link_is_under_the_public_address() -> None:
    env = {"POPLIT_CHART_SECRET": SECRET, "RASA_PORT": "5123"}
    assert public_base_url(env) == "http://127.0.0.1:5123"
    assert public_base_url({**env, "PUBLIC_BASE_URL": "https://poplit.example.org/"}) == "https://poplit.example.org"
    url = person_chart_url("alice", "telegram", START, env)
    token = url.rsplit("/", 1)[1].removesuffix(".png")
    claim = verify_chart_token(token, SECRET, START)
    assert url.startswith("http://127.0.0.1:5123/webhooks/charts/") and claim is not None
    assert claim.expires_at == START + CHART_LINK_LIFETIME


# ---- report -----------------------------------------------------------------------------------


def test_the_report_escapes_what_people_typed_and_holds_the_chart() -> None:
    assessment = Assessment(
        id=1,
        person_id=1,
        created_at=START,
        level="self_care",
        rule_ids=("<b>odd</b>",),
        ruleset_version="2026.11.5",
        profile={
            "location": "back_of_knee",
            "symptoms": ["ache", "tightness"],
            "duration_text": "<script>alert(1)</script>",
            "pain_score": 6.0,
        },
        exercises=("Hamstring stretch", "Knee <hugs> & more"),
    )
    check_ins = [
        CheckIn(1, 1, 1, START + timedelta(days=2), 6, "same", "some", None, None),
        CheckIn(2, 1, 2, START + timedelta(days=7), 6, "same", "yes", '<img src=x onerror="alert(2)">', None),
        CheckIn(3, 1, 3, START + timedelta(days=14), 5, "same", "yes", None, "stairs & slopes"),
    ]
    points = pain_points([assessment], check_ins)
    assert points[0] == (START, 6) and len(points) == 4
    page = render_report(
        ReportData(
            "socketio", "abc", "Europe/London", [assessment], check_ins, START + timedelta(days=14), pain_chart_png(points)
        )
    )
    assert "<script>" not in page and "<img src=x" not in page and "<hugs>" not in page and "<b>odd" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in page
    assert "stairs &amp; slopes" in page and "Knee &lt;hugs&gt; &amp; more" in page
    assert 'src="data:image/png;base64,iVBORw0KGgo' in page
    assert "back of knee" in page and "ache, tightness" in page
    assert "not improving" in page  # 6 -> 5 over two weeks
    assert "From 6 to 5 out of 10 over 14 days: no meaningful change" in page
    assert "hold 10-30 seconds" in page  # the hamstring stretch's dosing from the knowledge files
    assert page.count("<html") == 1


def test_a_report_with_nothing_recorded_still_renders() -> None:
    page = render_report(ReportData("rest", "x", "UTC", [], [], START))
    assert "No assessment was recorded" in page and "No pain scores were recorded" in page and "data:image" not in page


# ---- the chart route (Rasa's "charts" channel, through Sanic's routing over ASGI) ---------------


async def asgi_get(app: Any, path: str) -> tuple[int, dict[str, str], bytes]:
    """One GET through the app's ASGI interface (no test-client package needed)."""
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"poplit.test")],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 40000),
        "root_path": "",
    }
    await app(scope, receive, send)
    start = next(message for message in messages if message["type"] == "http.response.start")
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    body = b"".join(message.get("body", b"") for message in messages if message["type"] == "http.response.body")
    return start["status"], headers, body


async def started(app: Any) -> None:
    """Sanic's ASGI start-up (route finalising), as a server would run it."""
    events = [{"type": "lifespan.startup"}]
    done = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if events:
            return events.pop()
        await asyncio.sleep(3600)
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            done.set()

    asyncio.get_running_loop().create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    await asyncio.wait_for(done.wait(), 10)


def test_the_chart_route_serves_the_persons_chart_and_refuses_bad_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sanic import Sanic

    from bot.channels.charts import ChartsInput
    from bot.store import checkins, open_store

    url = f"sqlite:///{tmp_path / 'poplit.db'}"
    monkeypatch.setenv("POPLIT_STORE_URL", url)
    monkeypatch.setenv("POPLIT_CHART_SECRET", SECRET)
    monkeypatch.setenv("POPLIT_CLOCK", "2026-06-20T12:00:00Z")
    now = datetime(2026, 6, 20, 12, 0, tzinfo=UTC)
    engine = open_store(url)
    alice = checkins.get_or_create_person(engine, "socketio", "alice-session-0123456789abcdef")
    checkins.record_assessment(engine, alice.id, "self_care", [], "v", {"pain_score": 6}, [], at=START)
    checkins.record_check_in(engine, alice.id, None, 5, "better", "yes", None, None, at=START + timedelta(days=2))
    checkins.record_check_in(engine, alice.id, None, 4, "better", "yes", None, None, at=START + timedelta(days=7))
    bob = checkins.get_or_create_person(engine, "slack", "U0BOB")
    checkins.record_assessment(engine, bob.id, "self_care", [], "v", {"pain_score": 6}, [], at=START)

    channel = ChartsInput()
    assert ChartsInput.name() == channel.url_prefix() == "charts"
    app = Sanic(f"charts_test_{os.getpid()}")
    app.blueprint(channel.blueprint(lambda message: asyncio.sleep(0)), url_prefix="/webhooks/charts")

    def token(sender: str, channel_name: str, expires: datetime, secret: str = SECRET) -> str:
        return chart_token(sender, channel_name, expires, secret)

    async def requests() -> list[tuple[int, dict[str, str], bytes]]:
        await started(app)
        week = now + timedelta(days=7)
        paths = [
            f"/webhooks/charts/{token(alice.sender_id, 'socketio', week)}.png",
            f"/webhooks/charts/{token(alice.sender_id, 'socketio', week, 'forged')}.png",
            f"/webhooks/charts/{token(alice.sender_id, 'socketio', now - timedelta(seconds=1))}.png",  # expired
            f"/webhooks/charts/{token(alice.sender_id, 'slack', week)}.png",  # no such person on Slack
            f"/webhooks/charts/{token('U0BOB', 'slack', week)}.png",  # an assessment, no check-ins
            f"/webhooks/charts/{token(alice.sender_id, 'socketio', week)}",  # not a .png
        ]
        return [await asgi_get(app, path) for path in paths]

    ok, forged, expired, unknown, no_check_ins, no_suffix = asyncio.run(requests())
    assert ok[0] == 200 and ok[1]["content-type"] == "image/png" and ok[1]["cache-control"] == "no-store"
    assert png_size(ok[2])[0] >= 600
    assert [forged[0], expired[0], no_suffix[0]] == [403, 403, 403]
    assert b"not valid or has expired" in forged[2] and forged[1]["cache-control"] == "no-store"
    assert [unknown[0], no_check_ins[0]] == [404, 404]
    engine.dispose()
    open_store.cache_clear()


def test_a_long_history_keeps_the_first_score_and_the_latest_in_the_table() -> None:
    assessment = Assessment(1, 1, START, "self_care", (), "v", {"pain_score": 8}, ())
    check_ins = [CheckIn(i, 1, None, START + timedelta(days=2 * i), 7, "same", "yes", None, None) for i in range(1, 16)]
    page = render_report(ReportData("slack", "U1", "UTC", [assessment], check_ins, START + timedelta(days=30)))
    table = page.split("Anything new</th></tr>", 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 7 and "(assessment)" in table and "... 10 more in the chart" in table
    assert "01 Jul 2026" in table and "03 Jun 2026" not in table  # the newest kept, the first check-in in the chart only


def test_the_report_prints_to_a_one_page_pdf(tmp_path: Path) -> None:
    """`python -m bot report SENDER --pdf FILE`: headless Chromium prints the HTML page."""
    check_ins = [
        CheckIn(n, 1, n, START + timedelta(days=days), pain, "same", "yes", None, None)
        for n, (days, pain) in enumerate([(2, 6), (7, 5)], 1)
    ]
    points = pain_points([], check_ins)
    page = render_report(ReportData("telegram", "42", "UTC", [], check_ins, START + timedelta(days=7), pain_chart_png(points)))
    out = tmp_path / "report.pdf"
    write_pdf(page, out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF-") and len(data) > 5000
    assert len(re.findall(rb"/Type\s*/Page\b", data)) == 1, "one page"
    with pytest.raises(PdfUnavailable):
        write_pdf(page, tmp_path / "never.pdf", browser=str(tmp_path / "no-such-browser"))
