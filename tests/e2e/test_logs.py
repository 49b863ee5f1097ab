"""What the servers write to their logs at INFO: no symptom text. Runs after the other end-to-end
tests, so the logs hold every conversation they had (intakes, emergencies, check-ins)."""

from __future__ import annotations

import pytest

from tests.support.assistant import RunningAssistant

pytestmark = pytest.mark.e2e

# Words people typed in those tests, about their own bodies.
SYMPTOM_TEXT = ("short of breath", "calf is swollen", "ached for about three weeks", "put any weight on it", "the back of my")


@pytest.mark.runs_last
def test_no_symptom_text_in_the_logs(assistant: RunningAssistant, postgres_assistant: RunningAssistant) -> None:
    logs = [path for running in (assistant, postgres_assistant) for path in sorted((running.var_dir / "log").glob("*.log"))]
    assert {path.name for path in logs} >= {"rasa.log", "actions.log", "followups.log"}
    for path in logs:
        text = path.read_text(errors="replace").lower()
        leaked = [phrase for phrase in SYMPTOM_TEXT if phrase in text]
        assert not leaked, f"{path}: {leaked}"
