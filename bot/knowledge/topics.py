"""The knowledge topic a question asks about, read from a message's parse data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def question_topic(intent: str, response_selector: Mapping[str, Any] | None) -> str:
    """The ResponseSelector's sub-intent (`ask_causes/bakers_cyst`) when it belongs to `intent`,
    else the intent itself."""
    selector = response_selector or {}
    for key in (intent, "default"):
        chosen = ((selector.get(key) or {}).get("response") or {}).get("intent_response_key")
        if chosen and str(chosen).split("/", 1)[0] == intent:
            return str(chosen)
    return intent
