"""Negation: the project's own scope rules (bot/triage/scope.py) against negspacy's NegEx.

    python -m tests.triage.compare_negation [--termset en_clinical] [--verbose]

Needs `negspacy` (not a project requirement; a measurement only). No Rasa imports.

Method
------
Mentions: `extract_mentions` on every message of every case in vignettes.yml and vignettes_blind.yml
(the engine's phrase matcher finds the spans; both methods judge the same spans).

Two negation decisions per mention:
  project   status == NEGATED (scope.py rules, cues from lexicon.yml)
  negspacy  `ent._.negex` from spacy.blank("en") + sentencizer + negex (chosen termset), the mention
            set as the only entity of the doc (mentions may overlap; ents may not)
Everything else is shared: the project's hypothetical / other-person / past verdict is computed with
its negation check switched off (DocScope._negated patched to None here, bot/ untouched), and a
mention counts as a current finding under a method iff that method does not negate it and the
shared verdict is CURRENT. So the two arms differ only in the negation decision.

Gold, derived from the vignette labels where they are unambiguous (no per-span hand labels):
  must be current   a mention that is evidence for a matched rule whose level lies in the case's
                    [min_level, max_level] (cases with min_level >= see_clinician), under either
                    arm's assessment. Gold answer to "negated?": no.
  must not count    a mention whose finding on its own (assess([finding])) reaches a level above the
                    case's max_level: had it been current, the case would be over its label.
                    - if the shared hypothetical/other/past verdict already drops it, negation is
                      irrelevant for it: no gold for the negation question (counted, not scored)
                    - otherwise only a negation can drop it. Gold answer to "negated?": yes.
  both              conflicting; listed, not scored.      neither: no gold, not scored.
  false negation    gold "no", method says negated  (a current sign dropped: dangerous)
  missed negation   gold "yes", method says not negated (the sign would count: over-triage risk)
Caveat: "must be current" spans come from the engine's rule evidence, so spans that neither arm
keeps current in a correctly labelled urgent case are not in the gold; the triage effect below
does not depend on that selection. A "must not count" mention that is really in the past but
which the shared past rules miss (e.g. "pain was 8/10 last month") is scored as gold "negated" and
counts as a missed negation for both arms alike.

Unit-test sentences (tests/unit/test_triage.py negation tests, gold = the test's expectation) are
scored separately: they were written alongside the project's rules, so they are in-sample for it.

Triage effect: each case re-assessed exactly as assess_conversation does (per message, combined,
plus all findings together) with each arm's current findings; under-/over-triage against labels.
"""

from __future__ import annotations

import argparse
import contextlib
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import spacy
from spacy.tokens import Doc

from bot.levels import TriageLevel
from bot.triage import Assessment, Finding, Mention, Status, assess, assess_conversation, combine, extract_mentions
from bot.triage.rules import RuleSet, load_rules
from bot.triage.scope import DocScope
from tests.triage.vignettes import VIGNETTES, load_cases

BLIND = VIGNETTES.with_name("vignettes_blind.yml")
ARMS = ("project", "negspacy")

# Negation sentences from tests/unit/test_triage.py: (text, finding, gold negated?). The parametrized
# ones are read from the test module; the plain-assert ones are copied here.
_UNIT_EXTRA = [
    ("I can't walk on it", "cannot_bear_weight", False),
    ("it's not getting any better", "not_improving", False),
    ("no swelling, redness or heat", "warmth", True),
    ("no swelling, gradually getting worse", "not_improving", False),
    ("no redness, just getting worse every week", "not_improving", False),
    ("didn't injure it, slowly getting worse over a fortnight", "not_improving", False),
]


def unit_sentences() -> list[tuple[str, str, bool]]:
    from tests.unit import test_triage as t  # pytest is in the venv; importing runs no tests

    def params(test: object) -> list[tuple[str, str]]:
        return [tuple(p) for mark in getattr(test, "pytestmark", []) if mark.name == "parametrize" for p in mark.args[1]]

    cases = [(text, name, True) for text, name in params(t.test_negated_findings_do_not_count)]
    cases += [(text, name, False) for text, name in params(t.test_negation_stops_at_clause_boundaries_and_pseudo_negations)]
    return cases + _UNIT_EXTRA


# ---------------------------------------------------------------- the two negation decisions
@contextlib.contextmanager
def negation_switched_off() -> Iterator[None]:
    original = DocScope._negated
    DocScope._negated = lambda self, span, *rest: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        DocScope._negated = original  # type: ignore[method-assign]


class NegspacyJudge:
    def __init__(self, termset_name: str) -> None:
        import negspacy.negation  # noqa: F401  (registers the "negex" factory)
        from negspacy.termsets import termset

        self.nlp = spacy.blank("en")
        self.nlp.add_pipe("sentencizer")
        self.negex = self.nlp.add_pipe("negex", config={"neg_termset": termset(termset_name).get_patterns()})
        self._docs: dict[str, Doc] = {}

    def negated(self, text: str, start: int, end: int) -> bool:
        if text not in self._docs:
            self._docs[text] = self.nlp.get_pipe("sentencizer")(self.nlp.make_doc(text))
        doc = self._docs[text].copy()
        span = doc.char_span(start, end, label="FINDING", alignment_mode="expand")
        doc.ents = [span]
        self.negex(doc)
        return bool(doc.ents[0]._.negex)


