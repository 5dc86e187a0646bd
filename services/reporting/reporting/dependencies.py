"""Builds the reporting application, its API and its queue consumer once per container."""
from __future__ import annotations

import logging
from typing import Any

import kombu
from nameko.extensions import DependencyProvider

from shared.auth import TokenRegistry
from shared.messaging.consumer import QueueConsumer
from shared.messaging.topology import queue_state
from shared.runtime import MAX_LAG
from shared.store import StoreSettings, opened
from reporting.api import ReportingAPI
from reporting.application import ReportingApplication
from reporting.intake import DeadLetter, Incoming

log = logging.getLogger(__name__)

QUEUE = "reporting.events"
DEAD_LETTER_QUEUE = "reporting.dead-letters"
DEAD_LETTER_EXCHANGE = "fieldwork.dead-letters"


class ReportingRuntime(DependencyProvider):
    def setup(self) -> None:
        config = self.container.config
        settings = StoreSettings.from_config(config)
        self.amqp_uri = config["AMQP_URI"]
        self.store_kind = settings.kind
        self.app = opened(lambda: ReportingApplication(env=settings.environment("reporting")))
        self.consumer = QueueConsumer(
            self.amqp_uri,
            QUEUE,
            self._handle,
            dead_letter_exchange=DEAD_LETTER_EXCHANGE,
            is_dead_letter=lambda decision: isinstance(decision, DeadLetter),
            prefetch=int(config.get("REPORTING_PREFETCH") or 1000),
            batch_size=int(config.get("REPORTING_BATCH") or 500),
            after_batch=self.app.projection.catch_up,
        )
        self.api = ReportingAPI(self.app, health=self.health, status=self.broker_status)
        self.api.auth = TokenRegistry(settings)

    def _handle(self, messages: list[kombu.Message]) -> list:
        return self.app.intake.receive([
            Incoming(
                body=m.body if isinstance(m.body, bytes) else str(m.body).encode(),
                content_type=m.content_type,
                exchange=m.delivery_info.get("exchange", ""),
                routing_key=m.delivery_info.get("routing_key", ""),
                headers=dict(m.headers or {}),
            )
            for m in messages
        ])

    def start(self) -> None:
        self.app.projection.catch_up()
        self.container.spawn_managed_thread(self.consumer.run_forever, identifier="reporting-consumer")

    def stop(self) -> None:
        self.consumer.stop()

    def kill(self) -> None:
        self.consumer.stop()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.api

    def broker_status(self) -> dict:
        """Waiting in the broker: the lag behind it, and its dead letters."""
        queues = queue_state(self.amqp_uri, [QUEUE, DEAD_LETTER_QUEUE, "rpc-reporting"])
        return {"broker": queues, "consumer": {
            "consuming": self.consumer.consuming, "last_error": self.consumer.last_error,
            "delivered": self.consumer.delivered, "returned_to_queue": self.consumer.retried,
        }}

    def health(self) -> tuple[bool, dict]:
        """Healthy: the store answers, the consumer consumes, each of its queues has a
        consumer, and what waits in the broker and the projection is bounded."""
        report: dict[str, Any] = {"service": "reporting", "store": self.store_kind}
        behind = 0
        try:
            recorded = self.app.recorder.max_notification_id() or 0
            behind = max(0, recorded - self.app.projection.position)
            report.update(events_recorded=recorded, projection_behind=behind)
            store_ok = True
        except Exception as error:  # noqa: BLE001
            report["store_error"] = str(error)
            store_ok = False
        broker = self.broker_status()
        report.update(broker)
        queues = broker["broker"]
        waiting = queues.get(QUEUE, {}).get("messages", 0)
        problems = [
            *([] if store_ok else ["store unreachable"]),
            *([] if self.consumer.consuming else [f"not consuming: {self.consumer.last_error}"]),
            *([f"broker: {queues['error']}"] if "error" in queues else []),
            *[f"queue {name} has no consumer" for name in (QUEUE, "rpc-reporting")
              if "error" not in queues and not queues.get(name, {}).get("consumers")],
            *([f"{waiting} messages waiting, above {MAX_LAG}"] if waiting > MAX_LAG else []),
            *([f"projection {behind} events behind, above {MAX_LAG}"] if behind > MAX_LAG else []),
        ]
        report["problems"] = problems
        report["status"] = "ok" if not problems else "unhealthy"
        return not problems, report
