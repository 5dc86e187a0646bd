"""Nameko glue shared by the services: the dependency that builds a service's application and
its outbox relay once per container (and runs the relay beside the entrypoints), the API token
registry, the health check, and the base class every service's entrypoints live on. Nothing
here is business logic.

A service's entrypoints call its application directly (``self.app``); who may call each HTTP
route, and the one table from errors to answers, belong to the route's ``json_endpoint``
(``shared.http``)."""
from __future__ import annotations

import logging
import os
from typing import Any

from nameko.extensions import DependencyProvider

from shared import openapi
from shared.auth import TokenRegistry
from shared.http import json_endpoint, json_response
from shared.messaging.outbox import OutboxRelay
from shared.messaging.publisher import ConfirmingPublisher
from shared.messaging.topology import missing_topology, queue_state
from shared.store import StoreSettings, envelope_of, opened
from shared.web import http

log = logging.getLogger(__name__)

# Events waiting to be published (or consumed) beyond which a service reports itself unhealthy.
MAX_LAG = int(os.environ.get("FIELDWORK_HEALTH_MAX_LAG", "10000"))


class ServiceRuntime(DependencyProvider):
    """What builds a service's application once per container (``get_dependency`` hands the
    entrypoints the application), opens the API token registry its routes sign callers in
    with (``tokens``: here, one store after the other, because nameko sets its dependencies up
    in green threads at once, and two stores opened at once met a half-imported psycopg), and
    can say whether the service is healthy."""

    tokens: TokenRegistry

    def open_tokens(self, settings: StoreSettings) -> None:
        self.tokens = TokenRegistry(settings)

    def health(self) -> tuple[bool, dict]:
        raise NotImplementedError


def runtime_of(container: Any) -> ServiceRuntime | None:
    """The container's ServiceRuntime, if it has one."""
    return next((d for d in container.dependencies if isinstance(d, ServiceRuntime)), None)


class EventSourcedRuntime(ServiceRuntime):
    """Subclasses name the service, its exchange (its manifest's) and its application class."""

    service_name: str = ""
    application_class: Any = None

    @property
    def exchange(self) -> str:
        from shared.services import manifest

        return manifest(self.service_name).exchange

    def setup(self) -> None:
        config = self.container.config
        settings = StoreSettings.from_config(config)
        self.app = opened(lambda: self.application_class(env=settings.environment(self.service_name)))
        self.open_tokens(settings)
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
        return self.app

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



class Tokens(DependencyProvider):
    """The API token registry the HTTP entrypoints sign callers in with (``shared.auth``): the
    one the service's runtime opened."""

    def get_dependency(self, worker_ctx: Any) -> TokenRegistry:
        return runtime_of(self.container).tokens


class Health(DependencyProvider):
    """The service's health check: its runtime's."""

    def get_dependency(self, worker_ctx: Any) -> Any:
        return runtime_of(self.container).health


class FieldworkService:
    """Base of every service class with an HTTP API: the token registry its routes sign callers
    in with, and the two public routes every service answers."""

    name = ""
    tokens = Tokens()
    health_check = Health()

    @http("GET", "/health")
    def health(self, request):
        healthy, report = self.health_check()
        return json_response(200 if healthy else 503, report)

    @http("GET", "/openapi.json")
    @json_endpoint()
    def http_openapi(self, request):
        """This API's OpenAPI 3.0 description, built from the service's own input schemas."""
        return 200, openapi.document(self.name)
