"""Feelings said in words ("I'm scared", "this is driving me mad") and causes a person fears, read
from a message so the assistant can acknowledge them before its next question.

The cues are data (feelings.yml). A feeling preceded by a denial ("I'm not worried") does not count;
a cause counts only in a sentence that fears or asks about it ("I think it might be cancer", "could
it be a clot?"), not in a plain mention ("my dad had a clot once").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, Extra

FEELINGS_FILE = Path(__file__).with_name("feelings.yml")
_DENIAL = re.compile(r"\b(not|n't|never|no longer|isn't|aren't|wasn't)\s+(?:\w+\s+){0,2}$", re.I)
# A cause is feared, not just mentioned ("my dad had a clot once"), when its sentence says so.
_FEAR_OR_QUESTION = re.compile(
    r"\?|\b(worr\w*|scared|afraid|fear\w*|terrified|frightened|think|might|could|maybe|"
    r"what if|is it|is this|could it|can it|in case|will i|would i|do i|might i)\b",
    re.I,
)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


class Cue(BaseModel, extra=Extra.forbid):
    id: str
    response: str
    cues: list[str]


class FeelingsFile(BaseModel, extra=Extra.forbid):
    feelings: list[Cue]
    feared_causes: list[Cue]


@lru_cache(maxsize=1)
def load_feelings(path: Path = FEELINGS_FILE) -> FeelingsFile:
    return FeelingsFile(**yaml.safe_load(path.read_text(encoding="utf-8")))


def _said(cue: str, text: str, deniable: bool) -> bool:
    for match in re.finditer(rf"\b{re.escape(cue)}\b", text, re.I):
        if not (deniable and _DENIAL.search(text[: match.start()])):
            return True
    return False


def acknowledgements(text: str) -> list[str]:
    """Domain responses for what the message says it feels (at most one feeling, the first in the
    file's order) and fears (at most one cause), in that order."""
    content = load_feelings()
    normalised = text.replace("\u2019", "'")
    responses: list[str] = []
    for feeling in content.feelings:
        if any(_said(cue, normalised, deniable=True) for cue in feeling.cues):
            responses.append(feeling.response)
            break
    feared_sentences = [m.group(0) for m in _SENTENCE.finditer(normalised) if _FEAR_OR_QUESTION.search(m.group(0))]
    for cause in content.feared_causes:
        if any(_said(cue, sentence, deniable=False) for cue in cause.cues for sentence in feared_sentences):
            responses.append(cause.response)
            break
    return responses
