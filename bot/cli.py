"""`python -m bot ...`: project commands that need no running server."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Optional, Sequence

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _build_spacy(args: argparse.Namespace) -> int:
    from bot.spacy_pipeline import save_pipeline

    target = save_pipeline(Path(args.directory))
    print(f"spaCy pipeline written to {target}")
    return 0


def _export_responses(args: argparse.Namespace) -> int:
    from bot.knowledge.export import write_responses

    write_responses(Path(args.path))
    print(f"retrieval responses written to {args.path}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from bot.serve import main as serve_main

    return serve_main()


def _health(args: argparse.Namespace) -> int:
    from bot.serve import health_report

    try:
        report = health_report(args.port)
    except OSError as error:
        print(json.dumps({"status": "down", "error": f"nothing answers on port {args.port}: {error}"}))
        return 1
    print(json.dumps(report, indent=2))
    return 0 if report.get("status") == "ok" else 1


def _triage(args: argparse.Namespace) -> int:
    """One text from the command line, or JSON lines on stdin ({"text": ...} or {"turns": [...]})."""
    from bot.triage import assess_conversation, screen

    if args.text:
        print(json.dumps(screen(" ".join(args.text)).to_dict(), indent=2))
        return 0
    status = 0
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            turns = item["turns"] if "turns" in item else [item["text"]]
            if not isinstance(turns, list) or not all(isinstance(turn, str) for turn in turns):
                raise TypeError("text must be a string and turns a list of strings")
        except (ValueError, KeyError, TypeError) as error:
            print(json.dumps({"line": number, "error": f"{error.__class__.__name__}: {error}"}))
            status = 2
            continue
        result = assess_conversation(turns).to_dict()
        print(json.dumps({**({"id": item["id"]} if "id" in item else {}), **result}))
    return status


def _audit(args: argparse.Namespace) -> int:
    from bot.store import database_url, list_escalations, open_store

    for record in list_escalations(open_store(database_url()), args.conversation):
        print(json.dumps(record.to_dict()))
    return 0


class _TelegramError(Exception):
    """A Telegram command that cannot go on: a missing setting or Telegram saying no."""


def _telegram_setting(name: str, what: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise _TelegramError(f"{name} is not set: {what}")
    return value


def _telegram_call(method: str, params: Optional[dict] = None) -> object:
    """One Bot API method with JSON parameters; its `result`, or _TelegramError with Telegram's reason."""
    import urllib.error
    import urllib.request

    from bot.runtime_config import TELEGRAM_API_URL

    token = _telegram_setting("TELEGRAM_TOKEN", "the bot token @BotFather gave you (123456:ABC...)")
    api_url = os.environ.get("TELEGRAM_API_URL", "").strip() or TELEGRAM_API_URL
    request = urllib.request.Request(
        f"{api_url.rstrip('/')}/bot{token}/{method}",
        data=json.dumps(params or {}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:  # Telegram says why in the body of a 4xx
        try:
            answer = json.loads(error.read())
        except ValueError:
            answer = {"ok": False, "description": f"HTTP {error.code}"}
    except (urllib.error.URLError, OSError, ValueError) as error:
        raise _TelegramError(f"could not reach the Telegram Bot API at {api_url}: {error}") from error
    if not isinstance(answer, dict) or not answer.get("ok"):
        reason = answer.get("description") if isinstance(answer, dict) else answer
        if isinstance(answer, dict) and answer.get("error_code") == 401:
            reason = f"{reason} (is TELEGRAM_TOKEN the token @BotFather gave you?)"
        raise _TelegramError(f"Telegram refused {method}: {reason}")
    return answer.get("result")


def _telegram_set_webhook(args: argparse.Namespace) -> int:
    """Registers the webhook `make run` serves, with the secret the Telegram channel checks."""
    import re

    from bot.runtime_config import ConfigError, telegram_secret_token
    from bot.settings import var_dir

    try:
        _telegram_setting("TELEGRAM_TOKEN", "the bot token @BotFather gave you (123456:ABC...)")
        url = _telegram_setting("TELEGRAM_WEBHOOK_URL", "the public HTTPS address of /webhooks/telegram/webhook")
        if not url.startswith("https://"):
            raise _TelegramError(f"TELEGRAM_WEBHOOK_URL must start with https:// (Telegram only calls HTTPS), got {url}")
        try:
            # The same secret `make run` gives the channel: the variable, or the one kept under VAR_DIR.
            secret = telegram_secret_token(os.environ, var_dir())
        except ConfigError as error:
            raise _TelegramError(str(error)) from error
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _TelegramError("TELEGRAM_SECRET_TOKEN may only hold 1-256 letters, digits, _ and -")
        _telegram_call("setWebhook", {"url": url, "secret_token": secret, "allowed_updates": ["message", "callback_query"]})
    except _TelegramError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Telegram will post updates to {url} (messages and button taps, with the secret token).")
    return 0


def _telegram_webhook_info(args: argparse.Namespace) -> int:
    try:
        info = _telegram_call("getWebhookInfo")
    except _TelegramError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(info, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Poplit project commands.")
    commands = parser.add_subparsers(dest="command", required=True)

    spacy_cmd = commands.add_parser("build-spacy", help="build the blank-English + lemma spaCy pipeline")
    spacy_cmd.add_argument("directory", nargs="?", default=str(PROJECT_ROOT / "var" / "spacy" / "en_poplit"))
    spacy_cmd.set_defaults(handler=_build_spacy)

    export_cmd = commands.add_parser("export-responses", help="write the ResponseSelector responses generated from bot/knowledge")
    export_cmd.add_argument("path", nargs="?", default=str(PROJECT_ROOT / "data" / "nlu" / "responses.yml"))
    export_cmd.set_defaults(handler=_export_responses)
    serve_cmd = commands.add_parser(
        "serve", help="run the action server and Rasa under a supervisor that restarts them (make run)"
    )
    serve_cmd.set_defaults(handler=_serve)
    health_cmd = commands.add_parser("health", help="ask a running `make run` which parts are up")
    health_cmd.add_argument("--port", type=int, default=int(os.environ.get("HEALTH_PORT", "5056")))
    health_cmd.set_defaults(handler=_health)
    triage_cmd = commands.add_parser(
        "triage", help='red-flag assessment as JSON for TEXT, or for JSON lines on stdin ({"text": ...})'
    )
    triage_cmd.add_argument("text", nargs="*")
    triage_cmd.set_defaults(handler=_triage)

    audit_cmd = commands.add_parser("audit", help="list recorded escalations as JSON lines")
    audit_cmd.add_argument("--conversation", help="only this conversation (sender id)")
    audit_cmd.set_defaults(handler=_audit)

    telegram_cmd = commands.add_parser("telegram", help="register the Telegram webhook (TELEGRAM_* variables as for make run)")
    telegram_commands = telegram_cmd.add_subparsers(dest="telegram_command", required=True)
    set_webhook_cmd = telegram_commands.add_parser(
        "set-webhook", help="tell Telegram to post updates to TELEGRAM_WEBHOOK_URL with the channel's secret token"
    )
    set_webhook_cmd.set_defaults(handler=_telegram_set_webhook)
    webhook_info_cmd = telegram_commands.add_parser(
        "webhook-info", help="what Telegram has registered, and its last delivery error"
    )
    webhook_info_cmd.set_defaults(handler=_telegram_webhook_info)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
