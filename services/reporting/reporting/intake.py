"""Intake: every message from the broker becomes a recorded event, a duplicate, or a dead
letter with its reason. Plain Python: the consumer loop and the tests both drive it.

A message is acknowledged only after its event is stored (the consumer acks after
``receive`` returns). Not JSON, a wrong content type, an envelope or payload that does not
match the contract, an unknown event type or schema version: a dead letter, kept with its raw
body in the ``dead_letters`` table for reporting staff, and the consumer carries on."""
from __future__ import annotations

import base64
import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from eventsourcing.persistence import IntegrityError, StoredEvent

from shared.contract import ContractViolation, canonical_envelope, decode_message
from shared.store import SideTables
from reporting.domain import stored

log = logging.getLogger(__name__)

RECORDED, DUPLICATE = "recorded", "duplicate"


@dataclass
class Incoming:
    body: bytes
    content_type: str | None
    exchange: str = ""
    routing_key: str = ""
    headers: dict = field(default_factory=dict)


@dataclass
class DeadLetter:
    reason: str
    detail: str


class DeadLetters:
    """Refused messages, with the reason and the raw body, for reporting staff to list."""

    def __init__(self, app) -> None:
        self.sql = SideTables(app)
        self.table = self.sql.table("dead_letters")
        with self.sql.transaction() as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, "
                "reason TEXT NOT NULL, detail TEXT NOT NULL, exchange TEXT NOT NULL, routing_key TEXT NOT NULL, "
                "content_type TEXT NOT NULL, body_base64 TEXT NOT NULL)"
            )

    def add(self, message: Incoming, letter: DeadLetter) -> None:
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(
                f"INSERT INTO {self.table} VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})",
                (str(uuid.uuid4()), datetime.now(timezone.utc).isoformat(), letter.reason, letter.detail[:2000],
                 message.exchange, message.routing_key, message.content_type or "",
                 base64.b64encode(message.body).decode()),
            )

    def list(self, limit: int = 100) -> list[dict]:
        p = self.sql.param
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.table} ORDER BY received_at DESC LIMIT {p}", (limit,))
            rows = [dict(r) for r in c.fetchall()]
        for row in rows:
            raw = base64.b64decode(row.pop("body_base64"))
            row["body"] = raw.decode("utf-8", errors="replace")
        return rows

    def count_by_reason(self) -> dict[str, int]:
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT reason, COUNT(*) AS n FROM {self.table} GROUP BY reason ORDER BY reason")
            return {row["reason"]: int(row["n"]) for row in c.fetchall()}


class Intake:
    def __init__(self, app, dead_letters: DeadLetters) -> None:
        self.app = app
        self.dead_letters = dead_letters
        self.counts = {RECORDED: 0, DUPLICATE: 0, "dead_lettered": 0}

    def receive(self, messages: list[Incoming]) -> list[str | DeadLetter]:
        """Decide each message; the valid new ones are stored in one transaction. Raises only
        on a transient failure (the store unavailable): then nothing of the batch is decided."""
        decisions: list[str | DeadLetter | None] = [None] * len(messages)
        fresh: dict[str, tuple[int, dict, str]] = {}
        for i, message in enumerate(messages):
            try:
                envelope = canonical_envelope(decode_message(message.body, message.content_type))
            except ContractViolation as violation:
                decisions[i] = DeadLetter(violation.reason, _detail(violation.detail))
                continue
            except Exception as error:  # noqa: BLE001 - one bad message must not send its batch back
                decisions[i] = DeadLetter("undecodable", f"{type(error).__name__}: {error}")
                continue
            if envelope["event_id"] in fresh:
                decisions[i] = DUPLICATE
                continue
            fresh[envelope["event_id"]] = (i, envelope, message.exchange)
            log.debug("received %s of %s v%s", envelope["event_type"], envelope["aggregate_id"],
                      envelope["aggregate_version"], extra={"correlation_id": envelope["correlation_id"]})
        if fresh:
            try:
                # straight into the event store (what Application.save does after checking
                # each object's type, which took longer than storing it)
                self.app.recorder.insert_events([stored(envelope, exchange, self.app.mapper)
                                                 for _, envelope, exchange in fresh.values()])
                for i, _, _ in fresh.values():
                    decisions[i] = RECORDED
            except IntegrityError:
                # Some were recorded before: store one by one, so the new ones still are.
                for i, envelope, exchange in fresh.values():
                    decisions[i] = self._save_one(stored(envelope, exchange, self.app.mapper))
        for message, decision in zip(messages, decisions):
            if isinstance(decision, DeadLetter):
                log.error(
                    "dead-lettered a message from %s (%s): %s: %s",
                    message.exchange or "?", message.routing_key or "?", decision.reason, decision.detail,
                    extra={"correlation_id": _correlation_of(message)},
                )
                self.dead_letters.add(message, decision)
                self.counts["dead_lettered"] += 1
            else:
                self.counts[decision] += 1
        return decisions  # type: ignore[return-value]

    def _save_one(self, event: StoredEvent) -> str:
        try:
            self.app.recorder.insert_events([event])
        except IntegrityError:
            return DUPLICATE
        return RECORDED


def _correlation_of(message: Incoming) -> str:
    """The correlation id of a refused message, if its body still says it."""
    try:
        value = json.loads(message.body).get("correlation_id")
    except (ValueError, AttributeError, UnicodeDecodeError):
        return "-"
    return str(value)[:200] if value else "-"


def _detail(detail) -> str:
    return detail if isinstance(detail, str) else json.dumps(detail, default=str)
