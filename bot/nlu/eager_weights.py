"""DIET and the ResponseSelector loaded without tracing a training step they never take.

To give a loaded model its variables, Rasa trains it for one step on one example and then reads the
trained weights over them. In graph mode that step traces the whole training function: for DIET with
entities, its CRF and their gradients. That was most of Rasa's start-up (py-spy of `rasa run`: about
two thirds of its samples), and the starter bot, whose DIET has no entities, pays far less for it.

Here the one step runs eagerly (the variables it makes are overwritten by the trained weights, as
before), and then the prediction function is traced as Rasa traces it, so the first message is not
slower. Fine-tuning (`rasa train --finetune`) keeps Rasa's own loading: it goes on to train.
tests/rasa/test_rasa_tooling.py checks that both loadings parse alike.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.utils.tensorflow.constants import RUN_EAGERLY
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel


def built_eagerly(
    load: Callable[[Dict[Text, Any]], RasaModel], model_data_example: RasaModelData, config: Dict[Text, Any], finetune_mode: bool
) -> RasaModel:
    """Calls Rasa's `_load_model_class` (`load`) with its one-step fit run eagerly, then traces
    prediction on the same example Rasa warms up with."""
    if finetune_mode:
        model: RasaModel = load(config)
        return model
    model = load({**config, RUN_EAGERLY: True})
    model.run_eagerly = False
    model.config[RUN_EAGERLY] = False
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
class EagerlyBuiltDIETClassifier(DIETClassifier):
    """Rasa's DIETClassifier, loaded as described above; trained and run exactly as Rasa's."""

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
            return super(EagerlyBuiltDIETClassifier, cls)._load_model_class(
                tf_model_file, model_data_example, label_data, entity_tag_specs, load_config, finetune_mode
            )

        return built_eagerly(load, model_data_example, config, finetune_mode)
