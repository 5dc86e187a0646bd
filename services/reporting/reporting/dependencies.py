"""Builds the reporting application, its worker processes and its queue consumers once per
container."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any

import eventlet
import kombu

from shared.messaging.consumer import QueueConsumer
from shared.messaging.topology import queue_state
from shared.runtime import MAX_LAG, ServiceRuntime
from shared.store import StoreSettings, opened, wait_for_locks
from reporting.application import ReportingApplication
from reporting.intake import Incoming
from reporting.long_work import LongWork
from reporting.projection import ProjectionRunner
from reporting.worker import Workers

log = logging.getLogger(__name__)

QUEUE = "reporting.events"
HEALTH_STORE_WAIT = 2.0  # seconds /health waits for the store's answer before it says unreachable
DEAD_LETTER_QUEUE = "reporting.dead-letters"


class ReportingRuntime(ServiceRuntime):
    def setup(self) -> None:
        config = self.container.config
        settings = StoreSettings.from_config(config)
        self.amqp_uri = config["AMQP_URI"]
        self.store_kind = settings.kind
        self.app = opened(lambda: ReportingApplication(env=settings.environment("reporting")))
        # Opened with the store's usual wait for another process's lock (a replica rebuilding);
        # then a short one: the intake and the projection retry a refused write themselves,
        # and SQLite's wait holds the whole process (/health included) while it lasts.
        lock_wait = float(config.get("REPORTING_SQLITE_LOCK_WAIT") or 1)
        wait_for_locks(self.app, lock_wait)
        # reports, verify and rebuild: in worker processes, never on this process's event loop
        self.workers = Workers(settings.environment("reporting"), size=int(config.get("REPORTING_WORKERS") or 2),
                               lock_wait=lock_wait)
        self.projector = ProjectionRunner(self.app.projection)
        self.consumer = QueueConsumer(
            self.amqp_uri,
            QUEUE,
            lambda messages: self.app.intake.receive(_incoming(messages)),
            writable=self.app.intake.writable,
            prefetch=int(config.get("REPORTING_PREFETCH") or 1000),
            batch_size=int(config.get("REPORTING_BATCH") or 500),
            after_batch=self.projector.wake,
        )
        # what the broker dead-lettered, taken back into the service's dead-letter record
        self.dead_letter_consumer = QueueConsumer(
            self.amqp_uri,
            DEAD_LETTER_QUEUE,
            lambda messages: self.app.dead_letters.take_back(_incoming(messages)),
            writable=self.app.intake.writable,
            prefetch=50,
            batch_size=50,
            idle_wait=0.5,
        )
        self.open_tokens(settings)
        self.app.long_work = LongWork(self.app, self.workers)
        self.app.runtime_status = self.broker_status

    def start(self) -> None:
        self.workers.start()
        self.app.projection.catch_up()
        self.container.spawn_managed_thread(self.projector.run_forever, identifier="reporting-projection")
        self.container.spawn_managed_thread(self.consumer.run_forever, identifier="reporting-consumer")
        self.container.spawn_managed_thread(self.dead_letter_consumer.run_forever,
                                            identifier="reporting-dead-letter-consumer")

    def stop(self) -> None:
        self.consumer.stop()
        self.dead_letter_consumer.stop()
        self.projector.stop()
        self.workers.close()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.app

    def broker_status(self) -> dict:
        """Waiting in the broker: the lag behind it, and its dead letters."""
        queues = queue_state(self.amqp_uri, [QUEUE, DEAD_LETTER_QUEUE, "rpc-reporting"])
        return {"broker": queues, "consumer": {
            "consuming": self.consumer.consuming, "last_error": self.consumer.last_error,
            "delivered": self.consumer.delivered, "retried_in_process": self.consumer.retried,
            "failed_alone": self.consumer.rejected_alone, "store_error": self.consumer.store_error,
        }, "projection_runner": self.projector.state(), "workers": self.workers.state()}

    _store_probe: Any = None  # the health check's read of the store under way (a green thread)

    def _read_store(self) -> tuple[int, int, dict[str, int]]:
        recorded = self.app.recorder.max_notification_id() or 0
        behind = max(0, recorded - self.app.projection.position)
        return recorded, behind, self.app.dead_letters.count_by_reason(status="open")

    def health(self) -> tuple[bool, dict]:
        """Healthy: the store answers and takes what arrives, the consumers consume, each of
        their queues has a consumer, the projection keeps up, and what waits in the broker and
        the projection is bounded. Degraded (still 200): dead letters nobody dealt with yet."""
        report: dict[str, Any] = {"service": "reporting", "store": self.store_kind}
        behind = 0
        open_letters: dict[str, int] = {}
        store_ok = False
        try:
            # Bounded: a PostgreSQL that is down makes each query wait for a connection (about
            # 12 s). The probe itself is never interrupted (a wait for a pooled connection cut
            # short left the pool handing later connections to nobody: after 70 s down it never
            # served again); only the wait for its answer is, and the next check reuses a probe
            # still under way.
            if self._store_probe is None or self._store_probe.dead:
                self._store_probe = eventlet.spawn(self._read_store)
            with eventlet.Timeout(HEALTH_STORE_WAIT, False):
                recorded, behind, open_letters = self._store_probe.wait()
                report.update(events_recorded=recorded, projection_behind=behind)
                store_ok = True
            if not store_ok:
                report["store_error"] = f"no answer within {HEALTH_STORE_WAIT:g} s"
        except Exception as error:  # noqa: BLE001
            report["store_error"] = str(error)
        broker = self.broker_status()
        report.update(broker)
        queues = broker["broker"]
        waiting = queues.get(QUEUE, {}).get("messages", 0)
        unwritable = [c for c in (self.consumer, self.dead_letter_consumer) if c.store_error]
        projection = self.projector.state()
        problems = [
            *([] if store_ok else ["store unreachable"]),
            *[f"store cannot be written for {c.queue} since {_since(c.store_failing_since)}: {c.store_error}; "
              "its messages are kept and tried again" for c in unwritable],
            *[f"not consuming {c.queue}: {c.last_error}" for c in (self.consumer, self.dead_letter_consumer)
              if not c.consuming],
            *([f"broker: {queues['error']}"] if "error" in queues else []),
            *[f"queue {name} has no consumer" for name in (QUEUE, DEAD_LETTER_QUEUE, "rpc-reporting")
              if "error" not in queues and not queues.get(name, {}).get("consumers")],
            *([f"{waiting} messages waiting, above {MAX_LAG}"] if waiting > MAX_LAG else []),
            *([f"projection {behind} events behind, above {MAX_LAG}"] if behind > MAX_LAG else []),
            *([f"projection failing since {_since(projection['failing_since'])}: {projection['error']}; "
               "tried again"] if projection["error"] else []),
        ]
        warnings = [f"{n} dead letter(s) {reason} not dealt with (GET /dead-letters; replay with "
                    "POST /dead-letters/replay once the cause is fixed)" for reason, n in open_letters.items()]
        report["problems"] = problems
        report["warnings"] = warnings
        report["open_dead_letters"] = sum(open_letters.values())
        report["status"] = "unhealthy" if problems else "degraded" if warnings else "ok"
        return not problems, report


def _incoming(messages: list[kombu.Message]) -> list[Incoming]:
    return [
        Incoming(
            body=m.body if isinstance(m.body, bytes) else str(m.body).encode(),
            content_type=m.content_type,
            exchange=m.delivery_info.get("exchange", ""),
            routing_key=m.delivery_info.get("routing_key", ""),
            headers=dict(m.headers or {}),
        )
        for m in messages
    ]


def _since(moment: float | None) -> str:
    if moment is None:
        return "?"
    return f"{datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec='seconds')} ({time.time() - moment:.0f} s)"
