"""What several Rasa instances behind one balancer must remember together, in Redis: the deliveries
already handled (Slack event ids, Telegram update ids) and the rate limits' token buckets.

Without REDIS_URL (the embedded `make run`) both live in this process's memory. With it, a Redis
that cannot be reached never silences a channel: each call falls back to this process's memory for
that call and logs it, and the next call tries Redis again. The cost of the fallback is bounded: a
retry that lands on another instance during an outage may be answered twice, and a limit counts per
instance until Redis is back.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Hashable, Optional

from redis import asyncio as redis_asyncio
from redis.exceptions import RedisError

logger = logging.getLogger("poplit.shared_memory")

# ---- This process's memory ----


@dataclass(frozen=True)
class Rate:
    """`count` requests per `seconds`, with a burst of `count`."""

    count: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> "Rate":
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
        if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise ValueError(f"a rate looks like 20/60 (20 per 60 seconds), got {text!r}")
        return cls(int(match.group(1)), float(match.group(2)))


@dataclass
class _Bucket:
    tokens: float
    updated: float
    told: bool = False


class RateLimiter:
    """Token buckets by key, bounded in number (the least recently used go first)."""

    def __init__(self, rate: Rate, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def take(self, key: Hashable) -> Optional[bool]:
        """None when allowed; when refused, True the first time since the last allowed request (tell
        the person once, not on every refused message), False after that."""
        now = self._clock()
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.rate.count), now)
        bucket.tokens = min(float(self.rate.count), bucket.tokens + (now - bucket.updated) * self.rate.count / self.rate.seconds)
        bucket.updated = now
        self._buckets[key] = bucket
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            bucket.told = False
            return None
        first = not bucket.told
        bucket.told = True
        return first

    def retry_after(self) -> int:
        return max(1, math.ceil(self.rate.seconds / self.rate.count))


class SeenKeys:
    """Keys already seen within a TTL, in this process's memory, bounded (the oldest go first)."""

    def __init__(self, ttl_seconds: float, max_size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_size = max_size
        self._clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def first_time(self, key: Hashable, now: Optional[float] = None) -> bool:
        """True the first time `key` is offered within the TTL (and remembers it); False after that."""
        now = self._clock() if now is None else now
        while self._seen and next(iter(self._seen.values())) <= now - self.ttl_seconds:
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        while len(self._seen) > self.max_size:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)


# ---- Shared through Redis ----

KEY_PREFIX = "poplit"
# A Redis that does not answer within this is treated as away (loopback or one network hop away).
REDIS_TIMEOUT_SECONDS = 0.5


REDIS_OPTIONS: dict[str, Any] = {
    "socket_timeout": REDIS_TIMEOUT_SECONDS,
    "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
    "health_check_interval": 30,
}
# A subscriber waits for messages as long as there are none: only its connecting is bounded.
PUBSUB_OPTIONS: dict[str, Any] = {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS}


def redis_client(url: str) -> "redis_asyncio.Redis[bytes]":
    """One asyncio client on `url`, with short timeouts so an outage costs a turn half a second."""
    return redis_asyncio.Redis.from_url(url, **REDIS_OPTIONS)


class _Fallback:
    """Logs the first failure of a run of Redis failures and the recovery, not every call."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.failing = False

    def failed(self, error: Exception) -> None:
        if not self.failing:
            logger.warning("Redis is not answering (%s): %s kept in this process's memory until it is back", error, self.what)
        self.failing = True

    def recovered(self) -> None:
        if self.failing:
            logger.info("Redis is back: %s shared again", self.what)
        self.failing = False


class Deliveries:
    """Deliveries already handled, so a platform's redelivery gets no second reply whichever instance
    it reaches: SET NX with an expiry in Redis, else this process's memory."""

    def __init__(self, name: str, ttl_seconds: float, max_local: int, redis_url: Optional[str] = None) -> None:
        self.name = name
        self.ttl_seconds = ttl_seconds
        self.local = SeenKeys(ttl_seconds, max_local)
        self.redis_url = redis_url
        self._redis: Optional["redis_asyncio.Redis[bytes]"] = None
        self._fallback = _Fallback(f"{name} deliveries")

    async def first_time(self, key: Hashable) -> bool:
        """True the first time `key` is offered within the TTL, on any instance; False after that."""
        if not self.redis_url:
            return self.local.first_time(key)
        if self._redis is None:
            self._redis = redis_client(self.redis_url)
        try:
            first = await self._redis.set(
                f"{KEY_PREFIX}:delivery:{self.name}:{key}", b"1", nx=True, px=int(self.ttl_seconds * 1000)
            )
        except (RedisError, OSError) as error:
            self._fallback.failed(error)
            return self.local.first_time(key)
        self._fallback.recovered()
        # Remembered locally too: should Redis go away, this instance still knows what it handled.
        self.local.first_time(key)
        return bool(first)


# A token bucket in one atomic step: refill by the time since the last request (Redis's own clock, the
# same for every instance), take a token if there is one. Returns 0 allowed, 1 refused for the first
# time since the last allowed request, 2 refused again (Door tells the person once).
_TAKE_TOKEN = """
local capacity = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'told')
local tokens = tonumber(bucket[1]) or capacity
local updated = tonumber(bucket[2]) or now
local told = tonumber(bucket[3]) or 0
tokens = math.min(capacity, tokens + math.max(0, now - updated) * per_ms)
local result
if tokens >= 1 then
  tokens = tokens - 1
  told = 0
  result = 0
else
  result = (told == 0) and 1 or 2
  told = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now), 'told', tostring(told))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / per_ms) + 1000)
return result
"""


class SharedRateLimiter:
    """Token buckets by key, shared by every instance through Redis when REDIS_URL is set; the same
    answers as `RateLimiter.take` (None allowed, True refused and to be told, False refused again)."""

    def __init__(
        self, name: str, rate: Rate, redis_url: Optional[str] = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self.rate = rate
        self.local = RateLimiter(rate, clock=clock)
        self.redis_url = redis_url
        self._redis: Optional["redis_asyncio.Redis[bytes]"] = None
        self._script: Any = None
        self._fallback = _Fallback(f"the {name} rate limit")

    async def take(self, key: Hashable) -> Optional[bool]:
        if not self.redis_url:
            return self.local.take(key)
        if self._redis is None:
            self._redis = redis_client(self.redis_url)
            self._script = self._redis.register_script(_TAKE_TOKEN)
        try:
            answer = int(
                await self._script(
                    keys=[f"{KEY_PREFIX}:rate:{self.name}:{key}"],
                    args=[self.rate.count, self.rate.count / (self.rate.seconds * 1000)],
                )
            )
        except (RedisError, OSError) as error:
            self._fallback.failed(error)
            return self.local.take(key)
        self._fallback.recovered()
        return None if answer == 0 else answer == 1

    def retry_after(self) -> int:
        return self.local.retry_after()
