"""Thin rasa_sdk actions: read the tracker, call bot/, turn results into messages and events."""

from bot.triage import extract_mentions

# The intake reads answers with the triage engine's reader. Building its spaCy pipeline and matchers
# takes 1-2 s; done here, before the action server reports healthy, so the first message's action
# call does not spend that time against Rasa's action time limit.
extract_mentions("warm-up")
