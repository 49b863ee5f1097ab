"""Rasa retrieval responses generated from the knowledge, so the ResponseSelector can train.

The answers users see come from Knowledge.answer() at run time (they depend on the triage level);
this file only gives Rasa one response per retrieval sub-intent: the self_care answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.knowledge.knowledge import Knowledge, load_knowledge
from bot.knowledge.vocabulary import RETRIEVAL_TOPIC_KEYS
from bot.levels import TriageLevel

HEADER = (
    "# Generated from bot/knowledge by `python -m bot export-responses`; do not edit.\n"
    "# Edit the YAML files in bot/knowledge/ and run the command again.\n"
)


class _BlockStyleDumper(yaml.SafeDumper):
    """Writes multi-line answers as `|` blocks, which a reviewer can read, instead of escaped lines."""


def _represent_text(dumper: yaml.SafeDumper, text: str) -> Any:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockStyleDumper.add_representer(str, _represent_text)


def responses_yaml(knowledge: Knowledge | None = None) -> str:
    """A Rasa 3.1 `responses:` document with `utter_<intent>/<sub>` for every retrieval topic."""
    knowledge = knowledge or load_knowledge()
    responses = {f"utter_{topic}": [{"text": knowledge.answer(topic, TriageLevel.SELF_CARE)}] for topic in RETRIEVAL_TOPIC_KEYS}
    body = yaml.dump(
        {"version": "3.1", "responses": responses},
        Dumper=_BlockStyleDumper,
        sort_keys=False,
        allow_unicode=True,
        width=10_000,  # no folding of long lines: one sentence stays on one line
    )
    return HEADER + body


def write_responses(path: Path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(responses_yaml(), encoding="utf-8")
