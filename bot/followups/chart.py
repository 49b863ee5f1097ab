"""The pain-over-time chart (PNG) and the signed, expiring links it is served from.

A link names the person (channel + sender id) and an expiry, signed with HMAC-SHA256 under a server
secret, so nobody can fetch another person's chart by changing the link, and an old link stops
working. The secret is POPLIT_CHART_SECRET, or one made once and kept under VAR_DIR (the action
server signs, Rasa's charts channel checks: both read the same file).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping, Optional, Sequence

from bot.followups.schedule import zone
from bot.settings import public_base_url

# How long a chart link works. Long enough to open it from the conversation in the following days,
# short enough that an old link found in a chat history stops showing someone's pain scores.
CHART_LINK_LIFETIME = timedelta(days=7)
CHART_PATH = "/webhooks/charts"  # Rasa mounts the channel named "charts" here (bot/channels/charts.py)
SECRET_FILE = "chart-secret"
_SIGNATURE_BYTES = 16  # a truncated HMAC-SHA256: 128 bits is ample against forgery and keeps links short


@dataclass(frozen=True)
class ChartClaim:
    """What a valid token says: whose chart, until when."""

    channel: str
    sender_id: str
    expires_at: datetime


def pain_chart_png(
    points: Sequence[tuple[datetime, int]],
    timezone_name: Optional[str] = None,
    title: str = "Your pain over time",
    size_inches: tuple[float, float] = (7.0, 4.0),
    dpi: int = 100,
) -> bytes:
    """A PNG of pain (0-10) over time, one marker per score labelled with its value, dates in the
    person's timezone. Needs at least one point. The default 700 x 400 px suits a chat; a smaller size
    at a higher dpi keeps the text legible where the image is shown small (the printed report)."""
    if not points:
        raise ValueError("a chart needs at least one pain score")
    # Imported here: only the processes that draw pay for matplotlib. Figure + Agg canvas, not pyplot,
    # so there is no global state and threads may draw at once.
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    tz = zone(timezone_name)
    ordered = sorted(points)
    # Naive local times: matplotlib labels them as they are, in the person's own day.
    times = [moment.astimezone(tz).replace(tzinfo=None) for moment, _ in ordered]
    scores = [int(score) for _, score in ordered]
    figure = Figure(figsize=size_inches, dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(times, scores, color="#1f5f8b", linewidth=2.5, marker="o", markersize=8)
    for moment, score in zip(times, scores, strict=True):
        axes.annotate(str(score), (moment, score), textcoords="offset points", xytext=(0, 10), ha="center", fontsize=12)
    axes.set_ylim(0, 10.9)
    axes.set_yticks(range(0, 11))
    axes.set_ylabel("Pain (0 = none, 10 = worst)", fontsize=12)
    axes.set_title(title, fontsize=14)
    axes.grid(True, axis="y", color="#dddddd")
    locator = mdates.AutoDateLocator(minticks=2, maxticks=8)
    axes.xaxis.set_major_locator(locator)
    # Days for a chart over days; with the time too when the scores are all within a day or two.
    span = times[-1] - times[0]
    axes.xaxis.set_major_formatter(mdates.DateFormatter("%d %b" if span >= timedelta(days=2) else "%d %b\n%H:%M"))
    if len(times) == 1 or times[0] == times[-1]:
        axes.set_xlim(times[0] - timedelta(days=1), times[0] + timedelta(days=1))
    else:
        margin = (times[-1] - times[0]) * 0.06
        axes.set_xlim(times[0] - margin, times[-1] + margin)
    axes.tick_params(labelsize=11)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(payload: bytes, secret: str) -> bytes:
    return hmac.new(secret.encode(), b"poplit-chart\n" + payload, hashlib.sha256).digest()[:_SIGNATURE_BYTES]


def chart_token(sender_id: str, channel: str, expires_at: datetime, secret: str) -> str:
    """A URL-safe token for this person's chart, good until `expires_at`."""
    if expires_at.tzinfo is None:
        raise ValueError("expires_at must be timezone-aware")
    if not secret:
        raise ValueError("the chart secret is empty")
    if ":" in channel:
        raise ValueError("a channel name has no ':'")
    payload = f"{channel}:{int(expires_at.timestamp())}:{sender_id}".encode()
    return f"{_b64(payload)}.{_b64(_signature(payload, secret))}"


def verify_chart_token(token: str, secret: str, now: datetime) -> Optional[ChartClaim]:
    """Whose chart the token is for, or None when it is malformed, not signed with `secret`, or expired."""
    if not secret or not isinstance(token, str) or token.count(".") != 1 or len(token) > 1024:
        return None
    encoded_payload, encoded_signature = token.split(".")
    try:
        payload, signature = _unb64(encoded_payload), _unb64(encoded_signature)
    except ValueError:  # binascii.Error is a ValueError
        return None
    # Constant-time, so the time taken says nothing about how much of a forged signature was right.
    if not hmac.compare_digest(signature, _signature(payload, secret)):
        return None
    try:
        channel, expires, sender_id = payload.decode().split(":", 2)
        expires_at = datetime.fromtimestamp(int(expires), tz=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    if now >= expires_at:
        return None
    return ChartClaim(channel=channel, sender_id=sender_id, expires_at=expires_at)


def chart_url(public_base_url: str, token: str) -> str:
    return f"{public_base_url.rstrip('/')}{CHART_PATH}/{token}.png"


def chart_secret(env: Optional[Mapping[str, str]] = None, var_dir: Optional[Path] = None) -> str:
    """POPLIT_CHART_SECRET, or a random secret made once and kept under VAR_DIR (readable by its owner only)."""
    env = os.environ if env is None else env
    configured = env.get("POPLIT_CHART_SECRET", "").strip()
    if configured:
        return configured
    if var_dir is None:
        from bot.settings import var_dir as default_var_dir

        var_dir = Path(env["VAR_DIR"]) if env.get("VAR_DIR", "").strip() else default_var_dir()
    return _kept_secret(var_dir / SECRET_FILE)


def _kept_secret(path: Path) -> str:
    """Like bot.runtime_config._kept_secret, but safe when two processes make it at once (the action
    server and Rasa may both ask first): the file appears whole, and the first one made wins."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        draft.write_text(secrets.token_urlsafe(32) + "\n")
        draft.chmod(0o600)
        try:
            os.link(draft, path)  # fails if another process got there first; theirs is kept
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def person_chart_url(sender_id: str, channel: str, now: datetime, env: Optional[Mapping[str, str]] = None) -> str:
    """The signed link to this person's chart, good for CHART_LINK_LIFETIME from `now`."""
    env = os.environ if env is None else env
    token = chart_token(sender_id, channel, now + CHART_LINK_LIFETIME, chart_secret(env))
    return chart_url(public_base_url(env), token)
