"""A one-page summary a person can take to a physical therapist (`python -m bot report SENDER`): what
they reported at the assessment, the flags raised, their pain over time (table and chart) and the
exercises they were given. HTML with the chart inline, so it is a single file to print or send.

Everything a person typed is escaped: the report is opened in a browser.
"""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import yaml

from bot.followups.schedule import zone
from bot.followups.trend import IMPROVING, SAME, WORSE, Trend, not_improving, trend

RULES_FILE = Path(__file__).resolve().parents[1] / "triage" / "rules.yml"
LEVEL_WORDS = {
    "self_care": "Self-care at home",
    "see_clinician": "See a doctor or physical therapist within days",
    "urgent": "Medical check the same day",
    "emergency": "Emergency care",
}
PROFILE_FIELDS = (  # bot.profile.SymptomProfile's fields as the assessment stored them, in reading order
    ("location", "Where"),
    ("side", "Side"),
    ("symptoms", "What it feels like"),
    ("activities", "Brought on or worse with"),
    ("onset", "How it started"),
    ("duration_text", "How long"),
    ("pain_score", "Pain at the assessment (0-10)"),
    ("swelling", "Swelling"),
    ("mechanical", "Locking, catching, giving way"),
    ("weight_bearing", "Walking and weight bearing"),
)
# The most recent rows of the pain table (the chart shows them all), so the report stays one page.
MAX_TABLE_ROWS = 6
CHANGE_WORDS = {"better": "better", "same": "about the same", "worse": "worse", "unknown": "not sure"}
EXERCISES_DONE_WORDS = {"yes": "yes", "some": "some", "no": "no", "unknown": "not sure"}


@dataclass(frozen=True)
class ReportData:
    """What the report shows; `assessments` and `check_ins` are the store's records (or alike)."""

    channel: str
    sender_id: str
    timezone: str
    assessments: Sequence[Any]
    check_ins: Sequence[Any]
    generated_at: datetime
    chart_png: Optional[bytes] = None


def _decoded(value: Any, default: Any) -> Any:
    """A JSON column as a value, whether the store decoded it already or not."""
    if value is None:
        return default
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value


@lru_cache(maxsize=1)
def rule_criteria() -> dict[str, str]:
    """Each triage rule's criteria in words (read from rules.yml directly: the triage package is heavy)."""
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")) or {}
    return {str(rule["id"]): " ".join(str(rule.get("criteria", "")).split()) for rule in data.get("rules", [])}


@lru_cache(maxsize=1)
def _exercise_doses() -> dict[str, str]:
    from bot.knowledge import load_knowledge

    return {exercise.name.lower(): exercise.dosing_text for exercise in load_knowledge().exercises}


def _words(value: Any) -> str:
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(_words(item) for item in sorted(value, key=str))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("_", " ")


def _date(moment: datetime, timezone_name: str) -> str:
    return moment.astimezone(zone(timezone_name)).strftime("%d %b %Y")


def _rows(cells: Iterable[Sequence[str]]) -> str:
    return "\n".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in cells)


def _baseline(assessment: Any) -> Optional[int]:
    if assessment is None:
        return None
    score = _decoded(assessment.profile, {}).get("pain_score")
    return int(round(score)) if isinstance(score, (int, float)) else None


def _trend_line(summary: Trend, rows: Sequence[Sequence[str]]) -> str:
    """The trend for a clinician: the first and latest score, how far apart, and whether that is a
    meaningful change (about 2 points or 30%)."""
    scores = [row[1] for row in rows if row[1]]
    if len(scores) < 2:
        return f"One pain score so far: {scores[0]} out of 10." if scores else "No pain scores were recorded."
    verdict = {
        IMPROVING: "a meaningful improvement",
        WORSE: "a meaningful worsening",
        SAME: "no meaningful change (about 2 points or 30% would be)",
    }[summary.direction]
    days = "the same day" if summary.days == 0 else ("1 day" if summary.days == 1 else f"{summary.days} days")
    return f"From {scores[0]} to {scores[-1]} out of 10 over {days}: {verdict}."


