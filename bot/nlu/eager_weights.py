"""DIET and the ResponseSelector loaded without tracing a training step they never take.

To give a loaded model its variables, Rasa trains it for one step on one example and then reads the
trained weights over them. In graph mode that step traces the whole training function and its
gradients. When Poplit's DIET still extracted entities (its CRF), that was most of Rasa's start-up
(py-spy of `rasa run`: about three quarters of its samples); it is still a trace nobody uses.

Here the one step runs eagerly (the variables it makes are overwritten by the trained weights, as
before), and then the prediction function is traced as Rasa traces it, so the first message is not
slower. Fine-tuning (`rasa train --finetune`) keeps Rasa's own loading: it goes on to train.
tests/rasa/test_eager_weights.py checks that the loaded models hold the trained weights and predict
in graph mode; `make bench` shows the start-up (its "of which Rasa" row).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.utils.tensorflow.constants import RUN_EAGERLY
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel


class EagerWeightsOnLoad:
    """Mixed into a DIETClassifier (or a subclass such as the ResponseSelector) before it: its model
    is loaded as described above, and trained and run exactly as Rasa's."""

    @classmethod
    def _load_model_class(
        cls,
        tf_model_file: Text,
        model_data_example: RasaModelData,
        label_data: RasaModelData,
        entity_tag_specs: List[Any],
        config: Dict[Text, Any],
        finetune_mode: bool,
    ) -> RasaModel:
        def load(load_config: Dict[Text, Any]) -> RasaModel:
            model: RasaModel = super(EagerWeightsOnLoad, cls)._load_model_class(  # type: ignore[misc]
                tf_model_file, model_data_example, label_data, entity_tag_specs, load_config, finetune_mode
            )
            return model

        if finetune_mode:  # fine-tuning goes on to train: Rasa's own graph-mode step
            return load(config)
        model = load({**config, RUN_EAGERLY: True})
        model.run_eagerly = False
        model.config[RUN_EAGERLY] = False
        # The warm-up Rasa does, now in graph mode: the first message does not pay for the tracing.
        model.run_inference(
            RasaModelData(
                label_key=model_data_example.label_key,
                data={name: features for name, features in model_data_example.items() if TEXT in name},
            )
        )
        return model


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR],
    is_trainable=True,
)
class EagerlyBuiltDIETClassifier(EagerWeightsOnLoad, DIETClassifier):
    """Rasa's DIETClassifier, loaded as described above."""
