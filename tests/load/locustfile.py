"""The people `make loadtest` sends through the balancer (run by tests/load/run.py, which starts the
cluster and the platform stand-ins and reads the conversations back afterwards).

- IntakeVisitor (REST): describes the pain and answers the intake, then asks a question or two.
- Questioner (REST): one question, now and then another.
- WebVisitor (Socket.IO, websocket): talks on the chat page; once in a visit the worker's check-in is
  pushed to the page through the API, which may reach any instance.
- SlackPerson: Events API deliveries, each also retried by "Slack" (a second delivery of the same
  event id, as when it saw no 200 in 3 s), which must not be answered twice.

Every REST and Socket.IO message carries its own id; what was acknowledged is written to
LOAD_ACKS_FILE at the end, for the check that each is stored once and in order.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import random
import secrets
import time
from typing import Any

import socketio
from locust import FastHttpUser, User, between, events, task

TOKEN = os.environ["RASA_AUTH_TOKEN"]
SLACK_SECRET = os.environ.get("SLACK_SIGNING_SECRET", "")
ACKS: list[dict[str, Any]] = []

INTAKE = [
    "the back of my knee has been aching for a couple of weeks",
    "None of these",
    "it came on gradually after I started running more",
    "about 3 weeks",
    "5 out of 10",
    "walking is fine",
    "what exercises can I do",
]
QUESTIONS = [
    "what causes pain behind the knee",
    "how often should I do the exercises",
    "how long should I hold a stretch",
    "is some pain ok during exercise",
    "when should I see a doctor",
    "can I keep running",
    "thanks",
]


class IntakeVisitor(FastHttpUser):
    weight = 4
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.sender = f"load-intake-{secrets.token_hex(5)}"
        self.turn = 0

    @task
    def next_message(self) -> None:
        script = INTAKE + QUESTIONS
        say(self, self.sender, script[self.turn % len(script)], "rest intake turn")
        self.turn += 1


class Questioner(FastHttpUser):
    weight = 3
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.sender = f"load-question-{secrets.token_hex(5)}"

    @task
    def ask(self) -> None:
        say(self, self.sender, random.choice(QUESTIONS), "rest question")


def say(user: FastHttpUser, sender: str, text: str, name: str) -> None:
    request_id = secrets.token_hex(12)
    with user.client.post(
        "/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers={"X-Request-ID": request_id},
        name=name,
        catch_response=True,
    ) as response:
        if response.status_code != 200 or not response.json():
            response.failure(f"status {response.status_code}, no reply")
            return
        ACKS.append({"channel": "rest", "sender": sender, "request_id": request_id})


class WebVisitor(User):
    weight = 2
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.replies: queue.Queue[Any] = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self.replies.put)
        confirmed: queue.Queue[str] = queue.Queue()
        self.client.on("session_confirm", confirmed.put)
        self.session_id = secrets.token_hex(16)
        started = time.perf_counter()
        self.client.connect(self.host, transports=["websocket"], socketio_path="/socket.io")
        self.client.emit("session_request", {"session_id": self.session_id})
        confirmed.get(timeout=30)
        fire("socketio", "connect", started)
        self.turn = 0
        self.pushed = False

    def on_stop(self) -> None:
        self.client.disconnect()

    @task
    def talk(self) -> None:
        if self.turn == 3 and not self.pushed:
            self.pushed = True
            self.check_in_push()
            return
        text = (["hi"] + QUESTIONS)[self.turn % (len(QUESTIONS) + 1)]
        self.turn += 1
        self._drain()
        started = time.perf_counter()
        self.client.emit("user_uttered", {"session_id": self.session_id, "message": text})
        try:
            self.replies.get(timeout=30)
        except queue.Empty:
            fire("socketio", "message turn", started, "no reply in 30 s")
            return
        fire("socketio", "message turn", started)
        ACKS.append({"channel": "socketio", "sender": self.session_id, "text": text})

    def check_in_push(self) -> None:
        """What the follow-up worker does: trigger_intent through the balancer, to this page's room."""
        import urllib.request

        self._drain()
        started = time.perf_counter()
        request = urllib.request.Request(
            f"{self.host}/conversations/{self.session_id}/trigger_intent?output_channel=socketio&token={TOKEN}",
            data=json.dumps({"name": "EXTERNAL_check_in"}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=30).read()
            message = self.replies.get(timeout=30)
            error = None if "checking in" in (message.get("text") or "") else f"pushed something else: {message}"
        except Exception as problem:  # noqa: BLE001 (any failure is a failed push)
            error = str(problem)
        fire("socketio", "check-in push", started, error)

    def _drain(self) -> None:
        while not self.replies.empty():
            self.replies.get_nowait()


class SlackPerson(FastHttpUser):
    weight = 1
    wait_time = between(3, 6)

    def on_start(self) -> None:
        self.user = f"ULOAD{secrets.token_hex(4).upper()}"

    @task
    def write(self) -> None:
        event_id = f"Ev{secrets.token_hex(6)}"
        ts = f"{time.time():.6f}"
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": "T_POPLIT",
                "event_id": event_id,
                "event": {
                    "type": "message",
                    "channel_type": "im",
                    "channel": "D" + self.user,
                    "user": self.user,
                    "text": random.choice(QUESTIONS),
                    "ts": ts,
                },
                "authorizations": [{"team_id": "T_POPLIT", "user_id": "U_POPLIT_BOT", "is_bot": True}],
            }
        ).encode()
        for retry in (None, "1"):
            headers = {"Content-Type": "application/json", **slack_signature(body)}
            if retry:
                headers.update({"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"})
            with self.client.post(
                "/webhooks/slack/webhook",
                data=body,
                headers=headers,
                name=f"slack {'retry' if retry else 'event'}",
                catch_response=True,
            ) as response:
                if response.status_code != 200:
                    response.failure(f"status {response.status_code}")
                    return
        ACKS.append({"channel": "slack", "sender": self.user, "event_id": event_id})


def slack_signature(body: bytes) -> dict[str, str]:
    timestamp = str(int(time.time()))
    digest = hmac.new(SLACK_SECRET.encode(), f"v0:{timestamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


def fire(kind: str, name: str, started: float, error: Any = None) -> None:
    events.request.fire(
        request_type=kind,
        name=name,
        response_time=(time.perf_counter() - started) * 1000,
        response_length=0,
        exception=Exception(error) if error else None,
        context={},
    )


@events.test_stop.add_listener
def write_acks(**_: Any) -> None:
    with open(os.environ["LOAD_ACKS_FILE"], "w") as acks:
        json.dump(ACKS, acks)
