"""Custom Rasa NLU components: thin adapters over bot.triage (the only Rasa imports besides actions/)."""
