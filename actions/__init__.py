"""Thin rasa_sdk actions: read the tracker, call bot/, turn results into messages and events.

They read each message through the reading the NLU stored on it (bot/triage/annotation.py), never
the text again, so the action server loads neither spaCy nor the lexicon nor the speller.
"""
