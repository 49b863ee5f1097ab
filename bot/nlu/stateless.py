"""The base of Poplit's pipeline steps that have nothing to train or store."""

from __future__ import annotations

from typing import Any, Dict, Text, Type, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData

C = TypeVar("C", bound="StatelessComponent")


class StatelessComponent(GraphComponent):
    """Made without configuration, leaves the training data as it is; `warm_up` loads, when the model
    loads, what the first message would otherwise wait for."""

    @classmethod
    def create(
        cls: Type[C],
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> C:
        cls.warm_up()
        return cls()

    @classmethod
    def warm_up(cls) -> None:
        pass

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
