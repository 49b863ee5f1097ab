"""Makes an urgent or emergency finding interrupt whatever is going on, on the same turn.

Rules cannot express "after any intent, in any form", and an active form would otherwise take the
turn first, so this policy outranks RulePolicy: when the latest message is itself urgent or
emergency, or it raised the conversation's triage level to urgent or above (a combination across
messages), the next action is the escalation; after it, the assistant listens.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.levels import TriageLevel, highest

ESCALATE = "action_escalate"
EXTRACT_SLOTS = "action_extract_slots"
LEVEL_SLOT = "triage_level"


def _level_before_latest_message(tracker: DialogueStateTracker) -> TriageLevel:
    level: Optional[str] = None
    seen_latest_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered) and not seen_latest_user:
            seen_latest_user = True
            continue
        if seen_latest_user and isinstance(event, SlotSet) and event.key == LEVEL_SLOT:
            level = event.value
            break
    return highest(level)


def _actions_since_latest_message(tracker: DialogueStateTracker) -> List[str]:
    names: List[str] = []
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, ActionExecuted) and event.action_name and event.action_name != EXTRACT_SLOTS:
            names.append(event.action_name)
    return list(reversed(names))


def next_safety_action(tracker: DialogueStateTracker) -> Optional[str]:
    """action_escalate when this turn needs it, action_listen right after it, else None."""
    actions = _actions_since_latest_message(tracker)
    if actions:
        return ACTION_LISTEN_NAME if actions[-1] == ESCALATE else None
    message_level = highest(((tracker.latest_message.parse_data or {}).get("triage") or {}).get("level"))
    level_now = highest(tracker.get_slot(LEVEL_SLOT))
    rose_to_urgent = level_now >= TriageLevel.URGENT and level_now > _level_before_latest_message(tracker)
    if message_level >= TriageLevel.URGENT or rose_to_urgent:
        return ESCALATE
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class RedFlagPolicy(Policy):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # Above RulePolicy (6) so that it wins ties, including over an active form.
        return {"priority": 7}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        featurizer: Any = None,
    ) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        action = next_safety_action(tracker)
        if action is None:
            return self._prediction(probabilities)
        probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities, is_no_user_prediction=True)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "RedFlagPolicy":
        return cls(config, model_storage, resource, execution_context)
