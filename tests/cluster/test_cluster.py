"""The cluster doing its ordinary work: conversations that move between instances, the lock under
contention, Socket.IO across instances and through the balancer, and platform retries that land on the
other instance. Each test reaches the instances directly where it must be sure which one answers."""

from __future__ import annotations

import json
import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import pytest
import socketio

from tests.support.assistant import RunningAssistant, user_texts
from tests.support.slack_api import SlackStandIn, deliver, dm_channel
from tests.support.socketio_client import WebChatClient
from tests.support.telegram_api import TelegramStandIn, post_update

pytestmark = pytest.mark.e2e

# Cheap turns that each get a reply whatever came before.
WORDS = ["hi", "what causes pain behind the knee", "thanks", "how often should I do the exercises", "ok", "bye"]


def turn_problems(tracker: dict[str, Any]) -> list[str]:
    """What is wrong with the order of a tracker's turns: each message must be followed by the
    assistant's replies and its return to listening before the next message starts."""
    problems, open_turn = [], None
    for event in tracker["events"]:
        if event.get("event") == "user" and not (event.get("text") or "").startswith("EXTERNAL: "):
            if open_turn is not None:
                problems.append(f"{event.get('text')!r} started inside the turn of {open_turn!r}")
            open_turn = event.get("text")
        elif event.get("event") == "action" and event.get("name") == "action_listen":
            open_turn = None
    return problems


def test_a_conversation_moving_between_instances_keeps_every_message_once_in_order(
    cluster: RunningAssistant, report: Callable[[str], None]
) -> None:
    """Ten people at once, each message of each person going to the other instance than the last."""
    first, second = cluster.instance_urls

    def person(number: int) -> tuple[str, list[int]]:
        sender = f"moving-{number}-{secrets.token_hex(3)}"
        reply_counts = [len(cluster.say(sender, text, via=(first, second)[turn % 2])) for turn, text in enumerate(WORDS)]
        return sender, reply_counts

    with ThreadPoolExecutor(10) as pool:
        people = list(pool.map(person, range(10)))
    for sender, reply_counts in people:
        assert all(reply_counts), (sender, reply_counts)  # every message got an answer
        tracker = cluster.rest_tracker(sender)
        assert user_texts(tracker) == WORDS, sender
        assert turn_problems(tracker) == [], sender
    report(f"cluster: 10 people x {len(WORDS)} messages alternating between 2 instances, each stored once in order")


def test_the_lock_keeps_turns_whole_when_one_conversation_is_written_to_on_both_instances_at_once(
    cluster: RunningAssistant, report: Callable[[str], None]
) -> None:
    """Six messages of one person sent at the same moment, three to each instance, for eight people:
    each message is stored once, and no turn starts inside another (Rasa's RedisLockStore lets two
    instances in at once, RasaHQ/rasa #9213)."""
    first, second = cluster.instance_urls
    start = threading.Barrier(6 * 8)

    def send(sender: str, turn: int) -> int:
        start.wait()
        return len(cluster.say(sender, WORDS[turn], via=(first, second)[turn % 2], timeout=90))

    senders = [f"contended-{n}-{secrets.token_hex(3)}" for n in range(8)]
    started = time.monotonic()
    with ThreadPoolExecutor(6 * 8) as pool:
        answers = list(pool.map(lambda job: send(*job), [(sender, turn) for sender in senders for turn in range(6)]))
    seconds = time.monotonic() - started
    assert all(answers), answers
    for sender in senders:
        tracker = cluster.rest_tracker(sender)
        assert sorted(user_texts(tracker)) == sorted(WORDS), sender
        assert turn_problems(tracker) == [], (sender, turn_problems(tracker))
    report(f"cluster: 48 messages to 8 conversations at once on 2 instances: whole turns, each once ({seconds:.1f} s)")


def test_a_check_in_pushed_through_one_instance_reaches_a_page_connected_to_the_other(cluster: RunningAssistant) -> None:
    first, second = cluster.instance_urls
    # The page's origin is the balancer's (the public address); its socket is held by the first instance.
    with WebChatClient(first, origin=cluster.base_url) as chat:
        chat.connect()
        assert chat.say("hi")
        cluster.post_json(
            f"/conversations/{chat.session_id}/trigger_intent?output_channel=socketio&token={cluster.token}",
            {"name": "EXTERNAL_check_in"},
            via=second,
        )
        pushed = chat.collect()
        assert "checking in" in " ".join(message.get("text", "") for message in pushed), pushed


def test_socket_io_polling_through_the_balancer_stays_on_one_instance(cluster: RunningAssistant) -> None:
    """Engine.IO's long-polling is several HTTP requests for one socket; without the balancer's cookie
    they would alternate between instances, and the second would not know the socket."""
    client = socketio.Client(reconnection=False)
    replies: list[Any] = []
    confirmed = threading.Event()
    client.on("session_confirm", lambda _: confirmed.set())
    client.on("bot_uttered", replies.append)
    client.connect(cluster.base_url, transports=["polling"], socketio_path="/socket.io")
    try:
        session_id = secrets.token_hex(16)
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.wait(10)
        for text in ("hi", "what causes pain behind the knee"):
            before = len(replies)
            client.emit("user_uttered", {"session_id": session_id, "message": text})
            deadline = time.monotonic() + 30
            while len(replies) == before and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(replies) > before, text
        assert "POPLIT_NODE" in client.eio.http.cookies  # the balancer's stickiness cookie
    finally:
        client.disconnect()


def wait_quiet(count: Callable[[], int], quiet_seconds: float = 3.0, timeout: float = 60) -> int:
    """The count once it has not changed for `quiet_seconds` (a turn's replies all sent)."""
    deadline, last, since = time.monotonic() + timeout, count(), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = count()
        if now != last:
            last, since = now, time.monotonic()
        elif now and time.monotonic() - since >= quiet_seconds:
            return now
    raise AssertionError(f"still changing or nothing after {timeout} s")


def test_a_slack_retry_that_reaches_the_other_instance_is_not_answered_twice(
    cluster: RunningAssistant, slack_api: SlackStandIn
) -> None:
    first, second = cluster.instance_urls
    user = f"UCLUSTER{secrets.token_hex(3).upper()}"
    body = slack_api.message_event(user, "what causes pain behind the knee")
    status, _ = deliver(f"{first}/webhooks/slack/webhook", body, "application/json", slack_api.signed_headers(body))
    assert status == 200
    replies = wait_quiet(lambda: len(slack_api.posted_to(dm_channel(user))))
    # Slack saw no 200 in time (say) and retries the same event, this time to the other instance.
    retry_headers = {**slack_api.signed_headers(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, answer = deliver(f"{second}/webhooks/slack/webhook", body, "application/json", retry_headers)
    assert (status, answer) == (200, b"Already handled.")
    time.sleep(3)
    assert len(slack_api.posted_to(dm_channel(user))) == replies


def test_a_telegram_redelivery_to_the_other_instance_is_not_answered_twice(
    cluster: RunningAssistant, telegram_api: TelegramStandIn
) -> None:
    first, second = cluster.instance_urls
    chat_id = telegram_api.new_chat()
    update = telegram_api.text_update(chat_id, "what causes pain behind the knee")
    assert post_update(first, update) == (200, {"status": "ok"})

    def sent() -> int:
        return len(telegram_api.calls_to("sendMessage", where=lambda call: str(call.params.get("chat_id")) == str(chat_id)))

    replies = wait_quiet(sent)
    assert post_update(second, json.dumps(update).encode()) == (200, {"status": "duplicate"})
    time.sleep(2)
    assert sent() == replies
