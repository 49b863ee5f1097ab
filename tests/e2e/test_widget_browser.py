"""The website widget in a real browser: Debian's chromium driven by playwright-core
(tests/browser/*.mjs) against the running assistant. Screenshots land in results/browser/."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from typing import Any, Callable, Mapping, Optional

import pytest

from tests.e2e.conftest import EmbeddingSite
from tests.support.assistant import PROJECT_ROOT, RunningAssistant

pytestmark = pytest.mark.e2e

SCREENSHOTS = PROJECT_ROOT / "results" / "browser"
BROWSER_TESTS = PROJECT_ROOT / "tests" / "browser"


def run_browser_script(
    script: str, assistant: RunningAssistant, *args: str, env: Optional[Mapping[str, str]] = None
) -> dict[str, Any]:
    """Runs tests/browser/`script` against the assistant; its JSON result, once it says every step passed."""
    chromium = shutil.which("chromium")
    if chromium is None or not (BROWSER_TESTS / "node_modules" / "playwright-core").exists():
        pytest.fail("the browser test needs Debian's chromium and playwright-core: run it through `make test`")
    result = subprocess.run(
        [
            "node",
            str(BROWSER_TESTS / script),
            "--url",
            assistant.base_url,
            "--token",
            assistant.token,
            "--out",
            str(SCREENSHOTS),
            "--chromium",
            chromium,
            *args,
        ],
        cwd=BROWSER_TESTS,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the browser script printed no result:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    outcome: dict[str, Any] = json.loads(lines[-1])
    assert outcome["ok"], f"failed at {outcome.get('failed')!r} after {outcome['steps']}:\n{outcome.get('error')}"
    return outcome


def test_a_person_chats_in_the_browser_from_description_to_assessment(
    assistant: RunningAssistant, embedding_site: EmbeddingSite, report: Callable[[str], None]
) -> None:
    outcome = run_browser_script("widget.mjs", assistant, "--site", embedding_site.origin + "/")
    report(f"browser (chromium, playwright-core): {len(outcome['steps'])} steps passed; screenshots in {SCREENSHOTS}")


def test_a_check_in_is_pushed_to_the_open_page_answered_and_its_change_stated(
    assistant: RunningAssistant, report: Callable[[str], None]
) -> None:
    """Assessment (pain 6), consent by the "Yes, in 2 days" button, then the follow-up worker run with
    its clock at 2.5 and then 8 days on: each check-in appears in the open page, is answered there
    (pain 3 both times), and the reply states the change from 6; the second shows the pain chart."""
    # The worker as `make run` starts it, but one round with its clock set forward (tests/e2e/test_check_ins.py).
    worker = [sys.executable, "-m", "bot", "followups", "run", "--once", "--now", "{now}"]
    outcome = run_browser_script(
        "check_in.mjs",
        assistant,
        "--worker-cmd",
        json.dumps(worker),
        env={
            "PYTHONPATH": str(PROJECT_ROOT),
            "VAR_DIR": str(assistant.var_dir),
            "RASA_URL": assistant.base_url,
            "RASA_AUTH_TOKEN": assistant.token,
        },
    )
    with sqlite3.connect(assistant.var_dir / "poplit.db") as store:
        people = store.execute(
            "select id, consent from people where channel = 'socketio' and sender_id = ?", (outcome["sessionId"],)
        ).fetchall()
        assert [consent for _, consent in people] == ["accepted"], people
        person = people[0][0]
        check_ins = store.execute(
            "select follow_up_id, pain, change, exercises_done from check_ins where person_id = ? order by created_at",
            (person,),
        ).fetchall()
        follow_ups = store.execute("select id, status from follow_ups where person_id = ? order by due_at", (person,)).fetchall()
        profile = store.execute("select profile from assessments where person_id = ?", (person,)).fetchall()
    # Both scheduled check-ins delivered once and answered; the two-week one still to come.
    assert [status for _, status in follow_ups] == ["delivered", "delivered", "pending"], follow_ups
    assert check_ins == [
        (follow_ups[0][0], 3, "better", "yes"),
        (follow_ups[1][0], 3, "same", "yes"),
    ], check_ins
    assert [json.loads(row[0])["pain_score"] for row in profile] == [6], profile  # the baseline the change is from
    report(
        f"browser check-ins (chromium, playwright-core): {len(outcome['steps'])} steps passed; "
        f"pain 6 -> {[row[1] for row in check_ins]}, chart {outcome['chart'].split('/')[-1][:12]}...; screenshots in {SCREENSHOTS}"
    )