@dataclass
class Judged:
    """One mention with the decisions of both arms; `derived` = a lasting_injury made from a parent."""

    turn: int
    mention: Mention
    shared: Status  # the project's verdict with its negation check off
    negated: dict[str, bool]
    derived: bool = False
    parent: "Judged | None" = None

    @property
    def key(self) -> tuple[int, str, int, int]:
        f = self.mention.finding
        return (self.turn, f.name, f.start, f.end)

    def current(self, arm: str) -> bool:
        if self.derived:
            assert self.parent is not None
            return not self.parent.negated[arm] and self.shared is Status.CURRENT
        return not self.negated[arm] and self.shared is Status.CURRENT


def judge_text(text: str, turn: int, judge: NegspacyJudge) -> list[Judged]:
    with_negation = extract_mentions(text)
    with negation_switched_off():
        without = extract_mentions(text)
    project_negated = {(m.finding.name, m.finding.start, m.finding.end) for m in with_negation if m.status is Status.NEGATED}
    judged: list[Judged] = []
    last_base: dict[tuple[int, int], Judged] = {}
    for m in without:
        f = m.finding
        derived = (
            m.cue != ""
            and m.status is Status.CURRENT
            and (f.start, f.end) in last_base
            and last_base[(f.start, f.end)].shared is Status.PAST
            and f.name == "lasting_injury"
        )
        if derived:
            judged.append(Judged(turn, m, m.status, {}, True, last_base[(f.start, f.end)]))
            continue
        j = Judged(
            turn,
            m,
            m.status,
            {
                "project": (f.name, f.start, f.end) in project_negated,
                "negspacy": judge.negated(text, f.start, f.end),
            },
        )
        last_base[(f.start, f.end)] = j
        judged.append(j)
    # Sanity: the project arm rebuilt from (negation decision + shared verdict) is the engine itself.
    rebuilt = sorted((j.mention.finding.name, j.mention.finding.start) for j in judged if j.current("project"))
    engine = sorted((m.finding.name, m.finding.start) for m in with_negation if m.status is Status.CURRENT)
    assert rebuilt == engine, (text, rebuilt, engine)
    return judged


def conversation(per_turn: list[list[Finding]], rules: RuleSet) -> Assessment:
    """assess_conversation with the findings of each message given."""
    all_findings: list[Finding] = []
    result = assess([], rules)
    for findings in per_turn:
        all_findings.extend(findings)
        result = combine(result, assess(findings, rules), rules)
    return combine(result, assess(all_findings, rules), rules)


# ---------------------------------------------------------------- scoring
@dataclass
class Score:
    scored: int = 0
    correct: Counter = field(default_factory=Counter)
    false_neg: Counter = field(default_factory=Counter)
    missed: Counter = field(default_factory=Counter)
    gold_yes: int = 0
    gold_no: int = 0
    no_gold: Counter = field(default_factory=Counter)
    errors: list = field(default_factory=list)

    def add(self, gold: bool, judged_negated: dict[str, bool], where: str) -> None:
        self.scored += 1
        self.gold_yes += gold
        self.gold_no += not gold
        for arm in ARMS:
            said = judged_negated[arm]
            if said == gold:
                self.correct[arm] += 1
            elif said:
                self.false_neg[arm] += 1
                self.errors.append((arm, "FALSE NEGATION", where))
            else:
                self.missed[arm] += 1
                self.errors.append((arm, "missed negation", where))


def solo_level(finding: Finding, rules: RuleSet) -> TriageLevel:
    return assess([finding], rules).level


