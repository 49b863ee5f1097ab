"""The project's own spaCy pipeline: blank English with lookup lemmas.

No pretrained English model can be installed here, and the NLU only needs tokens and lemmas,
so Rasa's SpacyNLP loads this folder and the triage engine builds the same pipeline in memory.
"""

from __future__ import annotations

from pathlib import Path

import spacy
from spacy.language import Language

PIPELINE_NAME = "en_poplit"


def build_pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # Loads the lookup table from spacy-lookups-data; fails loudly if that package is missing.
    nlp.initialize()
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = "Poplit: blank English tokenizer with lookup lemmas"
    return nlp


def save_pipeline(directory: Path) -> Path:
    directory.parent.mkdir(parents=True, exist_ok=True)
    build_pipeline().to_disk(directory)
    return directory
