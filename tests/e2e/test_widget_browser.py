"""The website widget in a real browser: Debian's chromium driven by playwright-core
(tests/browser/widget.mjs) against the running assistant. Screenshots land in results/browser/."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Callable

import pytest

from tests.e2e.conftest import EmbeddingSite
from tests.support.assistant import PROJECT_ROOT, RunningAssistant

pytestmark = pytest.mark.e2e

SCREENSHOTS = PROJECT_ROOT / "results" / "browser"
SCRIPT = PROJECT_ROOT / "tests" / "browser" / "widget.mjs"


def test_a_person_chats_in_the_browser_from_description_to_assessment(
    assistant: RunningAssistant, embedding_site: EmbeddingSite, report: Callable[[str], None]
) -> None:
    chromium = shutil.which("chromium")
    if chromium is None or not (PROJECT_ROOT / "tests" / "browser" / "node_modules" / "playwright-core").exists():
        pytest.fail("the browser test needs Debian's chromium and playwright-core: run it through `make test`")
    result = subprocess.run(
        [
            "node",
            str(SCRIPT),
            "--url",
            assistant.base_url,
            "--token",
            assistant.token,
            "--out",
            str(SCREENSHOTS),
            "--site",
            embedding_site.origin + "/",
            "--chromium",
            chromium,
        ],
        cwd=PROJECT_ROOT / "tests" / "browser",
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"the browser script printed no result:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    outcome = json.loads(lines[-1])
    assert outcome["ok"], f"failed at {outcome.get('failed')!r} after {outcome['steps']}:\n{outcome.get('error')}"
    report(f"browser (chromium, playwright-core): {len(outcome['steps'])} steps passed; screenshots in {SCREENSHOTS}")
