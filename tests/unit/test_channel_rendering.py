"""What every channel renders alike: alerts, their heading, list lines, and redelivery memory."""

from __future__ import annotations

from bot.channels.rendering import SeenKeys, alert_heading, alert_level, bulleted


def test_only_the_two_alert_levels_are_alerts() -> None:
    assert alert_level({"alert": "emergency"}) == "emergency" and alert_level({"alert": "urgent"}) == "urgent"
    for metadata in ({"alert": "constructor"}, {"alert": None}, {}, None, "emergency", {"level": "emergency"}):
        assert alert_level(metadata) is None


def test_the_emergency_heading_names_the_number() -> None:
    assert alert_heading("emergency", "999") == "🚨 Emergency: call 999 now"
    assert "today" in alert_heading("urgent", "999") and "999" not in alert_heading("urgent", "999")


def test_list_lines_become_bullets_and_nothing_else_changes() -> None:
    assert bulleted("Try:\n- rest\n- ice\na - b") == "Try:\n• rest\n• ice\na - b"


def test_seen_keys_forget_after_the_ttl_and_stay_bounded() -> None:
    now = [0.0]
    seen = SeenKeys(ttl_seconds=60, max_size=3, clock=lambda: now[0])
    assert seen.first_time("a") and not seen.first_time("a", now=59)
    assert seen.first_time("a", now=61)  # older than the TTL: the platform no longer redelivers it
    for key in "bcd":
        assert seen.first_time(key, now=62)
    assert len(seen) == 3 and seen.first_time("a", now=63)  # the oldest was dropped to stay bounded
