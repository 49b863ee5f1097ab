"""What every channel renders alike: alerts, their heading, and list lines."""

from __future__ import annotations

from bot.channels.rendering import alert_heading, alert_level, bulleted


def test_only_the_two_alert_levels_are_alerts() -> None:
    assert alert_level({"alert": "emergency"}) == "emergency" and alert_level({"alert": "urgent"}) == "urgent"
    for metadata in ({"alert": "constructor"}, {"alert": None}, {}, None, "emergency", {"level": "emergency"}):
        assert alert_level(metadata) is None


def test_the_emergency_heading_names_the_number() -> None:
    assert alert_heading("emergency", "999") == "🚨 Emergency: call 999 now"
    assert "today" in alert_heading("urgent", "999") and "999" not in alert_heading("urgent", "999")


def test_list_lines_become_bullets_and_nothing_else_changes() -> None:
    assert bulleted("Try:\n- rest\n- ice\na - b") == "Try:\n• rest\n• ice\na - b"
