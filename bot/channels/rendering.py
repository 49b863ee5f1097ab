"""What every channel renders the same way, whatever its native form: the alert of an urgent or
emergency reply and its heading, and list lines."""

from __future__ import annotations

from typing import Any, Mapping, Optional

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
