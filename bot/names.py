"""The names Rasa's files and Poplit's code share: slots, intents, actions, responses and the keys
Poplit adds to a message's parse data. Code refers to these constants; domain.yml, config.yml and
the training data spell the same strings (a test checks that every one is declared there)."""

from __future__ import annotations

# Slots
TRIAGE_LEVEL = "triage_level"
RED_FLAGS = "red_flags"
ESCALATION_MESSAGE = "escalation_message"
ESCALATION_EVIDENCE = "escalation_evidence"
ESCALATION_RECORD = "escalation"
REQUESTED_SLOT = "requested_slot"
ASSESSMENT_DONE = "assessment_done"
DISCLAIMER_GIVEN = "disclaimer_given"
INTAKE_MISSES = "intake_misses"
PAIN_DURATION_DAYS = "pain_duration_days"
# Set when the person confirms "delete my data": the tracker store then erases the conversation.
ERASE_CONVERSATION = "erase_conversation"
DELETE_REQUESTED = "delete_requested"
# The exercise talked about last: a follow-up that only refers back ("how long do I hold it?") is about it.
LAST_EXERCISE = "last_exercise"
# The knowledge topic answered last: a short follow-up that names no subject ("will it burst?") is about it.
LAST_TOPIC = "last_topic"
# The red-flag screening question's answer (bot/triage/screening.py), the intake form's first slot.
RED_FLAG_SCREEN = "red_flag_screen"

# Intents
DESCRIBE_SYMPTOMS = "describe_symptoms"
# Started by the follow-up scheduler through trigger_intent, never typed.
EXTERNAL_CHECK_IN = "EXTERNAL_check_in"

# Actions and forms
ACTION_ASSESS = "action_assess"
ACTION_ANSWER_QUESTION = "action_answer_question"
INTAKE_FORM = "symptom_intake_form"
VALIDATE_INTAKE_FORM = "validate_symptom_intake_form"

# Responses said by Rasa itself (bot/policies)
UTTER_ESCALATION = "utter_escalation"
UTTER_ESCALATION_EVIDENCE = "utter_escalation_evidence"
UTTER_SERVICE_TROUBLE = "utter_service_trouble"
ASK_PREFIX = "utter_ask_"

# Keys Poplit's NLU components add to a message's parse data
TRIAGE_KEY = "triage"
DEFERRED_QUESTION_KEY = "deferred_question"
QUESTION_PART_KEY = "question_part"

SLOTS = (
    TRIAGE_LEVEL,
    RED_FLAGS,
    ESCALATION_MESSAGE,
    ESCALATION_EVIDENCE,
    ESCALATION_RECORD,
    ASSESSMENT_DONE,
    DISCLAIMER_GIVEN,
    INTAKE_MISSES,
    PAIN_DURATION_DAYS,
    ERASE_CONVERSATION,
    DELETE_REQUESTED,
    RED_FLAG_SCREEN,
    LAST_EXERCISE,
    LAST_TOPIC,
)
INTENTS = (DESCRIBE_SYMPTOMS, EXTERNAL_CHECK_IN)
RESPONSES = (UTTER_ESCALATION, UTTER_ESCALATION_EVIDENCE, UTTER_SERVICE_TROUBLE)
ACTIONS = (ACTION_ASSESS, ACTION_ANSWER_QUESTION, VALIDATE_INTAKE_FORM)
