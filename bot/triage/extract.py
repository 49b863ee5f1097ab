"""Free text to findings: lexicon phrases and numbers, kept only when they are current complaints."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from bot.triage.annotation import MessageReading
from bot.triage.assess import Assessment, assess, combine
from bot.triage.findings import Finding, Mention, Status
from bot.triage.normalise import Normalised, get_normaliser, normalise
from bot.triage.numbers import find_ages, find_pain_scores
from bot.triage.pipeline import CompiledLexicon, get_compiled_lexicon, make_doc
from bot.triage.rules import RuleSet, load_rules
from bot.triage.scope import DocScope, TokenSpan
from bot.triage.screening import read_screening_answer, screening_trigger
from bot.triage.vocabulary import INTAKE_FACTS

AGE_THRESHOLD = 55  # Ottawa knee rule: age 55 or over


@dataclass(frozen=True)
class _Candidate:
    name: str
    span: TokenSpan
    value: float | None = None


def _keep_shortest_per_name(candidates: list[_Candidate]) -> list[_Candidate]:
    # Gapped phrases can match the same words several ways; one mention per stretch of text.
    kept: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: (c.span[1] - c.span[0], c.span[0])):
        if not any(k.name == candidate.name and k.span[0] < candidate.span[1] and candidate.span[0] < k.span[1] for k in kept):
            kept.append(candidate)
    return kept


def _drop_overridden(candidates: list[_Candidate], compiled: CompiledLexicon) -> list[_Candidate]:
    overrides = compiled.lexicon.overrides
    return [
        c
        for c in candidates
        if not any(
            o is not c and c.name in overrides.get(o.name, frozenset()) and o.span[0] <= c.span[0] and c.span[1] <= o.span[1]
            for o in candidates
        )
    ]


def _numeric_candidates(text: str, doc: Doc) -> list[_Candidate]:
    candidates: list[_Candidate] = []
    for name, spans in (("pain_score", find_pain_scores(text)), ("age_55_plus", find_ages(text))):
        for number in spans:
            if name == "age_55_plus" and number.value < AGE_THRESHOLD:
                continue
            tokens = doc.char_span(number.start, number.end, alignment_mode="expand")
            if tokens is not None:
                candidates.append(_Candidate(name, (tokens.start, tokens.end), number.value))
    return candidates


def extract_mentions(text: str) -> list[Mention]:
    """Every finding the text mentions, each with its status (current, negated, hypothetical...).
    The text is read as normalised (bot/triage/normalise.py: text-speak, dropped g's, misspellings);
    evidence, offsets and cues are the person's own characters."""
    return _mentions(normalise(text))


def _mentions(reading: Normalised) -> list[Mention]:
    text = reading.original
    compiled = get_compiled_lexicon()
    doc = make_doc(reading.text)
    cues: dict[str, list[TokenSpan]] = defaultdict(list)
    ignored: dict[str, list[TokenSpan]] = defaultdict(list)
    candidates: list[_Candidate] = []
    for match_id, start, end in compiled.matcher(doc):
        kind, _, name = doc.vocab.strings[match_id].partition(":")
        if kind == "F":
            candidates.append(_Candidate(name, (start, end)))
        elif kind == "C":
            cues[name].append((start, end))
        else:
            ignored[name].append((start, end))
    candidates = [c for c in candidates if not any(c.span[0] < i[1] and i[0] < c.span[1] for i in ignored.get(c.name, ()))]
    # Every reading of a red-flag phrase, also the longer ones dropped below: "can't even manage
    # three steps" is kept as "manage three steps", but its "n't" still belongs to the phrase.
    # Only phrases that carry a negation of their own ("can't put weight on it") hold on to it; in any
    # other a negation in the gap denies the phrase ("my calf isn't swollen", "calf is not red").
    self_negating = compiled.self_negating
    phrase_spans = [c.span for c in candidates if c.name not in INTAKE_FACTS and c.name in self_negating]
    candidates = _drop_overridden(_keep_shortest_per_name(candidates), compiled)
    candidates += _numeric_candidates(reading.text, doc)
    for spans in cues.values():
        spans.sort()

    # Intake facts ("walking fine", "no particular injury") take no part in other findings' scope,
    # so reading them for the intake never changes a red flag.
    finding_spans = [c.span for c in candidates if c.name not in INTAKE_FACTS]
    holding = [c.span for c in candidates if c.name not in INTAKE_FACTS and c.name in self_negating]
    scope = DocScope(doc, compiled.lexicon, cues, finding_spans, phrase_spans + holding, self_negating)
    mentions: list[Mention] = []
    for candidate in sorted(candidates, key=lambda c: (c.span, c.name)):
        tokens = doc[candidate.span[0] : candidate.span[1]]
        start, end = reading.to_original(tokens.start_char, tokens.end_char)
        finding = Finding(candidate.name, text[start:end], start, end, candidate.value)
        verdict = scope.verdict(candidate.span, candidate.name)
        cue_text = _as_written(reading, doc[verdict.cue[0] : verdict.cue[1]]) if verdict.cue else ""
        mentions.append(Mention(finding, verdict.status, cue_text))
        lasting = compiled.lexicon.lasting.get(candidate.name)
        ongoing = scope.ongoing(candidate.span) if lasting and verdict.status is Status.PAST else None
        if lasting and ongoing is not None:
            # "a knock a month ago, still aching": not a recent injury, but one whose trouble goes on.
            mentions.append(
                Mention(
                    dataclasses.replace(finding, name=lasting), Status.CURRENT, _as_written(reading, doc[ongoing[0] : ongoing[1]])
                )
            )
    return mentions


def _as_written(reading: Normalised, span: Span) -> str:
    start, end = reading.to_original(span.start_char, span.end_char)
    return reading.original[start:end]


def extract_findings(text: str) -> list[Finding]:
    """The findings in the text that are the writer's own current complaints, in text order."""
    return [mention.finding for mention in extract_mentions(text) if mention.status is Status.CURRENT]


def screen(text: str, rules: RuleSet | None = None) -> Assessment:
    """Extract findings from one message and assess them."""
    return assess(extract_findings(text), rules)


def assess_conversation(texts: Iterable[str], rules: RuleSet | None = None, known_findings: Iterable[Finding] = ()) -> Assessment:
    """A whole conversation: each message screened and combined, plus the rules applied to all
    findings together, so a sign in one message and its context in another ("my calf is sore" ...
    "I just flew back from Sydney") still meet. `known_findings` (e.g. from the intake answers)
    take part in that joint assessment."""
    rules = rules or load_rules()
    all_findings: list[Finding] = list(known_findings)
    result = assess(all_findings, rules)
    for text in texts:
        findings = extract_findings(text)
        all_findings.extend(findings)
        result = combine(result, assess(findings, rules), rules)
    return combine(result, assess(all_findings, rules), rules)


def read_text(text: str) -> MessageReading:
    """The one reading of a message that every later step reads (bot/triage/annotation.py)."""
    return read_normalised(normalise(text))


def read_normalised(normalised: Normalised) -> MessageReading:
    """`read_text` of a message already normalised (the NLU pipeline normalises once, up front)."""
    text = normalised.original
    mentions = _mentions(normalised)
    return MessageReading(
        text,
        normalised.text,
        tuple(mentions),
        read_screening_answer(normalised, mentions),
        screening_trigger(text, normalised.text, mentions, get_normaliser().is_known),
    )
