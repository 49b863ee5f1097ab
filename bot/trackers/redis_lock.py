"""A conversation lock for several Rasa instances that is safe under races, on Redis's atomic steps.

Rasa 3.6's RedisLockStore reads the ticket queue with GET and writes it back with SET, so two instances
can both see the lock free and both go ahead (RasaHQ/rasa #9213; the fix, PR #11256, was reverted in
#11428). Its SQL tracker store relies on the lock to append a turn's events once and in order. Here a
lock is one key taken with `SET key token NX PX lease` and released by a Lua script that deletes it only
while it still holds this holder's token, so a holder whose lease ran out never frees the lock of the
one that came after it.

The lease is short (5 s) and the holder renews it every third of it while its turn runs (the same
token check, then PEXPIRE), so a turn may take as long as it needs, while the lock of an instance that
dies mid-turn lapses within the lease: that person's next message, taken by another instance, waits at
most that long rather than Rasa's 60 s lock lifetime.

Configured in endpoints.yml like Rasa's own:

    lock_store:
      type: bot.trackers.redis_lock.AtomicRedisLockStore
      url: redis://127.0.0.1:6379/0
      key_prefix: poplit        # optional
      lease_seconds: 5          # how long a lock outlives a holder that stopped renewing it (died)
      wait_seconds: 60          # how long a message waits for the conversation before LockError
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig
from redis.exceptions import RedisError

from bot.shared_memory import KEY_PREFIX, redis_client

logger = logging.getLogger(__name__)

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
DEFAULT_LEASE_SECONDS = 5.0
DEFAULT_WAIT_SECONDS = 60.0
# Polling backs off from the first to the last, so a short turn's waiter gets in quickly and a long
# one is not hammered.
FIRST_POLL_SECONDS = 0.005
LAST_POLL_SECONDS = 0.1


class LockStoreUnavailable(LockError):
    """Redis could not be reached to take or free a conversation's lock."""


class AtomicRedisLockStore(LockStore):
    def __init__(
        self,
        endpoint_config: Optional[EndpointConfig] = None,
        *,
        url: Optional[str] = None,
        key_prefix: str = KEY_PREFIX,
        lease_seconds: Optional[float] = None,
        wait_seconds: Optional[float] = None,
    ) -> None:
        settings: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        self.url = url or (endpoint_config.url if endpoint_config else None)
        if not self.url or not str(self.url).startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"the lock store needs `url: redis://host:port/db`, got {self.url!r}")
        self.key_prefix = str(settings.get("key_prefix", key_prefix))
        self.lease_seconds = float(lease_seconds or settings.get("lease_seconds") or DEFAULT_LEASE_SECONDS)
        self.wait_seconds = float(wait_seconds or settings.get("wait_seconds") or DEFAULT_WAIT_SECONDS)
        self._redis: Any = None
        self._release: Any = None
        self._renew: Any = None

    def _client(self) -> Any:
        # Made on first use, inside the server's event loop (an asyncio client belongs to one loop).
        if self._redis is None:
            self._redis = redis_client(str(self.url))
            self._release = self._redis.register_script(_RELEASE)
            self._renew = self._redis.register_script(_RENEW)
        return self._redis

    def key(self, conversation_id: Text) -> str:
        return f"{self.key_prefix}:lock:{conversation_id}"

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: Text,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Holds the conversation's lock for the body of the `with`; LockError when it cannot be had
        within `wait_seconds`, LockStoreUnavailable when Redis does not answer."""
        token = secrets.token_hex(16)
        key = self.key(conversation_id)
        await self._acquire(key, token, conversation_id)
        renewing = asyncio.create_task(self._keep(key, token, conversation_id))
        try:
            yield TicketLock(conversation_id)
        finally:
            renewing.cancel()
            await self._free(key, token, conversation_id)

    async def _keep(self, key: str, token: str, conversation_id: str) -> None:
        """Renews the lease every third of it while the turn runs."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                if not await self._renew(keys=[key], args=[token, int(self.lease_seconds * 1000)]):
                    logger.warning("conversation %s's lock lapsed during its turn (Redis was away too long)", conversation_id)
                    return
            except (RedisError, OSError) as error:
                logger.warning("could not renew a conversation's lock (Redis: %s); trying again", error)

    async def _acquire(self, key: str, token: str, conversation_id: str) -> None:
        client = self._client()
        deadline = time.monotonic() + self.wait_seconds
        pause = FIRST_POLL_SECONDS
        while True:
            try:
                if await client.set(key, token, nx=True, px=int(self.lease_seconds * 1000)):
                    return
            except (RedisError, OSError) as error:
                raise LockStoreUnavailable(f"the lock store (Redis at {self.url}) is not answering: {error}") from error
            if time.monotonic() >= deadline:
                raise LockError(f"conversation '{conversation_id}' stayed locked for {self.wait_seconds:.0f} s")
            await asyncio.sleep(pause)
            pause = min(LAST_POLL_SECONDS, pause * 2)

    async def _free(self, key: str, token: str, conversation_id: str) -> None:
        try:
            freed = await self._release(keys=[key], args=[token])
        except (RedisError, OSError) as error:
            # The lock's lifetime frees it; the turn itself is done.
            logger.warning("could not free the lock of a conversation (Redis: %s); it lapses by itself", error)
            return
        if not freed:
            logger.warning("conversation %s's lock had lapsed before its turn ended", conversation_id)

    # Rasa's ticket-queue interface: nothing in Rasa 3.6 calls these outside `lock()`, which is replaced.
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return None

    def delete_lock(self, conversation_id: Text) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None