def evaluate_file(path: Path, judge: NegspacyJudge, rules: RuleSet) -> tuple[Score, dict, list[str]]:
    score = Score()
    triage: dict[str, dict[str, list]] = {arm: {"under_serious": [], "under": [], "over": []} for arm in ARMS}
    notes: list[str] = []
    cases = load_cases(path)
    for case in cases:
        judged = [j for turn, text in enumerate(case.texts) for j in judge_text(text, turn, judge)]
        results = {}
        for arm in ARMS:
            per_turn = [[j.mention.finding for j in judged if j.turn == t and j.current(arm)] for t in range(len(case.texts))]
            results[arm] = conversation(per_turn, rules)
        engine = assess_conversation(case.texts, rules)
        assert (results["project"].level, results["project"].rule_ids) == (engine.level, engine.rule_ids), case.id

        for arm in ARMS:
            level = results[arm].level
            if level < case.min_level:
                triage[arm]["under"].append(f"{case.id}->{level.value}")
                if case.min_level >= TriageLevel.URGENT:
                    triage[arm]["under_serious"].append(f"{case.id}->{level.value}")
            if level > case.max_level:
                triage[arm]["over"].append(f"{case.id}->{level.value} {list(results[arm].rule_ids)}")

        # gold "must be current": evidence of rules at a level inside the case's label, either arm
        must_current: set[tuple[int, str, int, int]] = set()
        if case.min_level >= TriageLevel.SEE_CLINICIAN:
            for arm in ARMS:
                in_range = {
                    r
                    for r in results[arm].rule_ids
                    if case.min_level <= (rules.level_of(r) or TriageLevel.SELF_CARE) <= case.max_level
                }
                for rule_id, name, words in results[arm].evidence:
                    if rule_id in in_range:
                        must_current |= {
                            j.key
                            for j in judged
                            if not j.derived
                            and j.current(arm)
                            and j.mention.finding.name == name
                            and j.mention.finding.evidence == words
                        }
        for j in judged:
            if j.derived:
                continue
            f = j.mention.finding
            where = f"{case.id}: {f.name} '{f.evidence}' in \"{case.texts[j.turn]}\""
            must_drop = solo_level(f, rules) > case.max_level
            if j.key in must_current and must_drop:
                score.no_gold["conflict"] += 1
                notes.append(f"conflicting gold, not scored: {where}")
            elif j.key in must_current:
                score.add(False, j.negated, where)
            elif must_drop and j.shared is not Status.CURRENT:
                score.no_gold[f"dropped anyway ({j.shared.value})"] += 1
            elif must_drop:
                score.add(True, j.negated, where)
            else:
                score.no_gold["no gold"] += 1
    return score, triage, notes


def evaluate_unit(judge: NegspacyJudge) -> Score:
    score = Score()
    for text, name, gold in unit_sentences():
        for j in judge_text(text, 0, judge):
            if j.mention.finding.name == name and not j.derived:
                score.add(gold, j.negated, f'unit: {name} in "{text}"')
                break
        else:
            score.no_gold[f"finding not found: {name} in {text!r}"] += 1
    return score


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--termset", default="en_clinical", help="negspacy termset (en_clinical, en_clinical_sensitive, en)")
    parser.add_argument("--verbose", action="store_true", help="list every error and triage change")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    started = time.monotonic()
    judge = NegspacyJudge(args.termset)
    rules = load_rules()
    print(f"Negation: project scope rules vs negspacy NegEx (termset {args.termset}); rule set {rules.version}\n")

    rows = []
    all_notes: list[str] = []
    all_errors: list = []
    triage_rows = []
    for path in (VIGNETTES, BLIND):
        score, triage, notes = evaluate_file(path, judge, rules)
        rows.append((path.name, score))
        triage_rows.append((path.name, len(load_cases(path)), triage))
        all_notes += notes
        all_errors += score.errors
    unit = evaluate_unit(judge)
    rows.append(("unit tests (in-sample)", unit))
    all_errors += unit.errors

    header = f"{'data':<24}{'method':<10}{'scored':>7}{'gold neg':>9}{'accuracy':>10}{'false neg':>10}{'missed neg':>11}"
    print("Span level, negated or not (gold derived from case labels; see module docstring)")
    print(header)
    print("-" * len(header))
    for name, s in rows:
        for arm in ARMS:
            acc = s.correct[arm] / s.scored if s.scored else 0.0
            print(
                f"{name if arm == 'project' else '':<24}{arm:<10}{s.scored:>7}{s.gold_yes:>9}{acc:>10.1%}"
                f"{s.false_neg[arm]:>10}{s.missed[arm]:>11}"
            )
    for name, s in rows:
        if s.no_gold:
            print(f"  not scored ({name}): " + ", ".join(f"{k} {v}" for k, v in sorted(s.no_gold.items())))

    print("\nTriage effect (only the negation decision differs between arms)")
    header = f"{'data':<24}{'method':<10}{'cases':>6}{'under urg/emerg':>16}{'under (any)':>12}{'over':>6}"
    print(header)
    print("-" * len(header))
    for name, n, triage in triage_rows:
        for arm in ARMS:
            t = triage[arm]
            print(
                f"{name if arm == 'project' else '':<24}{arm:<10}{n:>6}{len(t['under_serious']):>16}"
                f"{len(t['under']):>12}{len(t['over']):>6}"
            )
    for name, _, triage in triage_rows:
        for kind in ("under_serious", "under", "over"):
            new = [c for c in triage["negspacy"][kind] if c not in triage["project"][kind]]
            gone = [c for c in triage["project"][kind] if c not in triage["negspacy"][kind]]
            if new or gone:
                print(f"  {name} {kind}: negspacy adds {new or '-'}; removes {gone or '-'}")

    if args.verbose:
        print("\nSpan errors:")
        for arm, kind, where in sorted(all_errors):
            print(f"  [{arm}] {kind}: {where}")
        for note in all_notes:
            print(f"  {note}")
    else:
        print(
            f"\n({sum(1 for e in all_errors if e[0] == 'negspacy')} negspacy and "
            f"{sum(1 for e in all_errors if e[0] == 'project')} project span errors; --verbose lists them)"
        )
    print(f"{time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
