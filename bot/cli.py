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
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