def render_report(data: ReportData) -> str:
    """The report as one HTML page."""
    tz = data.timezone
    assessments = sorted(data.assessments, key=lambda record: record.created_at)
    check_ins = sorted(data.check_ins, key=lambda record: record.created_at)
    latest = assessments[-1] if assessments else None
    esc = html.escape
    parts: list[str] = []

    if latest is not None:
        profile = _decoded(latest.profile, {})
        if not profile.get("mechanical") and profile.get("mechanical_denied"):
            profile = {**profile, "mechanical": "none"}  # asked, and the knee neither locks, catches nor gives way
        rows = [(label, _words(profile.get(key))) for key, label in PROFILE_FIELDS if _words(profile.get(key))]
        # Two facts a line, to keep the page to one sheet.
        paired = [tuple(cell for row in rows[index : index + 2] for cell in row) for index in range(0, len(rows), 2)]
        symptoms = _rows(paired) if rows else '<tr><td colspan="4">No details were recorded.</td></tr>'
        parts.append(
            f"<h2>Reported symptoms <small>(assessment of {esc(_date(latest.created_at, tz))})</small></h2>"
            f'<table class="facts">{symptoms}</table>'
        )
    else:
        parts.append("<h2>Reported symptoms</h2><p>No assessment was recorded.</p>")

    flag_rows: list[tuple[str, str, str]] = []
    criteria = rule_criteria()
    for record in assessments:
        for rule_id in _decoded(record.rule_ids, []):
            flag_rows.append((_date(record.created_at, tz), str(rule_id).replace("_", " "), criteria.get(str(rule_id), "")))
    baseline = _baseline(latest)
    # Judged as of the latest check-in: what the scores show, not how long ago they stopped.
    if latest is not None and check_ins and not_improving(baseline, latest.created_at, check_ins, check_ins[-1].created_at):
        if not any(row[1] == "not improving" for row in flag_rows):
            flag_rows.append((_date(check_ins[-1].created_at, tz), "not improving", criteria.get("not_improving", "")))
    level = LEVEL_WORDS.get(str(latest.level), _words(latest.level)) if latest is not None else "not assessed"
    flags = (
        f'<table class="grid"><tr><th>Date</th><th>Flag</th><th>What it means</th></tr>{_rows(flag_rows)}</table>'
        if flag_rows
        else "<p>No warning signs were flagged.</p>"
    )
    parts.append(f"<h2>Flags</h2><p>Advice level given: <strong>{esc(level)}</strong></p>{flags}")

    dated_rows: list[tuple[datetime, tuple[str, ...]]] = []
    if latest is not None and baseline is not None:
        dated_rows.append((latest.created_at, (_date(latest.created_at, tz), str(baseline), "(assessment)", "", "")))
    for check_in in check_ins:
        cells = (
            _date(check_in.created_at, tz),
            "" if check_in.pain is None else str(check_in.pain),
            CHANGE_WORDS.get(str(check_in.change), ""),
            EXERCISES_DONE_WORDS.get(str(check_in.exercises_done), ""),
            " ".join(part for part in (check_in.new_signs, check_in.note) if part),
        )
        dated_rows.append((check_in.created_at, cells))
    trend_rows = [cells for _, cells in sorted(dated_rows, key=lambda item: item[0])]
    if trend_rows:
        said = _trend_line(trend(check_ins, baseline, latest.created_at if latest is not None else None), trend_rows)
        chart = (
            f'<img class="chart" alt="Pain over time, 0 to 10" src="data:image/png;base64,{base64.b64encode(data.chart_png).decode()}">'
            if data.chart_png
            else ""
        )
        # The first score and the latest ones; the chart has every one.
        hidden = max(0, len(trend_rows) - MAX_TABLE_ROWS)
        shown = (
            trend_rows[:1] + [("", "", f"... {hidden} more in the chart", "", "")] + trend_rows[-(MAX_TABLE_ROWS - 1) :]
            if hidden
            else trend_rows
        )
        parts.append(
            f"<h2>Pain over time</h2><p>{esc(said)}</p>{chart}"
            '<table class="grid"><tr><th>Date</th><th>Pain (0-10)</th><th>Compared with before</th>'
            f"<th>Exercises done</th><th>Anything new</th></tr>{_rows(shown)}</table>"
        )
    else:
        parts.append("<h2>Pain over time</h2><p>No pain scores were recorded.</p>")

    exercises = [str(name) for name in _decoded(latest.exercises, [])] if latest is not None else []
    doses = _exercise_doses() if exercises else {}
    exercise_items = "".join(
        f"<li><strong>{esc(name)}</strong>{': ' + esc(doses[name.lower()]) if name.lower() in doses else ''}</li>"
        for name in exercises
    )
    parts.append(
        f"<h2>Exercises suggested</h2><ul>{exercise_items}</ul>" if exercises else "<h2>Exercises suggested</h2><p>None.</p>"
    )

    generated = data.generated_at.astimezone(zone(tz)).strftime("%d %b %Y %H:%M")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Knee pain summary for a physical therapist</title>
