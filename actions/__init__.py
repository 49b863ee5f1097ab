"""Thin rasa_sdk actions: read the tracker, call bot/, turn results into messages and events."""
