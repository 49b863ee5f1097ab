"""The spaCy pipeline and the compiled lexicon, built once per process.

Blank English with lookup lemmas (no pretrained model can be installed), a rule-based sentencizer,
and a step that lemmatises the lower-cased word, because the lookup table only knows lower case
("Swollen" at the start of a sentence would otherwise keep its own form).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import Lemmatizer
from spacy.tokens import Doc
from spacy.vocab import Vocab

from bot.spacy_pipeline import build_pipeline
from bot.triage.vocabulary import DERIVED_FINDINGS, FINDINGS, NUMERIC_FINDINGS, SCREENING_FINDINGS, FindingKind

LEXICON_PATH = Path(__file__).with_name("lexicon.yml")

# Curly quotes become straight ones so "can’t" tokenises like "can't"; same length keeps offsets.
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})

CUE_KINDS = (
    "negation",
    "negation_after",
    "pseudo",
    "hypothetical",
    "conditional",
    "modal",
    "generic_question",
    "open_question",
    "recurrence",
    "other_person",
    "self",
    "past_remote",
    "resolved",
    "present",
    "recent",
    "same_now",
    "ongoing",
    "onset",
)
_MACRO = re.compile(r"<([A-Z_]+)>")
_GAP = re.compile(r"^~(\d)$")

Pattern = list[dict[str, Any]]  # one spaCy Matcher pattern
AnchorKey = tuple[str, str]  # ("LEMMA" or "LOWER", a word)


class LexiconError(ValueError):
    """The lexicon file is malformed: an unknown finding, cue kind, macro or a bad pattern."""


@dataclass(frozen=True)
class Lexicon:
    findings: Mapping[str, tuple[str, ...]]
    cues: Mapping[str, tuple[str, ...]]
    ignore: Mapping[str, tuple[str, ...]]
    overrides: Mapping[str, frozenset[str]]
    lasting: Mapping[str, str]  # remote event -> the finding it makes while its trouble goes on
    macros: Mapping[str, tuple[str, ...]]
    strong_breaks: frozenset[str]
    weak_breaks: frozenset[str]
    subject_starts: frozenset[str]
    question_starts: frozenset[str]
    gap_stops: frozenset[str]
    answer_negations: frozenset[str]
    back_references: frozenset[str]
    # A comma opens a new clause when one of these comes within its first words ("no swelling, pain
    # is 9/10"), unless a list word comes first ("no swelling, redness or heat that I've seen").
    predicates: frozenset[str] = frozenset()
    list_words: frozenset[str] = frozenset()
    repeated_verbs: frozenset[str] = frozenset()
    past_tense: frozenset[str] = frozenset()
    possessed_own: frozenset[str] = frozenset()
    habitual_verbs: frozenset[str] = frozenset()


@Language.component("poplit_lowercase_lemmas")
def _lowercase_lemmas(doc: Doc) -> Doc:
    table = _lemma_table()
    for token in doc:
        lower = token.lower_
        token.lemma_ = table.get(lower, lower)
    return doc


# The parts of the leg an "it" opening the next clause refers back to ("calf mostly.. and it's
# swollen", "my foot went numb and it's cold"), read as that part (its lemma) by the phrases; the knee
# is what "it" means anyway, so a knee named nearer leaves "it" as it is.
_REFERENTS = frozenset({"calf", "calves", "foot", "feet", "toe", "leg", "ankle", "shin", "thigh", "hamstring"})
_KNEE_WORDS = frozenset({"knee", "kneecap", "patella", "joint"})
_CLAUSE_OPENERS = frozenset({"and", "but", "so", "then", "now", "also", "plus"})
# ... when "it" is said to be in some state ("it's swollen", "it feels cold", "it's gone pale"), not
# when it points at a place or a thing ("it's the back of my knee", "it's more behind the knee").
_LINKING = frozenset(
    {
        "'s",
        "s",
        "is",
        "was",
        "has",
        "had",
        "been",
        "gone",
        "got",
        "getting",
        "went",
        "feels",
        "felt",
        "looks",
        "looked",
        "seems",
        "turned",
        "a",
        "bit",
        "little",
        "really",
        "very",
        "so",
        "all",
        "quite",
        "kinda",
        "also",
        "now",
    }
)
_POINTING = frozenset(
    {
        "the",
        "an",
        "more",
        "mainly",
        "mostly",
        "just",
        "only",
        "actually",
        "behind",
        "in",
        "at",
        "on",
        "my",
        "your",
        "this",
        "that",
        "where",
        "what",
        "not",
    }
)


@Language.component("poplit_pronoun_referents")
def _pronoun_referents(doc: Doc) -> Doc:
    for token in doc:
        if token.lower_ not in ("it", "its") or token.i == 0:
            continue
        before = doc[token.i - 1]
        if not (before.is_punct or before.lower_ in _CLAUSE_OPENERS):
            continue  # "hurts when it's cold", "put ice on it": not a new clause about the part
        following = next((t for t in doc[token.i + 1 :] if t.lower_ not in _LINKING), None)
        if following is None or following.is_punct or following.lower_ in _POINTING:
            continue
        first = doc[token.sent.start - 1].sent.start if token.sent.start > 0 else 0
        for earlier in reversed(doc[first : token.i]):
            if earlier.lemma_ in _KNEE_WORDS:
                break
            if earlier.lemma_ in _REFERENTS or earlier.lower_ in _REFERENTS:
                token.lemma_ = earlier.lemma_
                break
    return doc


@lru_cache(maxsize=1)
def get_nlp() -> Language:
    # The same blank-English + lookup-lemma pipeline the NLU uses, plus sentences and lemmas of the
    # lower-cased word (the lookup table is keyed by lower case; "Swollen" should still lemmatise).
    nlp = build_pipeline()
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("poplit_lowercase_lemmas", after="lemmatizer")
    nlp.add_pipe("poplit_pronoun_referents")  # after the sentences
    return nlp


@lru_cache(maxsize=1)
def _lemma_table() -> Any:
    lemmatizer = get_nlp().get_pipe("lemmatizer")
    assert isinstance(lemmatizer, Lemmatizer)
    return lemmatizer.lookups.get_table("lemma_lookup")


def word_forms() -> Any:
    """The English word forms spaCy's lookup lemmatiser knows (a table: `"clunks" in word_forms()`)."""
    return _lemma_table()


