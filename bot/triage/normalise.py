"""One normalised reading of what a person typed, for every reader of symptoms.

People on a phone write "swolen", "short of breth", "dosnt", "rly bad", "coughin", "knee n calf". The
readers (the lexicon's phrases, the numbers) are written in plain English, so the text they read is
normalised first, word by word:

1. text-speak and apostrophe-less contractions from one table (text_speak.yml);
2. a dropped final g ("coughin", "walkin'") when the word with it is a known word;
3. a misspelling, corrected by symspellpy (with its English frequency dictionary), only when the word
   is not a known word at all, preferring the project's own words (the lexicon's, the knowledge's, the
   responses'), and never when two of the project's words fit equally well ("cald": calf or cold).

Words people really wrote are kept for everything quoted back: `Normalised.to_original` maps a stretch
of the normalised text to the person's own characters (the evidence in an escalation, the audit).
"""

from __future__ import annotations

import bisect
import importlib.resources
import re
from dataclasses import astuple, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Container, Optional

import yaml
from pydantic import BaseModel, Extra, validator
from symspellpy import SymSpell, Verbosity
from symspellpy.suggest_item import SuggestItem

from bot.triage.pipeline import word_forms

TEXT_SPEAK_PATH = Path(__file__).with_name("text_speak.yml")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEXICON_PATH = Path(__file__).with_name("lexicon.yml")
# The project's own written words: what it matches and what it says (not the NLU examples, which
# hold misspellings on purpose). All are known words; the lexicon's are also what a misspelling is
# read as first.
PROSE_TEXTS = (PROJECT_ROOT / "bot" / "knowledge", PROJECT_ROOT / "bot" / "feelings.yml", PROJECT_ROOT / "domain.yml")
NLU_TEXTS = (PROJECT_ROOT / "data" / "nlu",)
# The most frequent English words are in every phrase, so they say nothing about which word was meant.
COMMON_WORDS = 300
# A guess between words the same distance away is taken only when one is this much more frequent.
CLEAR_LEAD = 5
# A word in the dictionary is still a likely typo when it is this rare and a symptom word one letter
# away is this many times more frequent ("legg", "tite").
RARE_COUNT = 100_000
RARE_LEAD = 100
# symspellpy's English dictionary: the 82,765 most frequent words with their counts. Every one is a
# known word; the most frequent are also what a misspelling may become (rarer ones are more often
# another word's typo than the word meant).
SPELLING_DICTIONARY = "frequency_dictionary_en_82_765.txt"
CORRECTION_MIN_COUNT = 500_000
_WORD = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?|[&+]")
_PROJECT_WORD = re.compile(r"[a-z]+")


class TextSpeak(BaseModel, extra=Extra.forbid):
    expansions: dict[str, str]
    between_words: dict[str, str]
    keep: list[str]

    @validator("expansions", "between_words")
    def _lower_case_keys(cls, table: dict[str, str]) -> dict[str, str]:
        for key in table:
            if key != key.lower():
                raise ValueError(f"keys are lower case: {key!r}")
        return table


@dataclass(frozen=True)
class Piece:
    """A stretch of the normalised text and the stretch of the original it came from."""

    start: int
    end: int
    original_start: int
    original_end: int
    changed: bool


