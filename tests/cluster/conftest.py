"""One cluster for the cluster tests (`make test-cluster`): HAProxy in front of two Rasa instances, two
action servers and two follow-up workers, started by scripts/cluster.sh as `make cluster` does.

PostgreSQL and Redis are the machine's, each reached through a FaultProxy so the fault tests can take
them away without touching the servers themselves. Slack and Telegram point at local stand-ins. The
tests in test_cluster.py run first; test_faults.py kills and cuts things, then waits for recovery.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
import redis

from tests.support.assistant import RunningAssistant, running_assistant
from tests.support.databases import REDIS_HOST, REDIS_PORT, fresh_postgres_database
from tests.support.fault_proxy import FaultProxy
from tests.support.slack_api import SlackStandIn
from tests.support.telegram_api import TelegramStandIn

# A Redis database of its own, emptied at the start, so nothing from other runs is "already seen".
REDIS_DB = 3


@pytest.fixture(scope="session")
def postgres_line() -> Iterator[FaultProxy]:
    proxy = FaultProxy("127.0.0.1", 5432)
    yield proxy
    proxy.close()


@pytest.fixture(scope="session")
def redis_line() -> Iterator[FaultProxy]:
    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()
    proxy = FaultProxy(REDIS_HOST, REDIS_PORT)
    yield proxy
    proxy.close()


@pytest.fixture(scope="session")
def cluster_database() -> str:
    """The cluster's PostgreSQL database, as tests reach it directly (the cluster goes through the proxy)."""
    return fresh_postgres_database("poplit_cluster_test")


@pytest.fixture(scope="session")
def cluster(
    trained_model: Path,
    cluster_database: str,
    slack_api: SlackStandIn,
    telegram_api: TelegramStandIn,
    postgres_line: FaultProxy,
    redis_line: FaultProxy,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RunningAssistant]:
    env = {
        **slack_api.assistant_env(),
        **telegram_api.assistant_env(),
        "DATABASE_URL": cluster_database.replace(":5432/", f":{postgres_line.port}/"),
        "REDIS_URL": f"redis://127.0.0.1:{redis_line.port}/{REDIS_DB}",
        "RASA_INSTANCES": "2",
        # Rasa's calls to the action servers give up after this (the action-server fault waits for it).
        "POPLIT_ACTION_TIMEOUT_SECONDS": "3",
        # The workers look every second, and a check-in a dead worker had claimed is free again after 8 s.
        "FOLLOWUPS_INTERVAL": "1",
        "FOLLOWUPS_LEASE_SECONDS": "8",
    }
    with running_assistant(tmp_path_factory.mktemp("cluster-var"), env=env, cluster=True) as running:
        yield running