def lemma_of(word: str) -> str:
    lower = word.lower()
    return str(_lemma_table().get(lower, lower))


def make_doc(text: str) -> Doc:
    return get_nlp()(text.translate(_QUOTES))


def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a mapping at the top")
    findings = {name: tuple(phrases) for name, phrases in (data.get("findings") or {}).items()}
    unknown = sorted(set(findings) - set(FINDINGS))
    if unknown:
        raise LexiconError(f"{path}: unknown finding names {unknown}")
    missing = sorted(set(FINDINGS) - set(findings) - NUMERIC_FINDINGS - DERIVED_FINDINGS - SCREENING_FINDINGS)
    if missing:
        raise LexiconError(f"{path}: findings without phrases {missing}")
    cues = {kind: tuple(phrases) for kind, phrases in (data.get("cues") or {}).items()}
    if set(cues) != set(CUE_KINDS):
        raise LexiconError(f"{path}: cue kinds must be exactly {sorted(CUE_KINDS)}, got {sorted(cues)}")
    overrides = {name: frozenset(over) for name, over in (data.get("overrides") or {}).items()}
    for name, over in overrides.items():
        if name not in FINDINGS or not over <= set(FINDINGS):
            raise LexiconError(f"{path}: overrides for {name!r} name unknown findings")
    lasting = {str(name): str(made) for name, made in (data.get("lasting") or {}).items()}
    for name, made in lasting.items():
        if FINDINGS.get(name) is not FindingKind.EVENT or made not in DERIVED_FINDINGS:
            raise LexiconError(
                f"{path}: lasting maps an event finding to one of {sorted(DERIVED_FINDINGS)}, " f"got {name!r}: {made!r}"
            )
    ignore = {name: tuple(phrases) for name, phrases in (data.get("ignore") or {}).items()}
    if not set(ignore) <= set(FINDINGS):
        raise LexiconError(f"{path}: ignore lists for unknown findings {sorted(set(ignore) - set(FINDINGS))}")
    clauses = data.get("clauses") or {}
    return Lexicon(
        findings=findings,
        cues=cues,
        ignore=ignore,
        overrides=overrides,
        lasting=lasting,
        macros={name: tuple(alts) for name, alts in (data.get("macros") or {}).items()},
        strong_breaks=frozenset(clauses.get("strong_breaks") or ()),
        weak_breaks=frozenset(clauses.get("weak_breaks") or ()),
        subject_starts=frozenset(clauses.get("subject_starts") or ()),
        question_starts=frozenset(clauses.get("question_starts") or ()),
        gap_stops=frozenset(clauses.get("gap_stops") or ()),
        answer_negations=frozenset(clauses.get("answer_negations") or ()),
        back_references=frozenset(clauses.get("back_references") or ()),
        predicates=frozenset(clauses.get("predicates") or ()),
        list_words=frozenset(clauses.get("list_words") or ()),
        repeated_verbs=frozenset(clauses.get("repeated_verbs") or ()),
        past_tense=frozenset(clauses.get("past_tense") or ()),
        possessed_own=frozenset(clauses.get("possessed_own") or ()),
        habitual_verbs=frozenset(clauses.get("habitual_verbs") or ()),
    )


