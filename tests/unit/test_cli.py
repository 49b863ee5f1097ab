from __future__ import annotations

import json
import subprocess
import sys

from tests.support.assistant import PROJECT_ROOT


def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=PROJECT_ROOT, input=stdin, capture_output=True, text=True, timeout=120
    )


def test_triage_prints_the_assessment_as_json() -> None:
    result = run_cli("triage", "my knee locked and I can't straighten it")
    assessment = json.loads(result.stdout)
    assert result.returncode == 0
    assert assessment["level"] == "urgent" and "locked_knee" in assessment["rule_ids"]
    assert assessment["ruleset_version"] and assessment["evidence"]


def test_triage_reads_json_lines_and_reports_bad_lines() -> None:
    lines = "\n".join(
        [
            json.dumps({"id": "a", "text": "no swelling at all, just a dull ache"}),
            "not json",
            json.dumps({"id": "b", "turns": ["my calf is sore and swollen", "I just got off a 12 hour flight"]}),
        ]
    )
    result = run_cli("triage", stdin=lines)
    outputs = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 2
    assert outputs[0]["id"] == "a" and outputs[0]["level"] == "self_care"
    assert outputs[1]["line"] == 2 and "error" in outputs[1]
    assert outputs[2]["id"] == "b" and outputs[2]["level"] in ("urgent", "emergency")
