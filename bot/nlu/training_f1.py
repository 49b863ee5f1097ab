"""DIET's training-time entity F1 read from the per-token scores, not from a Viterbi decode.

At every training step Rasa decodes the CRF (`crf_decode`) only to show an entity F1 in the
progress bar; nothing trains on it. Inside the training step's gradient tape, TensorFlow builds
gradient functions for the decode's `tf.cond` and while loops although none is ever taken: a py-spy
profile of `rasa train` put 16.5 s of the 45 s spent tracing DIET's training step in it, and each
step ran the decode too.

Here the progress bar's F1 is that of the best tag per token (the CRF's unary scores). The loss,
the gradients, the weights and so the trained model are Rasa's, and prediction still decodes with
the CRF.
"""

from __future__ import annotations

from typing import Optional, Text, Tuple

import tensorflow as tf
from rasa.nlu.classifiers.diet_classifier import DIET


class DIETWithoutTrainingDecode(DIET):
    def _calculate_entity_loss(
        self,
        inputs: tf.Tensor,
        tag_ids: tf.Tensor,
        mask: tf.Tensor,
        sequence_lengths: tf.Tensor,
        tag_name: Text,
        entity_tags: Optional[tf.Tensor] = None,
    ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        tag_ids = tf.cast(tag_ids[:, :, 0], tf.int32)
        if entity_tags is not None:
            inputs = tf.concat([inputs, self._tf_layers[f"embed.{tag_name}.tags"](entity_tags)], axis=-1)
        logits = self._tf_layers[f"embed.{tag_name}.logits"](inputs)

        crf = self._tf_layers[f"crf.{tag_name}"]
        if not crf.built:  # Rasa built it by calling it (the decode); same scope, same variable
            with tf.name_scope(crf.name):
                crf._maybe_build(logits)
        loss = crf.loss(logits, tag_ids, sequence_lengths)
        predicted = tf.argmax(logits, axis=-1, output_type=tf.int32)
        f1 = crf.f1_score(tag_ids, predicted, mask)
        return loss, f1, logits
