"""Rasa tracker stores for Poplit (adapters: the only Rasa code here)."""