def expand_macros(phrase: str, macros: Mapping[str, Sequence[str]], depth: int = 0) -> list[str]:
    match = _MACRO.search(phrase)
    if not match:
        return [phrase]
    if depth > 5 or match.group(1) not in macros:
        raise LexiconError(f"unknown or recursive macro <{match.group(1)}> in {phrase!r}")
    expanded: list[str] = []
    for alternative in macros[match.group(1)]:
        replaced = phrase[: match.start()] + alternative + phrase[match.end() :]
        expanded.extend(expand_macros(replaced, macros, depth + 1))
    return expanded


# A body temperature that is a fever: 38 °C or more, or 100.4 °F or more.
_FEVER_READING = r"^(?:3[89]|4[0-2])(?:[.,]\d)?$|^(?:100[.,][4-9]|10[1-7](?:[.,]\d)?)$"


def _token_choices(item: str, gap_stop_words: frozenset[str]) -> list[Pattern]:
    """The token patterns one item of a phrase can be (several when it mixes lemmas and exact forms)."""
    gap = _GAP.match(item)
    if gap:
        skip = {"IS_PUNCT": False, "LOWER": {"NOT_IN": sorted(gap_stop_words)}, "OP": "?"}
        return [[dict(skip) for _ in range(int(gap.group(1)))]]
    opens_sentence = item.startswith("^") and len(item) > 1
    item = item[1:] if opens_sentence else item
    optional = item.endswith("?") and len(item) > 1
    item = item[:-1] if optional else item
    if item == "#YEAR":
        tokens: list[dict[str, Any]] = [{"SHAPE": "dddd"}]
    elif item == "#FEVER":
        tokens = [{"TEXT": {"REGEX": _FEVER_READING}}]
    elif item.startswith("!"):
        tokens = [{"LOWER": {"NOT_IN": sorted(item[1:].split("|"))}}]
    else:
        words = item.split("|")
        every_word_exact = item.startswith("=")
        exact = sorted(w.lstrip("=") for w in words if every_word_exact or w.startswith("="))
        lemmas = sorted({lemma_of(w) for w in words if not (every_word_exact or w.startswith("="))})
        tokens = ([{"LOWER": {"IN": exact}}] if exact else []) + ([{"LEMMA": {"IN": lemmas}}] if lemmas else [])
    for token in tokens:
        if optional:
            token["OP"] = "?"
        if opens_sentence:
            token["IS_SENT_START"] = True
    return [[token] for token in tokens]


def compile_phrase(phrase: str, gap_stop_words: frozenset[str]) -> list[Pattern]:
    """One phrase of the lexicon's mini-language into spaCy Matcher token patterns.

    `a|b` matches the lemma of either word; `=a|b` the exact lower-case forms (a leading `=` makes
    every alternative exact; `a|=b` mixes); `!a|b` any word but these; `^a|b` a word that opens a sentence;
    a trailing `?` makes a token optional; `~N` skips up to N words, never punctuation or a clause
    break; `#YEAR` is a four-digit number, `#FEVER` a temperature that is a fever (38 °C or 100.4 °F and up).
    """
    choices = [_token_choices(item, gap_stop_words) for item in phrase.split()]
    patterns = [[token for part in combination for token in part] for combination in itertools.product(*choices)]
    for pattern in patterns:
        if not pattern or all(token.get("OP") == "?" for token in pattern):
            raise LexiconError(f"phrase {phrase!r} matches nothing or everything")
    return patterns