@dataclass(frozen=True)
class Normalised:
    original: str
    text: str
    pieces: tuple[Piece, ...]

    @property
    def changes(self) -> list[tuple[str, str]]:
        """(as written, as read) for every word that was changed."""
        return [(self.original[p.original_start : p.original_end], self.text[p.start : p.end]) for p in self.pieces if p.changed]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The person's own characters for the normalised text's [start, end)."""
        if not self.pieces or end <= start:
            return start, end
        starts = [piece.start for piece in self.pieces]
        first = self.pieces[max(0, bisect.bisect_right(starts, start) - 1)]
        last = self.pieces[max(0, bisect.bisect_right(starts, end - 1) - 1)]
        begin = first.original_start if first.changed else first.original_start + (start - first.start)
        finish = last.original_end if last.changed else last.original_start + (end - last.start)
        return begin, max(begin, finish)

    def to_dict(self) -> dict[str, Any]:
        return {"original": self.original, "text": self.text, "pieces": [list(astuple(piece)) for piece in self.pieces]}

    @classmethod
    def from_dict(cls, stored: dict[str, Any]) -> "Normalised":
        return cls(stored["original"], stored["text"], tuple(Piece(*piece) for piece in stored["pieces"]))

    def as_read(self, original_start: int, original_end: int) -> str:
        """How the person's characters [original_start, original_end) read once normalised ("dunno"
        reads "don't know"); a changed word is read whole wherever the stretch cuts it."""
        read: list[str] = []
        for piece in self.pieces:
            if piece.original_end <= original_start or piece.original_start >= original_end:
                continue
            if piece.changed:
                read.append(self.text[piece.start : piece.end])
            else:
                offset = piece.start - piece.original_start
                read.append(
                    self.text[max(original_start, piece.original_start) + offset : min(original_end, piece.original_end) + offset]
                )
        return "".join(read)


class Normaliser:
    def __init__(
        self,
        table: TextSpeak,
        counts: dict[str, int],
        ours: frozenset[str],
        clinical: frozenset[str],
        spelling: SymSpell,
        forms: Container[str] = frozenset(),
        lexicon: frozenset[str] = frozenset(),
        vocabulary: frozenset[str] = frozenset(),
    ) -> None:
        self.table = table
        self.forms = forms  # spaCy's lookup table of English word forms ("clunks", "undersold")
        self.counts = counts
        self.ours = ours | clinical | frozenset(table.keep)
        self.clinical = clinical
        self.lexicon = lexicon | clinical
        # Every word the assistant itself reads or writes (its NLU examples, its prose): a typo with
        # no symptom word near is read as one of these ("thsnks", "questins", "hoow").
        self.vocabulary = vocabulary | self.lexicon
        self.spelling = spelling

    def is_known(self, word: str) -> bool:
        """An English word or one of the project's own, as written (lower case)."""
        return word in self.ours or word in self.forms or word in self.counts

    def word(self, word: str, between_words: bool) -> Optional[str]:
        """What the word is read as, or None to read it as written."""
        lower = word.lower()
        if lower in self.table.expansions:
            return self.table.expansions[lower]
        if between_words and lower in self.table.between_words:
            return self.table.between_words[lower]
        if lower in self.ours or lower in self.forms or "'" in lower or any(char.isdigit() for char in lower) or len(lower) < 3:
            return None
        if lower.endswith("in") and (lower + "g" in self.ours or lower + "g" in self.counts):
            return lower + "g"
        count = self.counts.get(lower)
        if count is None:
            return self.corrected(lower, any_of_ours=True)
        if count < RARE_COUNT:
            # A rare word one letter from a symptom word far more frequent ("legg") is that word.
            meant = self.corrected(lower, any_of_ours=False)
            return meant if meant is not None and self.counts.get(meant, 0) >= RARE_LEAD * count else None
        return None

    def corrected(self, lower: str, any_of_ours: bool) -> Optional[str]:
        """The lexicon's word meant, when the evidence is clear. From the nearest words (one letter
        away, two for long words): those with the same first letter (typos rarely change it) that are
        the lexicon's (the readers look for no other words, so no other word is worth the risk of a
        wrong guess); then the likeliest kind of slip (two letters swapped, then a letter left out,
        then one too many, then one wrong); one of those, or one clearly more frequent than the
        others. Words of three letters are read only as a lexicon word with one letter left out.
        With no symptom word near, the same evidence reads a word in no dictionary as a word of the
        assistant's own vocabulary (`any_of_ours`, `_vocabulary_word`); a rare dictionary word ("tite")
        is only ever read as a symptom word."""
        reach = 1 if len(lower) < 8 else 2
        nearest = self.spelling.lookup(lower, Verbosity.CLOSEST, max_edit_distance=reach)
        same_start = [s for s in nearest if s.term[0] == lower[0]]
        # The two likeliest slips may make any of the lexicon's words, common ones too ("bak": back).
        lexicon = [s for s in same_start if s.term in self.lexicon]
        slips = (_left_out,) if len(lower) == 3 else (_swapped, _left_out)
        for slip in slips:
            likeliest = [s for s in lexicon if slip(lower, s.term)]
            if likeliest:
                return _clear_choice(likeliest)
        if len(lower) == 3:
            # three letters: only a letter left out is clear enough ("bak", "caf")
            return self._vocabulary_word(lower, same_start) if any_of_ours else None
        candidates = [s for s in same_start if s.term in self.clinical]
        likeliest = [s for s in candidates if _one_too_many(lower, s.term)]
        if likeliest:
            return _clear_choice(likeliest)
        if not candidates and any_of_ours:
            return self._vocabulary_word(lower, same_start)
        # A wrong letter in a word of four letters makes too many other words ("helo": held, help).
        return _clear_choice(candidates) if len(lower) > 4 else None

    def _vocabulary_word(self, lower: str, same_start: list[SuggestItem]) -> Optional[str]:
        """The assistant's own word meant by a typo no symptom word is near, by the same evidence:
        the likeliest slip first ("nto": not), a wrong letter only in words of five or more."""
        words = [s for s in same_start if s.term in self.vocabulary]
        slips = (_swapped, _left_out) if len(lower) == 3 else (_swapped, _left_out, _one_too_many)
        for slip in slips:
            likeliest = [s for s in words if slip(lower, s.term)]
            if likeliest:
                return _clear_choice(likeliest)
        return _clear_choice(words) if len(lower) > 4 else None

    def __call__(self, text: str) -> Normalised:
        pieces: list[Piece] = []
        out: list[str] = []
        length = 0

        def add(written: str, original_start: int, original_end: int, changed: bool) -> None:
            nonlocal length
            out.append(written)
            pieces.append(Piece(length, length + len(written), original_start, original_end, changed))
            length += len(written)

        position = 0
        matches = list(_WORD.finditer(text))
        for index, match in enumerate(matches):
            if match.start() > position:
                add(text[position : match.start()], position, match.start(), False)
            read = self.word(match.group(), between_words=0 < index < len(matches) - 1)
            add(match.group() if read is None else read, match.start(), match.end(), read is not None)
            position = match.end()
        if position < len(text):
            add(text[position:], position, len(text), False)
        return Normalised(text, "".join(out), tuple(pieces))


