"""Rasa's own checks against this project: data validation, test stories, held-out NLU report."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.assistant import PROJECT_ROOT

pytestmark = pytest.mark.rasa

RASA = str(Path(sys.executable).parent / "rasa")
MIN_HELD_OUT_MACRO_F1 = 0.90


def run_rasa(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [RASA, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


def expected_unused_responses() -> set[str]:
    """Responses Rasa's validator cannot see being used: form questions, and those sent by actions."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text())
    form_questions = {
        f"utter_ask_{slot}" for form in domain["forms"].values() for slot in form["required_slots"]
    }
    sent_by_actions = {
        match for path in (PROJECT_ROOT / "actions").glob("*.py")
        for match in re.findall(r'response="(utter_\w+)"', path.read_text())
    }
    return form_questions | sent_by_actions | {"utter_default"}  # utter_default: Rasa's fallback action


def test_training_data_and_domain_validate_cleanly() -> None:
    result = run_rasa("data", "validate")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    warnings = re.findall(r"UserWarning: (.+)", output)
    unused = set(re.findall(r"The utterance '(\w+)' is not used in any story or rule", output))
    unexpected = [w for w in warnings if not re.match(r"The utterance '\w+' is not used", w)]
    assert not unexpected, unexpected
    assert unused <= expected_unused_responses(), unused - expected_unused_responses()


def test_test_stories_pass_with_no_prediction_errors(trained_model: Path, tmp_path: Path) -> None:
    result = run_rasa(
        "test", "core", "--model", str(trained_model), "--stories", "tests/stories",
        "--fail-on-prediction-errors", "--out", str(tmp_path),
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details[-6000:] + result.stdout[-3000:] + result.stderr[-3000:]


def test_held_out_intent_macro_f1(trained_model: Path, tmp_path: Path) -> None:
    result = run_rasa(
        "test", "nlu", "--model", str(trained_model), "--nlu", "tests/nlu_holdout.yml", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    intents = json.loads((tmp_path / "intent_report.json").read_text())
    macro_f1 = intents["macro avg"]["f1-score"]
    print(f"\nheld-out intent macro-F1: {macro_f1:.3f} (n={intents['macro avg']['support']})")
    for name, row in sorted(intents.items()):
        if isinstance(row, dict) and "f1-score" in row and name not in ("macro avg", "weighted avg", "micro avg"):
            print(f"  {name:28s} f1={row['f1-score']:.2f} support={row['support']}")
    entity_report = tmp_path / "DIETClassifier_report.json"
    if entity_report.exists():
        entities = json.loads(entity_report.read_text())
        print(f"held-out entity macro-F1: {entities['macro avg']['f1-score']:.3f}")
    selector_report = tmp_path / "response_selection_report.json"
    if selector_report.exists():
        selection = json.loads(selector_report.read_text())
        print(f"held-out response-selection macro-F1: {selection['macro avg']['f1-score']:.3f}")
    assert macro_f1 >= MIN_HELD_OUT_MACRO_F1