def _anchor_choices(pattern: Pattern) -> list[list[AnchorKey]]:
    """For each token a match of the pattern cannot do without, the words that token accepts."""
    choices = []
    for token in pattern:
        if token.get("OP") == "?":
            continue
        for attribute in ("LEMMA", "LOWER"):
            accepted = token.get(attribute)
            if isinstance(accepted, dict) and "IN" in accepted:
                choices.append([(attribute, str(word)) for word in accepted["IN"]])
    return choices


class AnchoredMatcher:
    """A spaCy Matcher split by anchor word, so a message runs only the patterns it could match.

    One Matcher over all ~900 patterns tried every pattern at every token: about 2 ms a message, most
    of red-flag screening (cProfile). Each pattern has a word it cannot match without (its rarest
    required token); a message runs the patterns of the words it contains. A pattern is matched
    alone, so the union of the runs is the full Matcher's result (tests/unit/test_triage.py compares
    the two). Building it costs about 0.5 s more per process than one Matcher.
    """

    def __init__(self, vocab: Vocab, labelled_patterns: Sequence[tuple[str, Sequence[Pattern]]]) -> None:
        self._by_anchor: dict[AnchorKey, Matcher] = {}
        everything = [(label, pattern, _anchor_choices(pattern)) for label, patterns in labelled_patterns for pattern in patterns]
        frequency: Counter[AnchorKey] = Counter(key for _, _, choices in everything for keys in choices for key in keys)
        for label, pattern, choices in everything:
            if not choices:
                raise LexiconError(f"pattern {pattern!r} of {label} has no required word to anchor it")
            rarest = min(choices, key=lambda keys: sum(frequency[key] for key in keys))
            for key in rarest:
                self._by_anchor.setdefault(key, Matcher(vocab)).add(label, [pattern])

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        present = {("LEMMA", token.lemma_) for token in doc} | {("LOWER", token.lower_) for token in doc}
        matches: set[tuple[int, int, int]] = set()
        for key in present:
            matcher = self._by_anchor.get(key)
            if matcher is not None:
                matches.update(matcher(doc))
        return sorted(matches, key=lambda match: (match[1], match[2], match[0]))


@dataclass(frozen=True)
class CompiledLexicon:
    lexicon: Lexicon
    matcher: AnchoredMatcher
    self_negating: frozenset[str] = frozenset()  # self_negating_findings(lexicon)


@lru_cache(maxsize=1)
def get_compiled_lexicon() -> CompiledLexicon:
    return compile_lexicon(load_lexicon())


# Words that make a phrase a negation in itself ("can't put weight on it", "unable to bend it").
_NEGATING_WORDS = frozenset(
    {"not", "n't", "no", "never", "cannot", "cant", "can't", "unable", "without", "none", "nothing", "nor", "neither",
     "wont", "wouldnt", "doesnt", "dont", "barely", "hardly"}
)  # fmt: skip


def self_negating_findings(lexicon: Lexicon) -> frozenset[str]:
    """The findings some of whose phrases hold a negation word of their own."""
    found = set()
    for name, phrases in lexicon.findings.items():
        words = {
            word.lstrip("=").rstrip("?")
            for phrase in phrases
            for expanded in expand_macros(phrase, lexicon.macros)
            for token in expanded.split()
            for word in token.split("|")
        }
        if words & _NEGATING_WORDS:
            found.add(name)
    return frozenset(found)


def lexicon_patterns(lexicon: Lexicon) -> list[tuple[str, list[Pattern]]]:
    """Every label ("F:finding", "C:cue kind", "I:ignored finding") with its Matcher patterns."""
    gap_stops = lexicon.gap_stops | lexicon.strong_breaks
    groups: list[tuple[str, Sequence[str]]] = [(f"F:{name}", phrases) for name, phrases in lexicon.findings.items()]
    groups += [(f"C:{kind}", phrases) for kind, phrases in lexicon.cues.items()]
    groups += [(f"I:{name}", phrases) for name, phrases in lexicon.ignore.items()]
    labelled = []
    for label, phrases in groups:
        patterns = [
            pattern
            for phrase in phrases
            for expanded in expand_macros(phrase, lexicon.macros)
            for pattern in compile_phrase(expanded, gap_stops)
        ]
        if patterns:
            labelled.append((label, patterns))
    return labelled


def compile_lexicon(lexicon: Lexicon) -> CompiledLexicon:
    return CompiledLexicon(
        lexicon=lexicon,
        matcher=AnchoredMatcher(get_nlp().vocab, lexicon_patterns(lexicon)),
        self_negating=self_negating_findings(lexicon),
    )
