"""Poplit domain core: triage, knowledge, stores and follow-ups, free of Rasa imports."""
