"""What every channel renders the same way, whatever its native form: the alert of an urgent or
emergency reply and its heading, list lines, and the memory of deliveries already handled."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Callable, Hashable, Mapping, Optional

# domain.yml's utter_escalation carries `metadata: {alert: ...}`; Rasa hands it to the output channel.
ALERT_LEVELS = ("emergency", "urgent")


def alert_level(metadata: Any) -> Optional[str]:
    """`emergency` or `urgent` when the response's metadata carries that alert, else None."""
    alert = metadata.get("alert") if isinstance(metadata, Mapping) else None
    return alert if alert in ALERT_LEVELS else None


def alert_heading(level: str, emergency_number: str) -> str:
    """The short line that tops an urgent or emergency reply on every channel."""
    if level == "emergency":
        return f"🚨 Emergency: call {emergency_number} now"
    return "⚠️ Get your knee checked today"


def bulleted(text: str) -> str:
    """List lines ("- ...", as the knowledge texts write them) shown with a bullet, for channels
    without Markdown lists."""
    return "\n".join(("• " + line[2:]) if line.startswith("- ") else line for line in text.split("\n"))


class SeenKeys:
    """Deliveries already handled (Slack event ids, Telegram update ids), remembered for a while so
    a platform's redelivery gets no second reply. In this process's memory, bounded: several Rasa
    instances behind one webhook would need a shared store (e.g. Redis SET NX with an expiry)."""

    def __init__(self, ttl_seconds: float, max_size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_size = max_size
        self._clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def first_time(self, key: Hashable, now: Optional[float] = None) -> bool:
        """True the first time `key` is offered within the TTL (and remembers it); False after that."""
        now = self._clock() if now is None else now
        while self._seen and next(iter(self._seen.values())) <= now - self.ttl_seconds:
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        while len(self._seen) > self.max_size:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)
