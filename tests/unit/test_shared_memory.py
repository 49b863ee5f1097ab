"""What instances share through Redis (bot/shared_memory.py, bot/trackers/redis_lock.py), against the
machine's real Redis, and what each does when Redis is away. Two objects stand for two instances: all
they share is Redis. The same through real Rasa instances is in tests/cluster."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig

from bot.shared_memory import Deliveries, Rate, RateLimiter, SeenKeys, SharedRateLimiter
from bot.trackers.redis_lock import AtomicRedisLockStore, LockStoreUnavailable
from tests.support.assistant import free_port
from tests.support.databases import REDIS_HOST, REDIS_PORT

REDIS_URL = f"redis://{REDIS_HOST}:{REDIS_PORT}/0"


def nowhere() -> str:
    """A Redis URL on a port nothing listens on."""
    return f"redis://127.0.0.1:{free_port()}/0"


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:12]}"


def test_seen_keys_forget_after_the_ttl_and_stay_bounded() -> None:
    now = [0.0]
    seen = SeenKeys(ttl_seconds=60, max_size=3, clock=lambda: now[0])
    assert seen.first_time("a") and not seen.first_time("a", now=59)
    assert seen.first_time("a", now=61)  # older than the TTL: the platform no longer redelivers it
    for key in "bcd":
        assert seen.first_time(key, now=62)
    assert len(seen) == 3 and seen.first_time("a", now=63)  # the oldest was dropped to stay bounded


def test_the_rate_limiter_lets_a_burst_through_then_refuses_and_says_so_once() -> None:
    now = [0.0]
    limiter = RateLimiter(Rate(3, 30), clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(5)] == [None, None, None, True, False]
    assert limiter.take("b") is None  # another key has its own bucket
    now[0] += 10  # one token back (3 per 30 s)
    assert limiter.take("a") is None and limiter.take("a") is True


def test_the_limiter_keeps_a_bounded_number_of_keys() -> None:
    limiter = RateLimiter(Rate(1, 60), max_keys=100)
    for key in range(1000):
        limiter.take(key)
    assert len(limiter._buckets) == 100


def test_a_delivery_seen_by_one_instance_is_not_handled_by_another() -> None:
    async def run() -> list[bool]:
        name = unique("slack")
        first, second = Deliveries(name, 60, 100, REDIS_URL), Deliveries(name, 60, 100, REDIS_URL)
        return [await first.first_time("event:E1"), await second.first_time("event:E1"), await second.first_time("event:E2")]

    assert asyncio.run(run()) == [True, False, True]


def test_deliveries_fall_back_to_this_process_when_redis_is_away() -> None:
    async def run() -> list[bool]:
        deliveries = Deliveries("telegram", 60, 100, nowhere())
        started = time.monotonic()
        answers = [await deliveries.first_time(7), await deliveries.first_time(7)]
        assert time.monotonic() - started < 3  # no hang: refused at once, or within the short timeout
        return answers

    assert asyncio.run(run()) == [True, False]


def test_a_rate_limit_is_shared_by_instances() -> None:
    async def run() -> list[object]:
        name = unique("sender")
        first, second = SharedRateLimiter(name, Rate(3, 60), REDIS_URL), SharedRateLimiter(name, Rate(3, 60), REDIS_URL)
        return [
            await first.take("rest:a"),
            await second.take("rest:a"),
            await first.take("rest:a"),
            await second.take("rest:a"),
            await first.take("rest:a"),
            await second.take("rest:b"),
        ]

    # Three between them, then refused (told once), and another sender has its own bucket.
    assert asyncio.run(run()) == [None, None, None, True, False, None]


def test_a_shared_rate_limit_refills_with_time() -> None:
    async def run() -> list[object]:
        limiter = SharedRateLimiter(unique("address"), Rate(2, 0.2), REDIS_URL)
        answers = [await limiter.take("1.2.3.4") for _ in range(3)]
        await asyncio.sleep(0.25)
        return [*answers, await limiter.take("1.2.3.4")]

    assert asyncio.run(run()) == [None, None, True, None]


def test_a_rate_limit_counts_in_this_process_when_redis_is_away() -> None:
    async def run() -> list[object]:
        limiter = SharedRateLimiter("sender", Rate(1, 60), nowhere())
        return [await limiter.take("x"), await limiter.take("x")]

    assert asyncio.run(run()) == [None, True]


def lock_store(**settings: object) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(EndpointConfig(url=REDIS_URL, key_prefix=unique("poplit-test"), **settings))


def test_the_lock_store_is_configured_like_rasas() -> None:
    store = AtomicRedisLockStore(EndpointConfig(url=REDIS_URL, key_prefix="p", lease_seconds=3, wait_seconds=2))
    assert (store.url, store.key_prefix, store.lease_seconds, store.wait_seconds) == (REDIS_URL, "p", 3.0, 2.0)
    with pytest.raises(ValueError, match="redis://"):
        AtomicRedisLockStore(EndpointConfig(url="http://127.0.0.1:6379"))


def test_two_instances_never_hold_one_conversation_at_once() -> None:
    """100 turns on one conversation from two lock stores (two instances), each turn yielding to the
    event loop inside the lock: never two inside, and every turn gets its go."""

    async def run() -> tuple[int, int]:
        first = lock_store()
        second = AtomicRedisLockStore(EndpointConfig(url=REDIS_URL, key_prefix=first.key_prefix))
        inside, most_inside, done = 0, 0, 0

        async def turn(store: AtomicRedisLockStore) -> None:
            nonlocal inside, most_inside, done
            async with store.lock("rest:someone"):
                inside += 1
                most_inside = max(most_inside, inside)
                await asyncio.sleep(0.001)
                inside -= 1
                done += 1

        await asyncio.gather(*(turn(first if n % 2 else second) for n in range(100)))
        return most_inside, done

    assert asyncio.run(run()) == (1, 100)


def test_a_turn_longer_than_the_lease_keeps_the_lock_by_renewing_it() -> None:
    async def run() -> tuple[bool, float]:
        store = lock_store(lease_seconds=0.3, wait_seconds=5)
        other = AtomicRedisLockStore(EndpointConfig(url=REDIS_URL, key_prefix=store.key_prefix, lease_seconds=0.3))
        entered_at: list[float] = []

        async def long_turn() -> None:
            async with store.lock("c"):
                await asyncio.sleep(1.0)  # more than three leases

        async def next_turn() -> None:
            await asyncio.sleep(0.05)
            async with other.lock("c"):
                entered_at.append(time.monotonic())

        started = time.monotonic()
        await asyncio.gather(long_turn(), next_turn())
        return bool(entered_at), entered_at[0] - started

    entered, after = asyncio.run(run())
    assert entered and after >= 1.0  # not before the long turn ended


def test_the_lock_of_an_instance_that_died_mid_turn_lapses_within_the_lease() -> None:
    async def run() -> float:
        store = lock_store(lease_seconds=0.5, wait_seconds=5)
        # What a killed instance leaves: its token, set with the lease, never renewed nor released.
        await store._client().set(store.key("c"), "dead-instance", px=500)
        started = time.monotonic()
        async with store.lock("c"):
            return time.monotonic() - started

    assert asyncio.run(run()) < 1.0


def test_a_late_release_does_not_free_the_next_holders_lock() -> None:
    async def run() -> bytes:
        store = lock_store()
        await store._client().set(store.key("c"), "next-holder", px=5000)
        await store._free(store.key("c"), "late-holder", "c")  # a holder whose lease had lapsed
        return await store._client().get(store.key("c"))

    assert asyncio.run(run()) == b"next-holder"


def test_a_conversation_held_too_long_is_a_lock_error_for_the_next_message() -> None:
    async def run() -> None:
        store = lock_store(wait_seconds=0.3)
        async with store.lock("c"):
            with pytest.raises(LockError, match="stayed locked"):
                async with store.lock("c"):
                    pass

    asyncio.run(run())


def test_redis_away_is_a_clear_lock_error_at_once() -> None:
    async def run() -> float:
        store = AtomicRedisLockStore(EndpointConfig(url=nowhere()))
        started = time.monotonic()
        with pytest.raises(LockStoreUnavailable, match="not answering"):
            async with store.lock("c"):
                pass
        return time.monotonic() - started

    assert asyncio.run(run()) < 3
