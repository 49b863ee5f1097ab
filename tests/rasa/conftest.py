"""The trained model loaded once for the tests that look inside its components."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def loaded_components(trained_model: Path) -> dict[type, Any]:
    """The loaded model's graph components by type (loading takes 10-15 s, so once per run)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(trained_model))
    return {type(node._component): node._component for node in agent.processor.graph_runner._instantiated_nodes.values()}
