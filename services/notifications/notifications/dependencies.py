"""Builds the notifications application once per container, with its outbox relay (the
directory's and the notifications' events, on ``notifications.events``), the consumer of the
other services' events (``notifications.incoming``), the sender and the reminder sweep."""
from __future__ import annotations

import logging
import os
import threading
from datetime import timedelta
from typing import Any

import kombu

from shared.messaging.consumer import QueueConsumer
from shared.messaging.topology import queue_state
from shared.runtime import MAX_LAG, EventSourcedRuntime
from notifications.application import NotificationsApplication
from notifications.domain.subjects import Settings
from notifications.mail import password_from, transport_from
from notifications.sender import Sender

log = logging.getLogger(__name__)

QUEUE = "notifications.incoming"


class NotificationsRuntime(EventSourcedRuntime):
    service_name = "notifications"
    application_class = NotificationsApplication

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        env = {**os.environ, **{k: str(v) for k, v in config.items() if isinstance(v, (str, int, float))}}
        self.transport = transport_from(str(config.get("MAIL_URL") or ""), str(config.get("DATA_DIR") or "data"),
                                        password_from(env), str(config.get("MAIL_CA_FILE") or ""))
        self.sender = Sender(
            self.app, self.transport, sender=str(config.get("MAIL_FROM") or "fieldwork@localhost"),
            first=float(config.get("MAIL_RETRY_FIRST") or 60), cap=float(config.get("MAIL_RETRY_MAX") or 900),
            give_up=timedelta(hours=float(config.get("MAIL_GIVE_UP_HOURS") or 72)),
        )
        self.app.on_saved(self.sender.wake)
        self.app.settings = Settings(
            remind_before_days=int(config.get("NOTIFY_REMIND_BEFORE_DAYS") or 7),
            overdue_window_days=int(config.get("NOTIFY_OVERDUE_WINDOW_DAYS") or 30),
            meeting_report_days=int(config.get("NOTIFY_MEETING_REPORT_DAYS") or 14),
        )
        self.consumer = QueueConsumer(
            config["AMQP_URI"], QUEUE,
            lambda messages: self.app.receive([(_body(m), m.content_type) for m in messages]),
            prefetch=100, batch_size=50,
        )
        self.sweep_every = float(config.get("NOTIFY_SWEEP_SECONDS") or 300)
        self._stop = threading.Event()
        self.sweep_error: str | None = None

    def start(self) -> None:
        super().start()
        self.container.spawn_managed_thread(self.consumer.run_forever, identifier="notifications-consumer")
        self.container.spawn_managed_thread(self.sender.run_forever, identifier="notifications-sender")
        self.container.spawn_managed_thread(self._sweep_forever, identifier="notifications-reminders")
        log.info("notifications: mail is %s", self.transport.describe())

    def _sweep_forever(self) -> None:
        while not self._stop.is_set():
            try:
                made = self.app.remind()
                self.sweep_error = None
                if made:
                    log.info("recorded %d reminder(s)", made)
            except Exception as error:  # noqa: BLE001 - tried again at the next sweep
                self.sweep_error = f"{type(error).__name__}: {error}"
                log.error("the reminder sweep failed (%s); trying again", self.sweep_error)
            self._stop.wait(self.sweep_every)

    def stop(self) -> None:
        self._stop.set()
        self.consumer.stop()
        self.sender.stop()
        super().stop()

    def kill(self) -> None:
        self.stop()

    def health(self) -> tuple[bool, dict]:
        """The event store's and relay's health, and: the consumer consumes, its queue has a
        consumer and is not far behind. Mail that cannot be sent now is a warning (degraded),
        not a failure: it is kept and tried again."""
        healthy, report = super().health()
        queues = queue_state(self.container.config["AMQP_URI"], [QUEUE])
        waiting = queues.get(QUEUE, {}).get("messages", 0)
        pending = [n for n in self.app.notifications() if n.pending]
        deferred = [n for n in pending if n.status == "deferred"]
        problems = list(report["problems"])
        problems += [*([f"not consuming {QUEUE}: {self.consumer.last_error}"] if not self.consumer.consuming else []),
                     *([f"the store cannot be written: {self.consumer.store_error}; events are kept and tried again"]
                       if self.consumer.store_error else []),
                     *([f"{waiting} events waiting in {QUEUE}, above {MAX_LAG}"] if waiting > MAX_LAG else [])]
        warnings = [*([f"{len(deferred)} notification(s) deferred: {self.sender.last_error}; tried again"]
                      if deferred and self.sender.last_error else []),
                    *([f"reminder sweep: {self.sweep_error}"] if self.sweep_error else [])]
        report.update(
            queues={**report.get("queues", {}), **queues},
            mail={"transport": self.transport.describe(), "pending": len(pending), "deferred": len(deferred),
                  "sent_since_start": self.sender.counts["sent"], "failed_since_start": self.sender.counts["failed"],
                  "last_error": self.sender.last_error},
            problems=problems, warnings=warnings,
            status="unhealthy" if problems else "degraded" if warnings else "ok",
        )
        return not problems, report


def _body(message: kombu.Message) -> bytes:
    return message.body if isinstance(message.body, bytes) else str(message.body).encode()
