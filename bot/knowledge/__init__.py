"""Poplit's clinical knowledge: causes, treatments, prevention, exercises and messages as checked
YAML data, and the choice of advice for a symptom profile and triage level. No Rasa here."""

from bot.knowledge.advice import Advice, render_advice
from bot.knowledge.content import (
    Cause,
    Dosing,
    Exercise,
    Note,
    Treatment,
    WarningSign,
    WhenToSeeDoctor,
)
from bot.knowledge.knowledge import Knowledge, load_knowledge
from bot.knowledge.schema import KnowledgeError
from bot.knowledge.vocabulary import RETRIEVAL_TOPIC_KEYS, TOPIC_KEYS

__all__ = [
    "RETRIEVAL_TOPIC_KEYS",
    "TOPIC_KEYS",
    "Advice",
    "Cause",
    "Dosing",
    "Exercise",
    "Knowledge",
    "KnowledgeError",
    "Note",
    "Treatment",
    "WarningSign",
    "WhenToSeeDoctor",
    "load_knowledge",
    "render_advice",
]
