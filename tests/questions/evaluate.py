"""Questions people ask, through the running assistant over REST, each judged by two regexes written
with it: one any right answer matches, one a wrong answer (another topic's overview, "sorry, I didn't
follow") would. A follow-up is sent after the message it follows, in the same conversation.

`make eval-questions` prints the share answered right, per topic family, and each miss; the sets
live in tests/blind/questions-N (written by someone who had not seen the code, FIRST_RUN.md beside).

    python -m tests.questions.evaluate [--set tests/blind/questions-1/questions.yml] [--url URL]
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml
from pydantic import BaseModel, Extra, validator

from tests.support.assistant import PROJECT_ROOT, RunningAssistant

DEFAULT_SET = PROJECT_ROOT / "tests" / "blind" / "questions-1" / "questions.yml"
RESULTS = PROJECT_ROOT / "results" / "questions.json"


class Question(BaseModel, extra=Extra.forbid):
    id: str
    question: str
    must_match: str
    must_not_match: str
    topic: str
    context: Optional[str] = None

    @validator("must_match", "must_not_match")
    def _compiles(cls, pattern: str) -> str:  # noqa: N805 (pydantic's validator signature)
        re.compile(pattern)
        return pattern


def load_questions(path: Path) -> list[Question]:
    return [Question.parse_obj(entry) for entry in yaml.safe_load(path.read_text())]


@dataclass
class Answer:
    question: Question
    reply: str

    @property
    def right(self) -> bool:
        flags = re.IGNORECASE | re.DOTALL
        return bool(re.search(self.question.must_match, self.reply, flags)) and not re.search(
            self.question.must_not_match, self.reply, flags
        )


def reply_text(messages: list[dict[str, Any]]) -> str:
    """What the person sees: every message's text and its buttons' titles."""
    parts = []
    for message in messages:
        parts.append(message.get("text") or "")
        parts.extend(str(button.get("title", "")) for button in message.get("buttons") or [])
    return "\n".join(part for part in parts if part)


def ask(assistant: RunningAssistant, question: Question) -> Answer:
    sender = f"question-{question.id}-{secrets.token_hex(4)}"
    if question.context:
        assistant.say(sender, question.context, timeout=60)
    return Answer(question, reply_text(assistant.say(sender, question.question, timeout=60)))


def run_all(assistant: RunningAssistant, questions: list[Question]) -> list[Answer]:
    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(lambda question: ask(assistant, question), questions))


def family(topic: str) -> str:
    return topic.split("-")[0]


def report(answers: list[Answer]) -> list[str]:
    right = sum(answer.right for answer in answers)
    lines = [f"Questions answered right: {right}/{len(answers)} ({right / len(answers):.1%})"]
    follow_ups = [answer for answer in answers if answer.question.context]
    if follow_ups:
        lines.append(f"  follow-ups (need the turn before): {sum(a.right for a in follow_ups)}/{len(follow_ups)}")
    totals, rights = (
        Counter(family(a.question.topic) for a in answers),
        Counter(family(a.question.topic) for a in answers if a.right),
    )
    lines += [f"  {name}: {rights[name]}/{total}" for name, total in totals.most_common()]
    for answer in answers:
        if not answer.right:
            lines.append(f"  MISS {answer.question.id} [{answer.question.topic}] {answer.question.question!r}")
            lines.append(f"       got: {answer.reply[:160]!r}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="a questions.yml")
    parser.add_argument("--url", help="use an assistant already running at this URL")
    parser.add_argument("--token", default="", help="its HTTP API token (with --url)")
    args = parser.parse_args()
    questions = load_questions(args.set)
    if args.url:
        running = RunningAssistant(base_url=args.url, token=args.token, var_dir=Path("."), process=None, startup_seconds=0)  # type: ignore[arg-type]
        answers = run_all(running, questions)
    else:
        from tests.support.assistant import running_assistant

        with tempfile.TemporaryDirectory(prefix="poplit-questions-") as var_dir, running_assistant(Path(var_dir)) as assistant:
            answers = run_all(assistant, questions)
    print("\n".join(report(answers)))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {"set": str(args.set.relative_to(PROJECT_ROOT)) if args.set.is_absolute() else str(args.set),
             "right": sum(a.right for a in answers), "questions": len(answers),
             "misses": [{"id": a.question.id, "reply": a.reply} for a in answers if not a.right]},
            indent=2,
        ) + "\n"
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