<style>
@page {{ size: A4; margin: 12mm; }}
body {{ font: 9.5pt/1.25 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b; max-width: 186mm; margin: 0 auto; }}
h1 {{ font-size: 14pt; margin: 0 0 2pt; }}
h2 {{ font-size: 11pt; margin: 8pt 0 3pt; border-bottom: 1px solid #bbb; }}
h2 small {{ font-weight: normal; color: #555; }}
p {{ margin: 3pt 0; }}
p.meta {{ color: #555; margin: 0; }}
table {{ border-collapse: collapse; width: 100%; }}
td, th {{ text-align: left; vertical-align: top; padding: 1.5pt 6pt 1.5pt 0; }}
table.grid td, table.grid th {{ border-bottom: 1px solid #e2e2e2; }}
table.grid td:first-child {{ white-space: nowrap; }}
table.facts td:nth-child(odd) {{ width: 22%; color: #444; }}
img.chart {{ display: block; width: 85mm; margin: 2pt 0; }}
ul {{ margin: 0; padding-left: 16pt; }}
</style>
</head>
<body>
<h1>Back-of-knee pain: summary for a physical therapist</h1>
<p class="meta">Made by Poplit on {esc(generated)} from what the person told it. It is a record of their own answers,
not a diagnosis.</p>
{"".join(parts)}
</body>
</html>
"""


def person_report_data(engine: Any, sender_id: str, channel: Optional[str], now: datetime) -> Optional[ReportData]:
    """The report's data from the store, or None when nobody with that id is known."""
    from bot.store import checkins

    person = checkins.find_person(engine, sender_id, channel)
    if person is None:
        return None
    assessments = checkins.assessments_of(engine, person.id)
    check_ins = checkins.check_ins_of(engine, person.id)
    points = pain_points(assessments, check_ins)
    chart_png = None
    if points:
        from bot.followups.chart import pain_chart_png

        # Shown about 85 mm wide on the printed page: a small figure at print resolution keeps its text legible.
        chart_png = pain_chart_png(points, person.timezone, title="Pain over time", size_inches=(5.6, 3.2), dpi=150)
    return ReportData(
        channel=person.channel,
        sender_id=person.sender_id,
        timezone=person.timezone or "UTC",
        assessments=assessments,
        check_ins=check_ins,
        generated_at=now,
        chart_png=chart_png,
    )


def pain_points(assessments: Sequence[Any], check_ins: Sequence[Any]) -> list[tuple[datetime, int]]:
    """Every pain score on record, assessments' and check-ins', oldest first (what the chart draws)."""
    points = [(record.created_at, score) for record in assessments if (score := _baseline(record)) is not None]
    points += [(record.created_at, int(record.pain)) for record in check_ins if record.pain is not None]
    return sorted(points)


class PdfUnavailable(RuntimeError):
    """No browser to print the PDF with; the message says what to install."""


def write_pdf(page: str, out: Path, browser: Optional[str] = None, timeout_seconds: float = 60) -> None:
    """Prints the HTML report to PDF with headless Chromium (Debian's `chromium`, as the browser tests
    use): the layout a person sees in the browser, with no PDF library of our own to keep."""
    import shutil
    import subprocess
    import tempfile

    executable = browser or shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if executable is None:
        raise PdfUnavailable("a PDF needs Chromium (Debian: apt-get install chromium); the HTML report works without it")
    with tempfile.TemporaryDirectory(prefix="poplit-report-") as folder:
        html_file = Path(folder) / "report.html"
        html_file.write_text(page, encoding="utf-8")
        command = [
            executable,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={folder}/profile",
            "--no-pdf-header-footer",
            f"--print-to-pdf={out.resolve()}",
            html_file.as_uri(),
        ]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_seconds)
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PdfUnavailable(f"Chromium could not be run: {error}") from error
    if result.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        raise PdfUnavailable(f"Chromium could not print the report (exit {result.returncode}): {result.stderr.strip()[-300:]}")
