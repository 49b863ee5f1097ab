"""Which channel a conversation belongs to: the one its person wrote from.

Rasa's "latest input channel" also counts messages the assistant starts itself (trigger_intent sets
the output channel it is asked for as the input channel of its EXTERNAL message), so it is not proof
of anything. What proves a conversation's channel is the channel of the person's own messages: each
channel puts its own name on them, and REST callers cannot choose another (bot/channels/door.py).
Works on events as dicts (Rasa's `as_dict`, or rasa_sdk's tracker events), so the action server and
the Rasa process read it the same way.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

IS_EXTERNAL = "is_external"  # rasa.shared.core.constants.IS_EXTERNAL, without importing Rasa


def person_channel(events: Iterable[Mapping[str, Any]]) -> Optional[str]:
    """The input channel of the latest message the person wrote, or None when they wrote none."""
    found: Optional[str] = None
    for event in events:
        if event.get("event") != "user" or (event.get("metadata") or {}).get(IS_EXTERNAL):
            continue
        found = event.get("input_channel") or found
    return found
