"""Whether a mention is a current complaint of the person writing, decided by cue words in scope.

Own NegEx/ConText-style rules over spaCy sentences (no parser is available): a cue acts on a
mention in the same clause, and clauses are cut at "but"-like words, and at a comma or "and" that
opens a new subject. Cue lists live in lexicon.yml so a clinician can read and extend them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from spacy.tokens import Doc

from bot.triage.pipeline import Lexicon
from bot.triage.vocabulary import FINDINGS, FindingKind

NEGATION_WINDOW = 6  # tokens after "no"/"not" that a negation reaches, as in NegEx
NEGATION_AFTER_WINDOW = 3  # "swelling: none"
RECURRENCE_WINDOW = 3  # "if it gives way again" says it has given way before

TokenSpan = tuple[int, int]


class Status(str, Enum):
    CURRENT = "current"
    NEGATED = "negated"
    HYPOTHETICAL = "hypothetical"
    OTHER_PERSON = "other_person"
    PAST = "past"


@dataclass(frozen=True)
class Verdict:
    status: Status
    cue: TokenSpan | None = None


def _overlaps(a: TokenSpan, b: TokenSpan) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _inside(inner: TokenSpan, outer: TokenSpan) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _distance(a: TokenSpan, b: TokenSpan) -> int:
    if _overlaps(a, b):
        return 0
    return b[0] - a[1] if a[1] <= b[0] else a[0] - b[1]


class DocScope:
    """Sentences, clauses and cues of one message, computed once and asked about each mention."""

    def __init__(self, doc: Doc, lexicon: Lexicon, cues: Mapping[str, Sequence[TokenSpan]],
                 finding_spans: Sequence[TokenSpan]) -> None:
        self.doc = doc
        self.finding_spans = list(finding_spans)
        self.sentence_of = [0] * len(doc)
        self.questions: list[bool] = []
        self.question_marks: list[bool] = []
        self.modal_sentences: set[int] = set()
        for index, sentence in enumerate(doc.sents):
            for token in sentence:
                self.sentence_of[token.i] = index
            words = [token for token in sentence if not token.is_space]
            opens_question = bool(words) and words[0].lower_ in lexicon.question_starts
            has_mark = any(token.text == "?" for token in sentence)
            self.question_marks.append(has_mark)
            self.questions.append(opens_question or has_mark)
        self.negation_clause = self._clauses(lexicon, lexicon.strong_breaks | lexicon.weak_breaks)
        self.past_clause = self._clauses(lexicon, lexicon.strong_breaks | {"and"})
        self.segment = self._clauses(lexicon, lexicon.strong_breaks, split_on_subject=False)

        pseudo = list(cues.get("pseudo", ()))
        def usable(kind: str, extra_blockers: Sequence[TokenSpan] = ()) -> list[TokenSpan]:
            blockers = list(pseudo) + list(extra_blockers)
            return [span for span in cues.get(kind, ()) if not any(_overlaps(span, b) for b in blockers)]

        # A negation word inside a finding's own phrase ("can't put weight on it") negates nothing.
        self.negations = usable("negation", finding_spans)
        self.negations_after = usable("negation_after", finding_spans) + self._answer_negations(lexicon)
        self.hypotheticals = usable("hypothetical")
        self.conditionals = usable("conditional")
        self.generic_questions = list(cues.get("generic_question", ()))
        self.open_questions = list(cues.get("open_question", ()))
        self.recurrences = list(cues.get("recurrence", ()))
        # "fine ever since" says the trouble ended: a resolved phrase cancels an ongoing cue it overlaps.
        self.ongoing_cues = usable("ongoing", cues.get("resolved", ()))
        for span in cues.get("modal", ()):
            self.modal_sentences.add(self.sentence_of[span[0]])
        others = list(cues.get("other_person", ()))
        selves = [span for span in cues.get("self", ()) if not any(_inside(span, o) for o in others)]
        self.people = sorted([(span, True) for span in others] + [(span, False) for span in selves])
        self.selves = selves
        self.time_markers = self._time_markers(cues)

    def _clauses(self, lexicon: Lexicon, breaks: frozenset[str] | set[str], split_on_subject: bool = True) -> list[int]:
        clause_of = [0] * len(self.doc)
        clause = 0
        for token in self.doc:
            starts_sentence = token.is_sent_start and token.i > 0
            breaks_here = token.lower_ in breaks
            if split_on_subject and token.lower_ in {",", "and"} and token.i + 1 < len(self.doc):
                breaks_here = breaks_here or self.doc[token.i + 1].lower_ in lexicon.subject_starts
            if starts_sentence or breaks_here:
                clause += 1
            clause_of[token.i] = clause
        return clause_of

    def _answer_negations(self, lexicon: Lexicon) -> list[TokenSpan]:
        # "swelling yes, redness no": a bare "no" that closes a clause answers for the word before it.
        spans = []
        for token in self.doc:
            if token.lower_ not in lexicon.answer_negations:
                continue
            following = self.doc[token.i + 1] if token.i + 1 < len(self.doc) else None
            if following is None or following.is_punct or following.is_sent_start:
                spans.append((token.i, token.i + 1))
        return spans

    @staticmethod
    def _time_markers(cues: Mapping[str, Sequence[TokenSpan]]) -> list[tuple[TokenSpan, str]]:
        markers = [(span, kind) for kind in ("present", "resolved", "past_remote") for span in cues.get(kind, ())]
        # The longer phrase wins: "in the past few days" is recent, "fine now" is resolved.
        return [(span, kind) for span, kind in markers
                if not any(other != span and _inside(span, other) for other, _ in markers)]

    def verdict(self, span: TokenSpan, name: str) -> Verdict:
        checks = (
            (Status.NEGATED, self._negated),
            (Status.HYPOTHETICAL, self._hypothetical),
            (Status.OTHER_PERSON, self._other_person),
        )
        for status, check in checks:
            cue = check(span)
            if cue is not None:
                return Verdict(status, cue)
        cue = self._past(span, FINDINGS[name])
        return Verdict(Status.PAST, cue) if cue is not None else Verdict(Status.CURRENT)

    def ongoing(self, span: TokenSpan) -> TokenSpan | None:
        """A cue in the mention's sentence or the next one saying its trouble goes on ("still aching")."""
        sentence = self.sentence_of[span[0]]
        for cue in self.ongoing_cues:
            if not _overlaps(cue, span) and self.sentence_of[cue[0]] in (sentence, sentence + 1):
                return cue
        return None

    def _negated(self, span: TokenSpan) -> TokenSpan | None:
        clause = self.negation_clause[span[0]]
        for cue in self.negations:
            if cue[1] <= span[0] and self.negation_clause[cue[0]] == clause and span[0] - cue[1] <= NEGATION_WINDOW:
                return cue
        for cue in self.negations_after:
            if (cue[0] >= span[1] and self.segment[cue[0]] == self.segment[span[0]]
                    and cue[0] - span[1] <= NEGATION_AFTER_WINDOW and self._answers_only(span, cue)):
                return cue
        return None

    def _answers_only(self, span: TokenSpan, cue: TokenSpan) -> bool:
        # "swelling yes, redness no": the "no" answers for redness, not for the swelling before it.
        between = range(span[1], cue[0])
        if any(self.doc[i].text in {",", ";", "."} for i in between):
            return False
        return not any(other != span and other[0] in between for other in self.finding_spans)

    def _hypothetical(self, span: TokenSpan) -> TokenSpan | None:
        if any(0 <= cue[0] - span[1] <= RECURRENCE_WINDOW for cue in self.recurrences):
            return None
        segment, sentence = self.segment[span[0]], self.sentence_of[span[0]]
        for cue in self.hypotheticals:
            if cue[1] <= span[0] and self.segment[cue[0]] == segment:
                return cue
        conditional_counts = self.questions[sentence] or sentence in self.modal_sentences
        for cue in self.conditionals:
            if conditional_counts and cue[1] <= span[0] and self.segment[cue[0]] == segment:
                return cue
        if self.questions[sentence]:
            generic = [cue for cue in self.generic_questions if self.sentence_of[cue[0]] == sentence]
            if self.question_marks[sentence]:
                generic += [cue for cue in self.open_questions if self.sentence_of[cue[0]] == sentence]
            speaks_for_self = any(self.sentence_of[s[0]] == sentence and not any(_inside(s, g) for g in generic)
                                  for s in self.selves)
            if generic and not speaks_for_self:
                return generic[0]
        return None

    def _other_person(self, span: TokenSpan) -> TokenSpan | None:
        if any(_inside(cue, span) for cue, is_other in self.people if not is_other):
            return None
        sentence = self.sentence_of[span[0]]
        nearest: tuple[TokenSpan, bool] | None = None
        for cue, is_other in self.people:
            if cue[0] < span[0] and self.sentence_of[cue[0]] == sentence and not _overlaps(cue, span):
                nearest = (cue, is_other)
        return nearest[0] if nearest and nearest[1] else None

    def _past(self, span: TokenSpan, kind: FindingKind) -> TokenSpan | None:
        if kind is FindingKind.HISTORY:
            return None
        clause = self.past_clause[span[0]]
        in_clause = [(marker, marker_kind) for marker, marker_kind in self.time_markers
                     if self.past_clause[marker[0]] == clause or _overlaps(marker, span)]
        if not in_clause:
            return None
        # Nearest marker decides; on a tie the present wins, because missing a current sign costs more.
        rank = {"present": 0, "resolved": 1, "past_remote": 2}
        marker, marker_kind = min(in_clause, key=lambda item: (_distance(span, item[0]), rank[item[1]]))
        if marker_kind == "past_remote" or (marker_kind == "resolved" and kind is FindingKind.SYMPTOM):
            return marker
        return None
