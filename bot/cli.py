"""`python -m bot ...`: project commands that need no running server."""
from __future__ import annotations

import argparse
import shlex
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


def _runtime_config(args: argparse.Namespace) -> int:
    from bot.runtime_config import ConfigError, write_runtime_files

    try:
        written = write_runtime_files(Path(args.var_dir))
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # Shell-friendly: scripts/run.sh evaluates these lines.
    print(f"ENDPOINTS_FILE={shlex.quote(written['endpoints'])}")
    print(f"CREDENTIALS_FILE={shlex.quote(written['credentials'])}")
    print(f"AUTH_TOKEN={shlex.quote(written['token'])}")
    print(f"AUTH_TOKEN_SOURCE={shlex.quote(written['token_source'])}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Poplit project commands.")
    commands = parser.add_subparsers(dest="command", required=True)

    spacy_cmd = commands.add_parser("build-spacy", help="build the blank-English + lemma spaCy pipeline")
    spacy_cmd.add_argument("directory", nargs="?", default=str(PROJECT_ROOT / "var" / "spacy" / "en_poplit"))
    spacy_cmd.set_defaults(handler=_build_spacy)

    export_cmd = commands.add_parser(
        "export-responses", help="write the ResponseSelector responses generated from bot/knowledge"
    )
    export_cmd.add_argument("path", nargs="?", default=str(PROJECT_ROOT / "data" / "nlu" / "responses.yml"))
    export_cmd.set_defaults(handler=_export_responses)
    runtime_cmd = commands.add_parser(
        "runtime-config", help="write var/endpoints.runtime.yml and credentials from the environment"
    )
    runtime_cmd.add_argument("--var-dir", default=str(PROJECT_ROOT / "var"))
    runtime_cmd.set_defaults(handler=_runtime_config)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
