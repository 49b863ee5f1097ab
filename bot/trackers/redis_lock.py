"""A conversation lock for several Rasa instances that is safe under races, on Redis's atomic steps.

Rasa 3.6's RedisLockStore reads the ticket queue with GET and writes it back with SET, so two instances
can both see the lock free and both go ahead (RasaHQ/rasa #9213; the fix, PR #11256, was reverted in
#11428). Its SQL tracker store relies on the lock to append a turn's events once and in order. Here a
lock is one key taken with `SET key token NX PX lifetime` and released by a Lua script that deletes it
only while it still holds this holder's token, so a holder whose lifetime ran out never frees the lock
of the one that came after it.

Configured in endpoints.yml like Rasa's own:

    lock_store:
      type: bot.trackers.redis_lock.AtomicRedisLockStore
      url: redis://127.0.0.1:6379/0
      key_prefix: poplit        # optional
      lock_lifetime: 60         # seconds a holder may keep it (Rasa's TICKET_LOCK_LIFETIME by default)
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
        lock_lifetime: Optional[float] = None,
        wait_seconds: Optional[float] = None,
    ) -> None:
        settings: dict[str, Any] = dict(endpoint_config.kwargs) if endpoint_config else {}
        self.url = url or (endpoint_config.url if endpoint_config else None)
        if not self.url or not str(self.url).startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"the lock store needs `url: redis://host:port/db`, got {self.url!r}")
        self.key_prefix = str(settings.get("key_prefix", key_prefix))
        self.lock_lifetime = float(lock_lifetime or settings.get("lock_lifetime") or LOCK_LIFETIME)
        self.wait_seconds = float(wait_seconds or settings.get("wait_seconds") or self.lock_lifetime)
        self._redis: Any = None
        self._release: Any = None

    def _client(self) -> Any:
        # Made on first use, inside the server's event loop (an asyncio client belongs to one loop).
        if self._redis is None:
            self._redis = redis_client(str(self.url))
            self._release = self._redis.register_script(_RELEASE)
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
        try:
            yield TicketLock(conversation_id)
        finally:
            await self._free(key, token, conversation_id)

    async def _acquire(self, key: str, token: str, conversation_id: str) -> None:
        client = self._client()
        deadline = time.monotonic() + self.wait_seconds
        pause = FIRST_POLL_SECONDS
        while True:
            try:
                if await client.set(key, token, nx=True, px=int(self.lock_lifetime * 1000)):
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
            logger.warning(
                "a turn held conversation %s's lock longer than its %.0f s lifetime", conversation_id, self.lock_lifetime
            )

    # Rasa's ticket-queue interface: nothing in Rasa 3.6 calls these outside `lock()`, which is replaced.
    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return None

    def delete_lock(self, conversation_id: Text) -> None:
        return None

    def save_lock(self, lock: TicketLock) -> None:
        return None
