"""`python -m bot ...`: project commands that need no running server."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

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

    return serve_main(cluster=args.cluster)


def _run_part(args: argparse.Namespace) -> int:
    from bot.serve import run_part

    return run_part(args.part)


def _actions(args: argparse.Namespace) -> int:
    from bot.action_server import run

    run(args.port)
    return 0


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
    from bot.store import list_escalations, process_store

    for record in list_escalations(process_store(), args.conversation):
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


def _db(args: argparse.Namespace) -> int:
    """The store's schema: `upgrade` applies the migrations (open_store does too), `current` names the
    revision, `create-if-missing` makes a PostgreSQL database that does not exist yet (make cluster)."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.store import database_url
    from bot.store.database import create_database_if_missing
    from bot.store.migrate import SchemaAhead, current, head, upgrade

    try:
        if args.db_command == "create-if-missing":
            print(create_database_if_missing(database_url()))
        elif args.db_command == "upgrade":
            print(f"store at revision {upgrade(database_url())} (head {head()})")
        else:
            print(current(database_url()) or "none (no migrations applied)")
    except (SchemaAhead, SQLAlchemyError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


def _followups_run(args: argparse.Namespace) -> int:
    from bot.followups.worker import main as worker_main

    return worker_main(once=args.once, now=args.now, interval=args.interval)


def _person_engine() -> "Engine":
    from bot.store import process_store

    return process_store()


def _report(args: argparse.Namespace) -> int:
    from bot.followups.report import person_report_data, render_report
    from bot.followups.schedule import current_time

    data = person_report_data(_person_engine(), args.sender, args.channel, current_time())
    if data is None:
        print(f"error: nothing is stored for {args.sender}{' on ' + args.channel if args.channel else ''}", file=sys.stderr)
        return 1
    page = render_report(data)
    if args.pdf:
        from bot.followups.report import PdfUnavailable, write_pdf

        try:
            write_pdf(page, Path(args.pdf))
        except PdfUnavailable as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        print(f"report written to {args.pdf}")
    if args.out:
        Path(args.out).write_text(page, encoding="utf-8")
        print(f"report written to {args.out}")
    elif not args.pdf:
        sys.stdout.write(page)
    return 0


def _export(args: argparse.Namespace) -> int:
    """Everything stored about a person, as JSON (their right to their data)."""
    from bot.store import checkins

    engine = _person_engine()
    person = checkins.find_person(engine, args.sender, args.channel)
    channel = person.channel if person is not None else (args.channel or "")
    data = checkins.export_person(engine, channel, args.sender)
    print(json.dumps(data, indent=2, ensure_ascii=False))
    if person is None and not data.get("escalations"):
        print(f"nothing is stored for {args.sender}", file=sys.stderr)
    return 0


def _checkins(args: argparse.Namespace) -> int:
    from bot.store import checkins

    engine = _person_engine()
    person = checkins.find_person(engine, args.sender, args.channel)
    records = [] if person is None else checkins.check_ins_of(engine, person.id)
    if args.json:
        print(json.dumps([record.to_dict() for record in records], indent=2, ensure_ascii=False))
    else:
        for record in records:
            pain = "-" if record.pain is None else f"{record.pain}/10"
            print(
                f"{record.created_at:%Y-%m-%d %H:%M}  pain {pain:>5}  {record.change or '-':<6}  exercises {record.exercises_done or '-'}"
            )
    if person is None:
        print(f"nothing is stored for {args.sender}", file=sys.stderr)
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
    serve_cmd.add_argument(
        "--cluster",
        action="store_true",
        help="several Rasa instances, action servers and workers behind HAProxy on PostgreSQL and Redis (make cluster)",
    )
    serve_cmd.set_defaults(handler=_serve)
    run_part_cmd = commands.add_parser(
        "run-part", help="run one server in the foreground, as a container does (deploy/k8s, Dockerfile)"
    )
    run_part_cmd.add_argument("part", choices=["rasa", "actions", "followups"])
    run_part_cmd.set_defaults(handler=_run_part)
    actions_cmd = commands.add_parser("actions", help="run the action server (make run starts it)")
    actions_cmd.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055")))
    actions_cmd.set_defaults(handler=_actions)
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

    db_cmd = commands.add_parser("db", help="the store's schema (POPLIT_STORE_URL, else DATABASE_URL, else var/poplit.db)")
    db_cmd.add_argument(
        "db_command",
        choices=["upgrade", "current", "create-if-missing"],
        help="apply the migrations, print the revision, or make the database",
    )
    db_cmd.set_defaults(handler=_db)
    followups_cmd = commands.add_parser("followups", help="follow-up check-ins (make run starts the worker)")
    followups_commands = followups_cmd.add_subparsers(dest="followups_command", required=True)
    followups_run_cmd = followups_commands.add_parser(
        "run", help="trigger due check-ins through Rasa's HTTP API (RASA_URL, RASA_AUTH_TOKEN; health on FOLLOWUPS_PORT)"
    )
    followups_run_cmd.add_argument("--once", action="store_true", help="one round, then exit (no health endpoint)")
    followups_run_cmd.add_argument(
        "--now", help='the time to act at: ISO (fixed), an offset such as "+3d", or @FILE holding either (default POPLIT_CLOCK)'
    )
    followups_run_cmd.add_argument("--interval", type=float, help="seconds between rounds (default FOLLOWUPS_INTERVAL or 15)")
    followups_run_cmd.set_defaults(handler=_followups_run)

    channel_help = "socketio, slack, telegram or rest (default: the channel the person was last seen on)"
    report_cmd = commands.add_parser("report", help="a one-page HTML summary of a person's check-ins for a physical therapist")
    report_cmd.add_argument("sender", help="the person's sender id (conversation id)")
    report_cmd.add_argument("--channel", help=channel_help)
    report_cmd.add_argument("--out", help="write the HTML here (default: standard output)")
    report_cmd.add_argument("--pdf", help="also (or only) write a PDF here, printed by headless Chromium")
    report_cmd.set_defaults(handler=_report)
    export_person_cmd = commands.add_parser("export", help="print everything stored about a person as JSON")
    export_person_cmd.add_argument("sender", help="the person's sender id (conversation id)")
    export_person_cmd.add_argument("--channel", help=channel_help)
    export_person_cmd.set_defaults(handler=_export)
    checkins_cmd = commands.add_parser("checkins", help="list a person's check-ins")
    checkins_cmd.add_argument("sender", help="the person's sender id (conversation id)")
    checkins_cmd.add_argument("--channel", help=channel_help)
    checkins_cmd.add_argument("--json", action="store_true", help="as a JSON list")
    checkins_cmd.set_defaults(handler=_checkins)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
