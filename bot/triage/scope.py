"""Whether a mention is a current complaint of the person writing, decided by cue words in scope.

Own NegEx/ConText-style rules over spaCy sentences (no parser is available): a cue acts on a
mention in the same clause, and clauses are cut at "but"-like words, at a comma or "and" that opens
a new subject, and at a comma that opens a new predicate ("no swelling, pain is 9/10", "not swollen,
walking fine"), while a list of bare items after a comma stays in the clause ("no swelling, redness
or heat"). A hypothetical or someone else's story stops at a comma that opens a clause about a new
topic ("in case it swells, pain is 9/10 now"; "my mum thinks it's a cyst, pain is 8/10"). A pain score
is negated only by a negation about the score itself ("not a 9"). A finding the person echoes as a
question and then denies ("swelling? no, none") is negated. Cue lists and clause words live in
lexicon.yml so a clinician can read and extend them.

Time markers (present, recent, resolved, remote) date a mention; the nearest one in its clause
decides, and which of them put it in the past depends on the finding's kind (FindingKind): "last
night" leaves a swelling current but makes "9/10" yesterday's score. A clause that refers back
("..., it's been fine for years") dates the clause before it too. A date attached to a start word
("began a few months ago", "since 2019") dates when a symptom began, not that it ended, unless the
clause or the next one says it stopped ("... but hasn't since", "... and went down after a week").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from spacy.tokens import Doc

from bot.triage.findings import Status
from bot.triage.pipeline import Lexicon
from bot.triage.vocabulary import DATED_BY_ONSET, FINDINGS, INTAKE_FACTS, NUMERIC_FINDINGS, FindingKind

NEGATION_WINDOW = 6  # tokens after "no"/"not" that a negation reaches, as in NegEx
NEGATION_AFTER_WINDOW = 3  # "swelling: none"
RECURRENCE_WINDOW = 3  # "if it gives way again" says it has given way before
PREDICATE_WINDOW = 3  # words after a comma in which a verb or state opens a new clause ("pain is 9/10")
# words between a negation and a number it is about: "not even a 9", "it isn't 8/10"
NUMBER_NEGATION_GAP = 3
# a question echoed before its answer ("any swelling at all? no"): words before and after the finding
ECHO_LEAD = 2
ECHO_GAP = 3
_ECHO_DASHES = frozenset({"-", "–", "—", "--", ":", "...", "…"})
# words after a bare "no" that keep it an answer ("no not at all", "no never", "nope and it never has")
_ECHO_FOLLOWERS = frozenset({"and", "at", "not", "never", "none", "nothing", "whatsoever", "thankfully", "luckily"})

TokenSpan = tuple[int, int]


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

    def __init__(
        self,
        doc: Doc,
        lexicon: Lexicon,
        cues: Mapping[str, Sequence[TokenSpan]],
        finding_spans: Sequence[TokenSpan],
        phrase_spans: Sequence[TokenSpan] | None = None,
        self_negating: frozenset[str] = frozenset(),
    ) -> None:
        """`finding_spans` are the red-flag mentions (not the intake facts): a bare "no" after one
        answers for it alone. `phrase_spans` (default: the same) are every reading of a red-flag
        phrase, longer ones included: a negation inside one is part of the phrase. `self_negating`:
        the findings whose own phrases hold a negation; in any other phrase a negation in its gap
        denies it."""
        self.doc = doc
        self.lexicon = lexicon
        self.self_negating = self_negating
        self.finding_spans = list(finding_spans)
        self._finding_starts = frozenset(span[0] for span in finding_spans)
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
        others = [span for span in cues.get("other_person", ()) if not self._possesses_a_thing(span)]
        selves = [span for span in cues.get("self", ()) if not any(_inside(span, o) for o in others)]
        self.clause_commas, self.topic_commas, self.present_topic_commas = self._new_clause_commas(lexicon, selves)
        self.negation_clause = self._clauses(lexicon, lexicon.strong_breaks | lexicon.weak_breaks, breaks_at=self.clause_commas)
        # Hypotheticals span a comma ("if it swells up, goes red or hot, should I go?") unless the next
        # clause speaks of a new topic ("in case it swells, pain is 9/10 now").
        self.hypothetical_segment = self._clauses(
            lexicon, lexicon.strong_breaks, split_on_subject=False, breaks_at=self.topic_commas
        )
        # A time marker stops at a comma that opens a clause about a new topic ("tore my ACL in 2019,
        # knee is swollen"), though not at one that goes on with the same subject ("it gave way years
        # ago, fine since surgery"), and at a comma before a new finding ("hurt it in 2019, swells after
        # every run"); a negation does not stop there, so "no swelling, redness or heat" holds.
        finding_starts = frozenset(span[0] for span in finding_spans)
        self.past_clause = self._clauses(
            lexicon, lexicon.strong_breaks | {"and"}, new_predicates=finding_starts, breaks_at=self.topic_commas
        )
        self.segment = self._clauses(lexicon, lexicon.strong_breaks, split_on_subject=False)

        pseudo = list(cues.get("pseudo", ()))

        def usable(kind: str, extra_blockers: Sequence[TokenSpan] = ()) -> list[TokenSpan]:
            blockers = list(pseudo) + list(extra_blockers)
            return [span for span in cues.get(kind, ()) if not any(_overlaps(span, b) for b in blockers)]

        # A negation word inside a finding's own phrase ("can't put weight on it") negates nothing,
        # except an intake fact inside or overlapping that phrase ("can't [walk normally]", "can't
        # [walk as normal]"): the red flag errs towards counting, the intake fact must not read the
        # opposite of what was written.
        phrases = list(finding_spans if phrase_spans is None else phrase_spans)
        self.negations = usable("negation", phrases)
        self.inner_negations = [(span, holder) for span in usable("negation") for holder in phrases if _inside(span, holder)]
        # Every negation word, also those inside a finding's phrase: "can't walk, not since the fall"
        # repeats the finding's own negation rather than saying it ended.
        self.all_negations = list(cues.get("negation", ()))
        self.negations_after = usable("negation_after", phrases) + self._answer_negations(lexicon)
        self.echo_answers = list(cues.get("negation_after", ()))
        self.hypotheticals = usable("hypothetical")
        self.conditionals = usable("conditional")
        self.generic_questions = list(cues.get("generic_question", ()))
        self.open_questions = list(cues.get("open_question", ()))
        self.recurrences = list(cues.get("recurrence", ()))
        # "fine ever since" says the trouble ended: a resolved phrase cancels an ongoing cue it overlaps.
        self.ongoing_cues = usable("ongoing", cues.get("resolved", ()))
        self.same_now = list(cues.get("same_now", ()))
        # A start word inside a phrase that says it ended ("fine since surgery") starts nothing.
        self.onsets = [span for span in cues.get("onset", ()) if not any(_overlaps(span, r) for r in cues.get("resolved", ()))]
        for span in cues.get("modal", ()):
            self.modal_sentences.add(self.sentence_of[span[0]])
        self.people = sorted([(span, True) for span in others] + [(span, False) for span in selves])
        self.selves = selves
        # "no better now", "not fine since": a negated resolved phrase says the trouble goes on.
        negated_words = {span[1] - 1 for span in self.all_negations}
        self.time_markers = [
            (span, kind) for span, kind in self._time_markers(cues) if not (kind == "resolved" and span[0] - 1 in negated_words)
        ]

    def _clauses(
        self,
        lexicon: Lexicon,
        breaks: frozenset[str] | set[str],
        split_on_subject: bool = True,
        new_predicates: frozenset[int] = frozenset(),
        breaks_at: frozenset[int] = frozenset(),
    ) -> list[int]:
        clause_of = [0] * len(self.doc)
        clause = 0
        for token in self.doc:
            starts_sentence = token.is_sent_start and token.i > 0
            breaks_here = token.lower_ in breaks or token.i in breaks_at
            if split_on_subject and token.lower_ in {",", "and"} and token.i + 1 < len(self.doc):
                breaks_here = breaks_here or self.doc[token.i + 1].lower_ in lexicon.subject_starts
            if token.text == "," and token.i + 1 in new_predicates:
                breaks_here = True
            if starts_sentence or breaks_here:
                clause += 1
            clause_of[token.i] = clause
        return clause_of

    def _new_clause_commas(
        self, lexicon: Lexicon, selves: Sequence[TokenSpan]
    ) -> tuple[frozenset[int], frozenset[int], frozenset[int]]:
        """Commas that open a new clause, the subset whose clause is about a new topic, and the subset
        of those told in the present (a past tense goes on with someone else's story: "my dad had a
        DVT, leg was swollen for weeks"; the present is the writer again: "..., pain is 8/10").

        A new clause: a new subject ("no swelling, it aches"), a number ("no injury, 9/10 pain"), or a
        predicate word (clauses.predicates) among the first PREDICATE_WINDOW words before any list word
        ("no swelling, pain is 9/10", "not swollen, walking fine", "no injury, can't bend it"); a list of
        bare items is not one ("no swelling, redness or heat", "doesn't lock, catch or give way").
        A new topic: a number, the writer ("..., my calf is swollen"), or a word of its own before the
        predicate ("..., pain is 9/10") that does not point back ("..., it burst", "..., has been fine").
        A clause opening with its verb shares the subject before it ("if it swells, is hot and red").
        """
        doc = self.doc
        self_starts = {span[0] for span in selves}
        opens: set[int] = set()
        topics: set[int] = set()
        present: set[int] = set()
        for comma in doc:
            if comma.text != "," or comma.i + 1 >= len(doc) or doc[comma.i + 1].is_sent_start:
                continue
            first = doc[comma.i + 1]
            if first.like_num or first.i in self_starts:
                opens.add(comma.i)
                topics.add(comma.i)
                present.add(comma.i)
                continue
            if first.lower_ in lexicon.subject_starts or self._repeats_verb(lexicon, comma.i):
                opens.add(comma.i)
                continue
            for word in doc[first.i : first.i + PREDICATE_WINDOW]:
                if word.is_sent_start and word.i > first.i or word.lower_ in lexicon.list_words or word.is_punct:
                    break
                if word.lower_ in lexicon.predicates:
                    opens.add(comma.i)
                    if word.i > first.i and first.lower_ not in lexicon.back_references:
                        topics.add(comma.i)
                        if word.lower_ not in lexicon.past_tense:
                            present.add(comma.i)
                    break
        return frozenset(opens), frozenset(topics), frozenset(present)

    def _repeats_verb(self, lexicon: Lexicon, comma: int) -> bool:
        """ "never had a clot, had surgery": the word after the comma is a verb the stretch before it
        already has (back to the previous comma or the sentence start), so it opens a clause of its own."""
        word = self.doc[comma + 1].lower_
        if word not in lexicon.repeated_verbs:
            return False
        start = self.doc[comma].sent.start
        for token in reversed(self.doc[start:comma]):
            if token.text == ",":
                break
            if token.lower_ == word:
                return True
        return False

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
        markers = [(span, kind) for kind in _MARKER_RANK for span in cues.get(kind, ())]
        # The longer phrase wins: "in the past few days" is recent, "fine now" is resolved.
        return [(span, kind) for span, kind in markers if not any(other != span and _inside(span, other) for other, _ in markers)]

    def verdict(self, span: TokenSpan, name: str) -> Verdict:
        cue = self._negated(span, name)
        if cue is not None:
            return Verdict(Status.NEGATED, cue)
        checks = (
            (Status.HYPOTHETICAL, self._hypothetical),
            (Status.OTHER_PERSON, self._other_person),
        )
        for status, check in checks:
            cue = check(span)
            if cue is not None:
                return Verdict(status, cue)
        cue = self._past(span, FINDINGS[name], dated_by_onset=name in DATED_BY_ONSET)
        return Verdict(Status.PAST, cue) if cue is not None else Verdict(Status.CURRENT)

    def ongoing(self, span: TokenSpan) -> TokenSpan | None:
        """A cue in the mention's sentence or the next one saying its trouble goes on ("still aching")."""
        sentence = self.sentence_of[span[0]]
        for cue in self.ongoing_cues:
            if not _overlaps(cue, span) and self.sentence_of[cue[0]] in (sentence, sentence + 1):
                return cue
        return None

    def _negated(self, span: TokenSpan, name: str) -> TokenSpan | None:
        clause = self.negation_clause[span[0]]
        negations = self.negations
        if name in INTAKE_FACTS:
            negations = negations + [cue for cue, holder in self.inner_negations if _overlaps(span, holder)]
        numeric = name in NUMERIC_FINDINGS
        for cue in self.negations:
            # In the gap of a phrase that has no negation of its own: "my calf isn't swollen".
            if span[0] < cue[0] and cue[1] <= span[1] and not numeric and name not in self.self_negating:
                return cue
        for cue in negations:
            if cue[1] <= span[0] and self.negation_clause[cue[0]] == clause and span[0] - cue[1] <= NEGATION_WINDOW:
                if numeric and not self._about_number(cue, span):
                    continue
                return cue
        for cue in self.negations_after:
            if (
                cue[0] >= span[1]
                and self.segment[cue[0]] == self.segment[span[0]]
                and cue[0] - span[1] <= NEGATION_AFTER_WINDOW
                and self._answers_only(span, cue)
            ):
                return cue
        return self._echo_denied(span)

    def _echo_denied(self, span: TokenSpan) -> TokenSpan | None:
        """ "swelling? no, none", "locking? nope": the person repeats the question, then answers it with
        a denial. The echo is a short sentence ending in "?" right after the finding (ECHO_GAP words at
        most) that does not open like a question ("could this be swelling? no idea" is a question)."""
        doc, lexicon = self.doc, self.lexicon
        sentence = doc[span[0]].sent
        before = [token.lower_ for token in doc[sentence.start : span[0]] if not token.is_punct]
        if before[:2] in (["what", "about"], ["how", "about"]):
            before = before[2:]  # "what about giving way? no"
        if len(before) > ECHO_LEAD or (before and before[0] in lexicon.question_starts):
            return None
        i = span[1]
        while i < len(doc) and i - span[1] < ECHO_GAP and not doc[i].is_punct and i not in self._finding_starts:
            i += 1
        if i >= len(doc) or doc[i].text.strip("?!") or "?" not in doc[i].text:
            return None
        while i < len(doc) and (not doc[i].text.strip("?!") or doc[i].text in _ECHO_DASHES):
            i += 1
        if i >= len(doc):
            return None
        if doc[i].lower_ in lexicon.answer_negations:
            # "no", "nope", "none": an answer when it stands alone or goes on to something else ("no,
            # none", "nope it's fine", "no swelling at all"), not in "no idea", "no way", "none of it".
            return (i, i + 1) if self._ends_answer(i + 1, lexicon.subject_starts | lexicon.strong_breaks) else None
        for cue in self.echo_answers:
            # "giving way? not really" (which elsewhere may be "not really sure")
            if cue[0] == i and self._ends_answer(cue[1]):
                return cue
        # "locking? never", "giving way? not at all", "swelling? nothing"; not "never seen anything like
        # it" or "not half", which say yes.
        return next((cue for cue in self.negations if cue[0] == i and self._ends_answer(cue[1])), None)

    def _ends_answer(self, i: int, also: frozenset[str] = frozenset()) -> bool:
        """Whether a short answer ends before token `i`: at the end, punctuation, a new sentence or a
        finding ("no swelling"), or before a word that goes on with it ("not at all", "no never")."""
        if i >= len(self.doc):
            return True
        word = self.doc[i]
        return word.is_punct or word.is_sent_start or i in self._finding_starts or word.lower_ in _ECHO_FOLLOWERS | also

    def _about_number(self, cue: TokenSpan, span: TokenSpan) -> bool:
        """ "it's not 8/10", "not even a 9": a number is negated only by a negation right before it,
        with no punctuation or other finding in between ("no swelling, pain is 9/10" and "no swelling
        or pain 9/10" deny the swelling, not the score)."""
        between = range(cue[1], span[0])
        if len(between) > NUMBER_NEGATION_GAP or any(self.doc[i].is_punct for i in between):
            return False
        return not any(other != span and other[0] in between for other in self.finding_spans)

    def _answers_only(self, span: TokenSpan, cue: TokenSpan) -> bool:
        # "swelling yes, redness no": the "no" answers for redness, not for the swelling before it.
        between = range(span[1], cue[0])
        if any(self.doc[i].text in {",", ";", "."} for i in between):
            return False
        return not any(other != span and other[0] in between for other in self.finding_spans)

    def _hypothetical(self, span: TokenSpan) -> TokenSpan | None:
        if any(0 <= cue[0] - span[1] <= RECURRENCE_WINDOW for cue in self.recurrences):
            return None
        segment, sentence = self.hypothetical_segment[span[0]], self.sentence_of[span[0]]
        for cue in self.hypotheticals:
            if cue[1] <= span[0] and self.hypothetical_segment[cue[0]] == segment:
                return cue
        conditional_counts = self.questions[sentence] or sentence in self.modal_sentences
        for cue in self.conditionals:
            if conditional_counts and cue[1] <= span[0] and self.hypothetical_segment[cue[0]] == segment:
                return cue
        if self.questions[sentence]:
            generic = [cue for cue in self.generic_questions if self.sentence_of[cue[0]] == sentence]
            if self.question_marks[sentence]:
                generic += [cue for cue in self.open_questions if self.sentence_of[cue[0]] == sentence]
            speaks_for_self = any(
                self.sentence_of[s[0]] == sentence and not any(_inside(s, g) for g in generic) for s in self.selves
            )
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
        if not (nearest and nearest[1]):
            return None
        # "my mum thinks it's a cyst, pain is 8/10": a clause about a new topic is the writer's again.
        if any(nearest[0][1] <= comma < span[0] for comma in self.present_topic_commas):
            return None
        return nearest[0]

    def _past(self, span: TokenSpan, kind: FindingKind, dated_by_onset: bool = False) -> TokenSpan | None:
        if kind in (FindingKind.HISTORY, FindingKind.ONSET) or (kind is not FindingKind.EVENT and self._same_now(span)):
            return None
        clause = self.past_clause[span[0]]
        markers = [
            (marker, marker_kind)
            for marker, marker_kind in self.time_markers
            if (self.past_clause[marker[0]] == clause or _overlaps(marker, span)) and not self._echoes_negation(marker, span)
        ]
        started = False
        if dated_by_onset:
            # "the pain in my calf began a few months ago": the date is the start of a complaint that goes on.
            dated = [item for item in markers if item[1] in ("past_remote", "recent") and self._dates_onset(span, item[0])]
            markers = [item for item in markers if item not in dated]
            started = any(marker_kind == "past_remote" for _, marker_kind in dated)
        if not any(marker_kind == "present" for _, marker_kind in markers):
            # "it started locking years ago but hasn't since", "had a fever last month but it's long
            # gone": after a date, a "but" that says it stopped ends it too.
            dated_before = started or any(marker_kind in ("recent", "past_remote") for _, marker_kind in markers)
            settled = self._settled_after(span, after_contrast=dated_before)
            if kind is FindingKind.SYMPTOM and any(marker_kind == "resolved" for _, marker_kind in settled):
                # a date says when; the clause after says it is over ("a fever last month, long gone now")
                return next(marker for marker, marker_kind in settled if marker_kind == "resolved")
            markers += settled
        # An event is dated, not resolved: "my kneecap used to pop out as a teenager" is remote
        # whichever of the two phrases is nearer.
        markers = [(marker, marker_kind) for marker, marker_kind in markers if marker_kind in _MARKERS_FOR[kind]]
        if self._habitual(span):
            # "it locks for a sec then frees up, fine right now": what it keeps doing is fine at the
            # moment, not over ("it locked, fine now" is)
            markers = [
                (m, k) for m, k in markers if not (k == "resolved" and any(t.lower_ == "now" for t in self.doc[m[0] : m[1]]))
            ]
        if not markers:
            return None
        # Nearest marker decides; on a tie the present wins, because missing a current sign costs more.
        marker, marker_kind = min(markers, key=lambda item: (_distance(span, item[0]), _MARKER_RANK[item[1]]))
        if marker_kind in _PAST_FOR[kind]:
            return marker
        return None

    def _possesses_a_thing(self, cue: TokenSpan) -> bool:
        """ "my sister's wedding", "my mates party": someone else's event or thing, where the writer
        was, not someone else's complaint ("my dad's knee", "my sons calf")."""
        end = cue[1]
        possessive = self.doc[end - 1].lower_.endswith("s") and self.doc[end - 1].lower_ != self.doc[end - 1].lemma_
        if end < len(self.doc) and self.doc[end].lower_ in ("'s", "s", "'"):
            possessive, end = True, end + 1
        if not possessive or end >= len(self.doc):
            return False
        following = self.doc[end]
        own = self.lexicon.possessed_own
        return following.is_alpha and following.lemma_ not in own and following.lower_ not in own

    def _habitual(self, span: TokenSpan) -> bool:
        """Whether the finding's own words say what the knee keeps doing: a verb of a complaint in
        the present ("locks", "catches", "gives way", "swells up")."""
        return any(
            token.lemma_ in self.lexicon.habitual_verbs and token.lower_ in (token.lemma_ + "s", token.lemma_ + "es")
            for token in self.doc[span[0] : span[1]]
        )

    def _dates_onset(self, span: TokenSpan, marker: TokenSpan) -> bool:
        """Whether `marker` dates a start word of the finding's clause ("began a few months ago", "a year
        ago I first noticed", "since I twisted it, about 3 months ago"), or of the clause before when an
        "and" goes on with the same subject and that clause has no date of its own ("it started to swell
        and go red a year ago"). Not when the date comes between the finding and the start word
        ("swelling in 2019, it started locking last month" dates the swelling), nor when a clause word
        ("when", "because") does ("I had calf pain when I started running years ago" dates the running)."""
        clause = self.past_clause[span[0]]
        shared = self._shares_subject(clause)
        for cue in self.onsets:
            joined = shared is not None and self.past_clause[cue[0]] == clause - 1 and cue[1] <= shared
            if (self.past_clause[cue[0]] != clause and not joined) or _overlaps(cue, marker):
                continue
            between = range(min(span[1], cue[1]), max(span[0], cue[0]))
            if marker[0] in between or any(self.doc[i].lower_ in self.lexicon.weak_breaks and i != shared for i in between):
                continue
            return True
        return False

    def _shares_subject(self, clause: int) -> int | None:
        """The "and" that opens `clause` when what follows has no subject of its own ("... and go red"),
        in the same sentence as the clause before, which has no date; else None."""
        opening = next((token for token in self.doc if self.past_clause[token.i] == clause), None)
        if opening is None or opening.lower_ != "and" or opening.i == 0 or opening.i + 1 >= len(self.doc):
            return None
        following = self.doc[opening.i + 1]
        if following.is_sent_start or following.is_punct or following.lower_ in self.lexicon.subject_starts:
            return None
        if self.sentence_of[opening.i - 1] != self.sentence_of[opening.i]:
            return None
        if any(self.past_clause[marker[0]] == clause - 1 for marker, _ in self.time_markers):
            return None  # "it began aching in 2019 and swelled up in 2020": each has its own date
        return opening.i

    def _echoes_negation(self, marker: TokenSpan, span: TokenSpan) -> bool:
        """ "can't put weight on it, not since the fall": a marker opening with a negation, after a
        finding that is itself a negation, repeats it ("not [able to] since") instead of ending it."""
        opens_negated = any(cue[0] == marker[0] for cue in self.all_negations)
        return opens_negated and any(_inside(cue, span) for cue in self.all_negations)

    def _same_now(self, span: TokenSpan) -> bool:
        """ "it was 9/10 on Sunday and it still is": a `same_now` phrase after the mention in its own
        clause, or opening the next clause that refers back and says nothing else."""
        clause = self.past_clause[span[0]]
        for cue in self.same_now:
            if cue[0] < span[1] or self.sentence_of[cue[0]] != self.sentence_of[span[0]]:
                continue
            if self.past_clause[cue[0]] == clause:
                return True
            if (
                self.past_clause[cue[0]] == clause + 1
                and self._refers_back(clause + 1, cue)
                and not any(self.past_clause[other[0]] == clause + 1 for other in self.finding_spans)
            ):
                return True
        return False

    def _refers_back(self, clause: int, marker: TokenSpan, after_contrast: bool = False) -> bool:
        """Whether `clause` opens with a word that points back ("it", "been") or with `marker`; after
        "but" only when `after_contrast`."""
        following = [token for token in self.doc if self.past_clause[token.i] == clause]
        words = [token for token in following if not token.is_punct and token.lower_ not in self.lexicon.strong_breaks | {"and"}]
        if not words or (not after_contrast and following[0].lower_ in self.lexicon.strong_breaks - {";"}):
            # After "but" the next clause contrasts rather than refers back ("swollen, but better now").
            return False
        # (a marker may open with the break word itself: "..., and stopped after physio")
        return words[0].lower_ in self.lexicon.back_references or marker[0] in (words[0].i, following[0].i)

    def _settled_after(self, span: TokenSpan, after_contrast: bool = False) -> list[tuple[TokenSpan, str]]:
        """Resolved and remote markers of the next clause when it speaks of the same thing ("I
        dislocated my kneecap at school, it's been fine for years"): a clause opening with "it",
        "been"... or with the marker itself. A new subject ("my calf is fine now") does not.
        With `after_contrast` (the finding's start was dated), a resolved marker after "but" counts
        too ("it started locking years ago but hasn't since")."""
        clause, sentence = self.past_clause[span[0]], self.sentence_of[span[0]]
        return [
            (marker, kind)
            for marker, kind in self.time_markers
            if kind in ("resolved", "past_remote")
            and self.past_clause[marker[0]] == clause + 1
            and self.sentence_of[marker[0]] == sentence
            and (
                self._refers_back(clause + 1, marker)
                or (after_contrast and kind == "resolved" and self._refers_back(clause + 1, marker, after_contrast=True))
            )
        ]


# Time markers, most present first (the order breaks ties between markers equally near).
_MARKER_RANK = {"present": 0, "recent": 1, "resolved": 2, "past_remote": 3}

# Which markers a kind of finding heeds: an event is dated ("years ago"), never resolved.
_MARKERS_FOR: dict[FindingKind, frozenset[str]] = {
    FindingKind.SYMPTOM: frozenset(_MARKER_RANK),
    FindingKind.EVENT: frozenset({"present", "recent", "past_remote"}),
    FindingKind.INTENSITY: frozenset(_MARKER_RANK),
    FindingKind.HISTORY: frozenset(),
    FindingKind.ONSET: frozenset(),
}

# Which markers put each kind of finding in the past: a symptom that has settled is no complaint, an
# event counts unless remote, and a pain level from any earlier time is not today's.
_PAST_FOR: dict[FindingKind, frozenset[str]] = {
    FindingKind.SYMPTOM: frozenset({"resolved", "past_remote"}),
    FindingKind.EVENT: frozenset({"past_remote"}),
    FindingKind.INTENSITY: frozenset({"recent", "resolved", "past_remote"}),
    FindingKind.HISTORY: frozenset(),
    FindingKind.ONSET: frozenset(),
}
