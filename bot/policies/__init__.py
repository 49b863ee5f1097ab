"""Custom Rasa dialogue policies: thin adapters over bot.triage results."""
