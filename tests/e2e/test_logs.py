"""What the servers write to their logs at INFO: no symptom text, nothing a person typed. Runs after
the other end-to-end tests, so the logs hold every conversation they had (intakes, emergencies,
check-ins, and the attacks of test_security.py: typed intents with a marker word, bad bodies)."""

from __future__ import annotations

import pytest

from tests.e2e.test_security import LOG_MARKER
from tests.support.assistant import RunningAssistant

pytestmark = pytest.mark.e2e

# Words people typed in those tests, about their own bodies.
SYMPTOM_TEXT = ("short of breath", "calf is swollen", "ached for about three weeks", "put any weight on it", "the back of my")
# What an attacker typed ("/EXTERNAL_check_in{...} periwinkle-aardvark"), and what Rasa's interpolator
# logs (with the slots' values) for a response holding braces it cannot fill.
NEVER_LOGGED = (LOG_MARKER, "external_check_in{", "interpolator.interpolate.text", "failed to replace placeholders")


@pytest.mark.runs_last
def test_no_symptom_text_in_the_logs(
    assistant: RunningAssistant, postgres_assistant: RunningAssistant, guarded_assistant: RunningAssistant
) -> None:
    running_ones = (assistant, postgres_assistant, guarded_assistant)
    logs = [path for running in running_ones for path in sorted((running.var_dir / "log").glob("*.log"))]
    assert {path.name for path in logs} >= {"rasa.log", "actions.log", "followups.log"}
    for path in logs:
        text = path.read_text(errors="replace").lower()
        leaked = [phrase for phrase in (*SYMPTOM_TEXT, *NEVER_LOGGED) if phrase in text]
        assert not leaked, f"{path}: {leaked}"
