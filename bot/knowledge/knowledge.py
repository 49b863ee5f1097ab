"""The loaded knowledge: topic answers, level messages and advice for a symptom profile."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from bot.knowledge.advice import (
    Advice,
    choose_exercises,
    choose_treatments,
    fill_emergency_number,
    flat_tags,
    profile_facts,
    rank_contributors,
)
from bot.knowledge.content import Cause, Exercise, Treatment, WhenToSeeDoctor
from bot.knowledge.exercise_questions import ExerciseQuestion, answer_exercise_question, read_exercise_question
from bot.knowledge.schema import Content, read_content
from bot.knowledge.vocabulary import (
    EXERCISE_INTENT,
    OVERVIEW_OF_INTENT,
    TOPIC_KEYS,
    WHEN_TO_SEE_DOCTOR,
)
from bot.levels import TriageLevel
from bot.profile import SymptomProfile

KNOWLEDGE_DIR = Path(__file__).resolve().parent


class Knowledge:
    """Read-only view over the checked content; build it with load_knowledge()."""

    def __init__(self, content: Content) -> None:
        self.content = content
        self.causes: tuple[Cause, ...] = content.causes
        self.treatments: tuple[Treatment, ...] = content.treatments
        self.exercises: tuple[Exercise, ...] = content.exercises
        self.when_to_see_doctor: WhenToSeeDoctor = content.when_to_see_doctor
        self.disclaimer: str = content.notes["disclaimer"].text
        self._answers = _topic_answers(content)

    def topic_keys(self) -> list[str]:
        return list(TOPIC_KEYS)

    def answer(self, topic_key: str, level: TriageLevel | str = TriageLevel.SELF_CARE) -> str:
        """The answer to a question topic (`intent/sub`); an unknown sub gets its intent's overview.

        At urgent and emergency, exercise questions get "exercise advice waits until you've been
        seen" instead of exercises, and every answer ends with a reminder to get help.
        """
        level = TriageLevel(level)
        key = topic_key if topic_key in self._answers else self._overview_of(topic_key)
        notes = self.content.notes
        text = self._answers[key]
        if key.startswith(EXERCISE_INTENT + "/") and not level.allows_exercise_advice:
            text = notes["exercise_on_hold"].text
        if level is TriageLevel.URGENT:
            text += " " + notes["reminder_urgent"].text
        elif level is TriageLevel.EMERGENCY:
            text += " " + notes["reminder_emergency"].text
        return text

    def personal_answer(self, topic_key: str, advice: Advice) -> str | None:
        """The answer to a question asked after an assessment, from that person's own plan: the
        exercises and treatments they were given, the contributors that were listed. None when the
        plan has nothing more specific than the general answer."""
        intent, _, sub = topic_key.partition("/")
        if intent == EXERCISE_INTENT and sub in ("", "which", "overview", "hamstring_stretch") and advice.exercises:
            lines = [f"{exercise.name}: {exercise.dose_text}, {exercise.frequency_text}" for exercise in advice.exercises]
            return (
                "For what you described, these are the exercises I'd start with:\n"
                + "\n".join(f"- {line}" for line in lines)
                + (f"\n{advice.pain_rule}" if advice.pain_rule else "")
            )
        if intent == "ask_treatment" and sub in ("", "overview") and advice.treatments:
            heading = (
                "For what you described, these tend to help:"
                if advice.level.allows_exercise_advice
                else "Until you've been seen:"
            )
            return heading + "\n" + "\n".join(f"- {treatment.advice}" for treatment in advice.treatments)
        if intent == "ask_causes":
            listed = {cause.topic: cause for cause in advice.contributors if cause.topic}
            if topic_key in listed:
                cause = listed[topic_key]
                return f"{cause.name} came up because of what you described, as one possibility among others. {cause.summary}"
            if sub in ("", "overview") and advice.contributors:
                return (
                    "From what you described, these could be playing a part (only a clinician can say for sure):\n"
                    + "\n".join(f"- {cause.possibility}" for cause in advice.contributors)
                )
        return None

    def pain_story_hint(self, topic_key: str) -> str | None:
        """What a described way of hurting can point to, for a person who describes rather than asks:
        a cause's "could be" line or a way of hurting's hint, with the caveat. None for other topics."""
        cause = next((cause for cause in self.causes if cause.topic == topic_key), None)
        note = next((note for note in self.content.notes.values() if note.topic == topic_key and note.hint), None)
        hint = cause.possibility if cause else note.hint if note else None
        return f"{hint} {self.content.notes['pain_story_caveat'].text}" if hint else None

    def exercise_question(self, text: str, last_exercise: str | None) -> ExerciseQuestion | None:
        """The question about an exercise in `text` (named, or `last_exercise` referred back to)."""
        return read_exercise_question(text, self.exercises, last_exercise)

    def exercise_answer(self, question: ExerciseQuestion, level: TriageLevel | str = TriageLevel.SELF_CARE) -> str:
        """The answer from the exercise's own entry; after an urgent or emergency flag, that exercise
        advice waits until the person has been seen (as every exercise answer does)."""
        level = TriageLevel(level)
        if not level.allows_exercise_advice:
            return self.answer(EXERCISE_INTENT + "/which", level)
        return answer_exercise_question(question, self.content.notes["pain_ok"].text)

    def exercise_of_topic(self, topic_key: str) -> Exercise | None:
        """The exercise whose own topic answer this is (ask_exercises/hamstring_stretch), if any."""
        return next((exercise for exercise in self.exercises if exercise.topic == topic_key), None)

    @staticmethod
    def _overview_of(topic_key: str) -> str:
        intent = topic_key.split("/", 1)[0]
        if intent not in OVERVIEW_OF_INTENT:
            raise KeyError(f"no knowledge topic for intent {intent!r} (topic {topic_key!r})")
        return OVERVIEW_OF_INTENT[intent]

    def level_message(self, level: TriageLevel | str, emergency_number: str) -> str:
        return fill_emergency_number(self.content.level_messages[TriageLevel(level)].text, emergency_number)

    def advise(self, profile: SymptomProfile, level: TriageLevel | str, emergency_number: str | None = None) -> Advice:
        """Advice matched to the profile; exercise only at self_care and see_clinician.

        Without `emergency_number` the emergency message keeps its placeholder for render_advice.
        """
        level = TriageLevel(level)
        facts = profile_facts(profile)
        tags = flat_tags(facts)
        contributors = rank_contributors(self.causes, facts, self.content.min_score)
        exercises = (
            choose_exercises(self.exercises, self.content.starters, contributors, self.content.profile_targets, tags)
            if level.allows_exercise_advice
            else []
        )
        message = self.content.level_messages[level].text
        return Advice(
            level=level,
            contributors=contributors,
            treatments=choose_treatments(self.treatments, level, contributors, tags),
            exercises=exercises,
            when_to_get_help=self.content.notes["when_to_get_help"].text,
            level_message=fill_emergency_number(message, emergency_number) if emergency_number else message,
            pain_rule=self.content.notes["pain_ok"].text if exercises else "",
        )


def _topic_answers(content: Content) -> dict[str, str]:
    answers: dict[str, str] = {WHEN_TO_SEE_DOCTOR: content.when_to_see_doctor.text}
    for cause in content.causes:
        if cause.topic:
            answers[cause.topic] = cause.summary
    for treatment in content.treatments:
        if treatment.topic:
            answers[treatment.topic] = treatment.summary
    for exercise in content.exercises:
        if exercise.topic:
            answers[exercise.topic] = exercise.how_to
    for note in content.notes.values():
        if note.topic:
            answers[note.topic] = note.text
    return answers


@lru_cache(maxsize=1)
def _default_knowledge() -> Knowledge:
    return Knowledge(read_content(KNOWLEDGE_DIR))


def load_knowledge(directory: Path | None = None) -> Knowledge:
    """The checked knowledge in `directory` (default: this package, loaded once and cached).

    Raises KnowledgeError naming every file, entry and field that breaks the schema.
    """
    if directory is None or Path(directory).resolve() == KNOWLEDGE_DIR:
        return _default_knowledge()
    return Knowledge(read_content(Path(directory)))
