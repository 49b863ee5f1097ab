"""Poplit's own tables (apart from Rasa's tracker store): SQLite by default, PostgreSQL by URL."""

from bot.store.audit import EscalationRecord, list_escalations, record_escalation, save_escalation
from bot.store.database import StoreUnavailable, database_url, open_store

__all__ = [
    "EscalationRecord",
    "StoreUnavailable",
    "database_url",
    "list_escalations",
    "open_store",
    "record_escalation",
    "save_escalation",
]