def _swapped(typed: str, word: str) -> bool:
    return len(typed) == len(word) and sorted(typed) == sorted(word)


def _is_subsequence(short: str, long: str) -> bool:
    letters = iter(long)
    return all(letter in letters for letter in short)


def _left_out(typed: str, word: str) -> bool:
    return len(word) > len(typed) and _is_subsequence(typed, word)


def _one_too_many(typed: str, word: str) -> bool:
    return len(word) < len(typed) and _is_subsequence(word, typed)


def _clear_choice(suggestions: list[SuggestItem]) -> Optional[str]:
    ranked = sorted(suggestions, key=lambda s: -s.count)
    if not ranked:
        return None
    if len(ranked) == 1 or ranked[0].count >= CLEAR_LEAD * ranked[1].count:
        return str(ranked[0].term)
    return None


def load_text_speak(path: Path = TEXT_SPEAK_PATH) -> TextSpeak:
    return TextSpeak(**yaml.safe_load(path.read_text(encoding="utf-8")))


def project_words(paths: tuple[Path, ...]) -> frozenset[str]:
    words: set[str] = set()
    for path in paths:
        for file in sorted(path.rglob("*.yml")) if path.is_dir() else [path]:
            words.update(word for word in _PROJECT_WORD.findall(file.read_text(encoding="utf-8").lower()) if len(word) > 2)
    return frozenset(words)


@lru_cache(maxsize=1)
def get_normaliser() -> Normaliser:
    dictionary = importlib.resources.files("symspellpy") / SPELLING_DICTIONARY
    with dictionary.open(encoding="utf-8") as lines:
        counts = {word: int(count) for word, count in (line.split() for line in lines)}
    common = set(list(counts)[:COMMON_WORDS])  # the file lists the most frequent first
    prose = project_words(PROSE_TEXTS)
    # The lexicon also lists misspellings it has met ("behnd", "kne"): those are not words to keep as
    # written, nor words to correct others into.
    lexicon = frozenset(word for word in project_words((LEXICON_PATH,)) if word in counts or word in prose)
    clinical = frozenset(word for word in lexicon if word not in common)
    # The NLU examples hold misspellings on purpose: only their dictionary words are the assistant's.
    vocabulary = frozenset(word for word in project_words(NLU_TEXTS) | prose if word in counts)
    spelling = SymSpell(max_dictionary_edit_distance=2, prefix_length=7)
    # Only the project's words are corrected into, but the others make the choice between them fair
    # ("blod" is as near "blog" as "blood").
    for word, count in counts.items():
        if count >= CORRECTION_MIN_COUNT or word in clinical or word in vocabulary:
            spelling.create_dictionary_entry(word, max(count, 1))
    for word in clinical - counts.keys():
        spelling.create_dictionary_entry(word, 1)
    return Normaliser(load_text_speak(), counts, prose | lexicon, clinical, spelling, word_forms(), lexicon, vocabulary)


def normalise(text: str) -> Normalised:
    return get_normaliser()(text)
