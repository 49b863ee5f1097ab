"""DIET and the ResponseSelector, built eagerly at load (bot/nlu/eager_weights.py), hold exactly the
trained weights and predict through a traced graph, as Rasa's own loading leaves them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tensorflow as tf

from bot.nlu.eager_weights import EagerlyBuiltDIETClassifier
from bot.nlu.question_response_selector import QuestionResponseSelector
from tests.support.model_archive import extract_component_files

pytestmark = pytest.mark.rasa


def _checkpoint_tensors(archive: Path, component: str, scratch: Path) -> list[np.ndarray]:
    folder = extract_component_files(archive, f"{component}.tf_model.", scratch)
    reader = tf.train.load_checkpoint(str(folder / f"{component}.tf_model"))
    return [np.asarray(reader.get_tensor(name)) for name in reader.get_variable_to_shape_map() if "optimizer" not in name.lower()]


def test_models_built_eagerly_hold_the_trained_weights_and_predict_in_graph_mode(
    trained_model: Path, loaded_components: dict[type, Any], tmp_path: Path
) -> None:
    for component_type in (EagerlyBuiltDIETClassifier, QuestionResponseSelector):
        model = loaded_components[component_type].model
        assert model.run_eagerly is False
        assert model._tf_predict_step is not None  # traced at load, as Rasa's warm-up does
        saved = _checkpoint_tensors(trained_model, component_type.__name__, tmp_path / component_type.__name__)
        weights = [np.asarray(variable.numpy()) for variable in model.variables]
        saved_weights = [tensor for tensor in saved if tensor.ndim >= 2]
        assert len(saved_weights) >= 5
        for tensor in saved_weights:
            # Every trained weight is in the model, not the values the one eager step left there.
            # Rasa's randomly connected layers zero their masked-out weights on every call, so a
            # kernel equals the saved one wherever the layer keeps a connection (and most it drops).
            assert any(w.shape == tensor.shape and _equal_where_connected(w, tensor) for w in weights), tensor.shape


def _equal_where_connected(weight: np.ndarray, saved: np.ndarray) -> bool:
    connected = weight != 0
    return bool(connected.mean() > 0.15 and np.array_equal(weight[connected], saved[connected]))
