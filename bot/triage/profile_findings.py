"""Intake answers (SymptomProfile) as findings, so the same rules judge the intake and free text."""

from __future__ import annotations

from bot.profile import SymptomProfile
from bot.triage.findings import Finding

# Symptom and mechanical answers that are findings under the same name or another one.
_SYMPTOM_FINDINGS = {
    "swelling": "swelling",
    "lump": "lump",
    "numbness": "numbness",
    "locking": "locking",
    "catching": "catching",
    "giving_way": "giving_way",
}
_WEIGHT_BEARING_FINDINGS = {"cannot_bear_weight": "cannot_bear_weight", "limping": "limping"}


def _from_intake(name: str, question: str, answer: object, value: float | None = None) -> Finding:
    return Finding(name, f"intake {question}: {answer}", -1, -1, value)


def findings_from_profile(profile: SymptomProfile) -> list[Finding]:
    """Findings implied by the intake answers; unanswered or "unknown" answers imply nothing."""
    findings: list[Finding] = []
    calf = profile.location == "calf"
    if profile.swelling == "yes":
        findings.append(_from_intake("calf_swelling" if calf else "swelling", "swelling", "yes"))
    if calf:
        findings.append(_from_intake("calf_pain", "location", "calf"))
    for symptom in sorted(profile.symptoms):
        name = _SYMPTOM_FINDINGS.get(symptom)
        if name == "swelling" and calf:
            name = "calf_swelling"
        if name:
            findings.append(_from_intake(name, "symptoms", symptom))
    for mechanical in sorted(profile.mechanical):
        if mechanical in _SYMPTOM_FINDINGS:
            findings.append(_from_intake(_SYMPTOM_FINDINGS[mechanical], "mechanical", mechanical))
    if profile.weight_bearing in _WEIGHT_BEARING_FINDINGS:
        findings.append(_from_intake(_WEIGHT_BEARING_FINDINGS[profile.weight_bearing], "weight_bearing", profile.weight_bearing))
    if profile.onset == "injury":
        findings.append(_from_intake("recent_injury", "onset", "injury"))
    if "blow_to_knee" in profile.activities:
        findings.append(_from_intake("recent_injury", "activities", "blow_to_knee"))
    if profile.pain_score is not None:
        # The threshold for severe pain lives in rules.yml (severe_pain: at_least pain_score 8).
        findings.append(_from_intake("pain_score", "pain_score", f"{profile.pain_score:g}/10", profile.pain_score))
    return list(dict.fromkeys(findings))
