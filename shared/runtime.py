"""Nameko glue shared by the event-sourced services: builds the application, its API facade
and its outbox relay once per container, runs the relay beside the entrypoints, and reports
health. Nothing here is business logic."""
from __future__ import annotations

import logging
import os
from typing import Any

from nameko.extensions import DependencyProvider

from shared.auth import TokenRegistry
from shared.messaging.outbox import OutboxRelay
from shared.messaging.publisher import ConfirmingPublisher
from shared.messaging.topology import missing_topology, queue_state
from shared.store import StoreSettings, envelope_of, opened

log = logging.getLogger(__name__)

# Events waiting to be published (or consumed) beyond which a service reports itself unhealthy.
MAX_LAG = int(os.environ.get("FIELDWORK_HEALTH_MAX_LAG", "10000"))


class EventSourcedRuntime(DependencyProvider):
    """Subclasses name the service, its exchange, its application and API classes."""

    service_name: str = ""
    exchange: str = ""
    application_class: Any = None
    api_class: Any = None

    def setup(self) -> None:
        config = self.container.config
        settings = StoreSettings.from_config(config)
        self.app = opened(lambda: self.application_class(env=settings.environment(self.service_name)))
        self.api = self.api_class(self.app, health=self.health)
        self.api.auth = TokenRegistry(settings)
        self.relay = OutboxRelay(
            self.app,
            ConfirmingPublisher(config["AMQP_URI"]),
            exchange=self.exchange,
            envelope_of=envelope_of,
        )
        self.store_kind = settings.kind

    def start(self) -> None:
        try:
            missing = missing_topology(self.container.config["AMQP_URI"])
        except Exception as error:  # noqa: BLE001 - the relay retries; health says so
            log.error("cannot check the broker topology: %s", error)
        else:
            if missing:
                log.error(
                    "the broker lacks %s: load deploy/rabbitmq/definitions.json "
                    "(`fieldwork broker setup`); events are stored and wait to be published",
                    ", ".join(missing),
                )
        self.container.spawn_managed_thread(self.relay.run_forever, identifier="outbox-relay")

    def stop(self) -> None:
        self.relay.stop()

    def kill(self) -> None:
        self.relay.stop()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.api

    def health(self) -> tuple[bool, dict]:
        """Healthy: the store answers, the broker answers, the service's RPC queue has a
        consumer, the relay publishes and its lag is bounded."""
        report: dict[str, Any] = {"service": self.service_name, "store": self.store_kind}
        lag = None
        try:
            stored = self.app.recorder.max_notification_id() or 0
            lag = max(0, stored - self.relay.position)
            report.update(events_stored=stored, events_published_position=stored - lag, publish_lag=lag)
            store_ok = True
        except Exception as error:  # noqa: BLE001 - reported as unhealthy
            report["store_error"] = str(error)
            store_ok = False
        report["relay_error"] = self.relay.last_error
        queues = queue_state(self.container.config["AMQP_URI"], [f"rpc-{self.service_name}"])
        report["queues"] = queues
        problems = [
            *([] if store_ok else ["store unreachable"]),
            *([f"relay: {self.relay.last_error}"] if self.relay.last_error else []),
            *([f"broker: {queues['error']}"] if "error" in queues else []),
            *[f"queue {name} has no consumer" for name, q in queues.items()
              if name != "error" and not q.get("consumers")],
            *([f"publish lag {lag} above {MAX_LAG}"] if lag is not None and lag > MAX_LAG else []),
        ]
        report["problems"] = problems
        report["status"] = "ok" if not problems else "unhealthy"
        return not problems, report

