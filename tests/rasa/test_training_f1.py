"""DIET's training step without the CRF decode (bot/nlu/training_f1.py) computes Rasa's own entity loss."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest

from bot.nlu.eager_weights import EagerlyBuiltDIETClassifier
from bot.nlu.training_f1 import DIETWithoutTrainingDecode
from tests.support.model_archive import extract_component_files

pytestmark = pytest.mark.rasa


def test_the_entity_loss_is_rasas_and_only_the_progress_f1_is_read_differently(
    trained_model: Path, loaded_components: dict[type, Any], tmp_path: Path
) -> None:
    from rasa.nlu.classifiers.diet_classifier import DIET
    from rasa.utils.tensorflow.data_generator import RasaDataGenerator
    from rasa.utils.tensorflow.feature_array import deserialize_nested_feature_arrays
    from rasa.utils.tensorflow.model_data import RasaModelData

    diet = loaded_components[EagerlyBuiltDIETClassifier]
    assert isinstance(diet.model, DIETWithoutTrainingDecode)

    # The one training example the model keeps, with its entity tags, as a batch.
    name = EagerlyBuiltDIETClassifier.__name__
    folder = extract_component_files(trained_model, f"{name}.data_example", tmp_path)
    example = deserialize_nested_feature_arrays(
        str(folder / f"{name}.data_example.st"), str(folder / f"{name}.data_example_metadata.json")
    )
    assert np.asarray(example["entities"]["entity"][0][0]).max() > 0  # it has entities to score
    batch = RasaDataGenerator.prepare_batch(RasaModelData(diet.label_key, diet.label_sub_key, data=example).data)

    def entity_loss_and_f1() -> tuple[float, float]:
        diet.model.entity_loss.reset_state()
        diet.model.entity_f1.reset_state()
        diet.model.batch_loss(batch)
        return float(diet.model.entity_loss.result()), float(diet.model.entity_f1.result())

    ours = entity_loss_and_f1()
    with mock.patch.object(DIETWithoutTrainingDecode, "_calculate_entity_loss", DIET._calculate_entity_loss):
        rasas = entity_loss_and_f1()
    assert ours[0] == rasas[0] > 0
    assert ours[1] == pytest.approx(rasas[1], abs=0.05)
