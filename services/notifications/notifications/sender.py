"""The sender: sends what is recorded and due, and records each attempt.

Each round takes the notifications recorded, or deferred until now, sends them through the
transport over one connection, and records each outcome: ``sent`` with the server's answer;
``deferred`` (the server unreachable, a 4xx answer) with the next attempt after a back-off that
doubles from ``first`` to ``cap``; ``failed`` on a 5xx answer, or once a notification has been
deferred for longer than ``give_up``. A notification is recorded before it is ever sent, and
marked sent only after the server accepted it: a server down for hours delays mail, never loses
it. The one window left is a crash after the server's "250" and before "sent" is stored: that
message is sent again on restart, with the same Message-ID.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable

from notifications.mail import Deferred, Refused, email_of

log = logging.getLogger(__name__)


class Sender:
    def __init__(self, app, transport, *, sender: str = "fieldwork@localhost", first: float = 60.0,
                 cap: float = 900.0, give_up: timedelta = timedelta(days=3), poll: float = 1.0,
                 batch: int = 100, clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.app = app
        self.transport = transport
        self.sender = sender
        self.first, self.cap, self.give_up = first, cap, give_up
        self.poll, self.batch = poll, batch
        self.clock = clock
        self.last_error: str | None = None  # of the last round that could not send
        self.last_round_at: datetime | None = None
        self.counts = {"sent": 0, "deferred": 0, "failed": 0}
        self._stop = threading.Event()
        self._wake = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def backoff(self, attempt: int) -> float:
        return min(self.cap, self.first * 2 ** (attempt - 1))

    def run_once(self) -> dict[str, int]:
        """One round: what is due now, sent; each outcome recorded."""
        now = self.clock()
        self.last_round_at = now
        due = self.app.due(now, self.batch)
        counts = {"sent": 0, "deferred": 0, "failed": 0}
        if not due:
            return counts
        messages, answers = [], {}
        for n in due:
            try:
                messages.append((str(n.id), email_of(n, self.sender)))
            except (ValueError, TypeError) as error:  # this message cannot be written: it alone fails
                answers[str(n.id)] = Refused(f"the message cannot be written: {error}")
        answers.update(self.transport.send_all(messages) if messages else {})
        errors = []
        for notification in due:
            time.sleep(0)  # let the service's other work (its HTTP answers, /health) in between writes
            answer = answers[str(notification.id)]
            attempt = notification.attempts + 1
            at = max(self.clock(), notification.latest_step_at or now)
            if isinstance(answer, Refused):
                self.app.settle(notification.id, "failed", attempt=attempt, answer=str(answer), at=at)
                counts["failed"] += 1
            elif isinstance(answer, Deferred):
                errors.append(str(answer))
                if at - notification.recorded_at >= self.give_up:
                    self.app.settle(notification.id, "failed", attempt=attempt, at=at,
                                    answer=f"gave up after {attempt} attempts over {at - notification.recorded_at}: {answer}")
                    counts["failed"] += 1
                else:
                    self.app.settle(notification.id, "deferred", attempt=attempt, answer=str(answer), at=at,
                                    next_attempt_at=at + timedelta(seconds=self.backoff(attempt)))
                    counts["deferred"] += 1
            else:
                self.app.settle(notification.id, "sent", attempt=attempt, answer=str(answer), at=at)
                counts["sent"] += 1
        self.last_error = errors[-1] if errors else None
        for key, n in counts.items():
            self.counts[key] += n
        if errors:
            log.warning("mail deferred for %d notification(s): %s", counts["deferred"], errors[-1])
        return counts

    def run_forever(self) -> None:
        while not self._stop.is_set():
            try:
                counts = self.run_once()
            except Exception as error:  # noqa: BLE001 - the store: tried again next round
                self.last_error = f"{type(error).__name__}: {error}"
                log.error("the sender could not record a round (%s); trying again", self.last_error)
                counts = {}
            if counts.get("sent") == self.batch:
                continue  # more may be waiting
            self._wake.wait(self.poll)
            self._wake.clear()
