"""Rasa input channels (connectors) used by Poplit."""
