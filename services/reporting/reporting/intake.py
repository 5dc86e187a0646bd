"""Intake: every message from the broker becomes a recorded event, a duplicate, or a dead
letter with its reason. Plain Python: the consumer loop and the tests both drive it.

A message is acknowledged only after its event is stored (the consumer acks after
``receive`` returns). Not JSON, a wrong content type, an envelope or payload that does not
match the contract, an unknown event type or schema version, a routing key that is not the
event's type or an exchange that is not its service's, an event id recorded before with other
content: a dead letter, kept with its raw body in the ``dead_letters`` table for reporting
staff, who can replay it once its cause is fixed; the consumer carries on. Each message is
decided inside its own guard, so one that breaks the decision itself (nested too deep for a
parser, say) is a dead letter alone and the rest of its batch is decided once."""
from __future__ import annotations

import base64
import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from shared.contract import CATALOGUE, ContractViolation, canonical_envelope, decode_message
from shared.store import SideTables
from reporting.domain import recorded_envelope, stored

log = logging.getLogger(__name__)

RECORDED, DUPLICATE = "recorded", "duplicate"
BODY_SHOWN = 4096  # characters of a dead letter's body a listing returns (the whole body is kept)
# what a replay left: the letter is dealt with once its message was recorded (or was already)
DEALT_WITH = (RECORDED, DUPLICATE)
LETTER_STATUSES = ("open", "dealt_with")
# the reasons the intake gives itself (the contract's are ContractViolation's)
WRONG_ROUTING_KEY, WRONG_EXCHANGE, CONFLICTING_DUPLICATE, UNDECODABLE = INTAKE_REASONS = (
    "wrong_routing_key", "wrong_exchange", "conflicting_duplicate", "undecodable")


@dataclass
class Incoming:
    body: bytes
    content_type: str | None
    # where it came from; None where not known (in process): then not checked against the event
    exchange: str | None = None
    routing_key: str | None = None
    headers: dict = field(default_factory=dict)


@dataclass
class DeadLetter:
    reason: str
    detail: str


def letter_id(exchange: str | None, routing_key: str | None, body: bytes) -> str:
    """A dead letter's id: the same message (exchange, routing key, body) is one letter, however
    often it is delivered, dead-lettered by the broker or replayed."""
    digest = hashlib.sha256(f"{exchange or ''}\0{routing_key or ''}\0".encode() + body).hexdigest()
    return str(UUID(digest[:32]))


class DeadLetters:
    """Refused messages, with the reason and the raw body, for reporting staff to list and,
    once the cause is fixed, to replay; each replay's outcome is kept beside its letter.

    A letter is ``open`` until a replay recorded its message (or found it recorded already):
    then ``dealt_with``. One message is one letter (``letter_id``): delivered again, or taken
    back from the broker's dead-letter queue after the intake decided it, it is counted on the
    letter (``deliveries``), never stored twice."""

    # columns added after the first release, with their definitions (added to an older table)
    _LATER_COLUMNS = {
        "deliveries": "INTEGER NOT NULL DEFAULT 1", "last_received_at": "TEXT", "status": "TEXT NOT NULL DEFAULT 'open'",
        "replays": "INTEGER NOT NULL DEFAULT 0", "last_outcome": "TEXT", "dealt_with_at": "TEXT",
    }

    def __init__(self, app) -> None:
        self.sql = SideTables(app)
        self.table = self.sql.table("dead_letters")
        self.replays_table = self.sql.table("dead_letter_replays")
        with self.sql.transaction() as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, "
                "reason TEXT NOT NULL, detail TEXT NOT NULL, exchange TEXT NOT NULL, routing_key TEXT NOT NULL, "
                "content_type TEXT NOT NULL, body_base64 TEXT NOT NULL)"
            )
            if self.sql.is_sqlite:
                c.execute(f"PRAGMA table_info({self.table})")
                have = {row["name"] for row in c.fetchall()}
                for name, definition in self._LATER_COLUMNS.items():
                    if name not in have:
                        c.execute(f"ALTER TABLE {self.table} ADD COLUMN {name} {definition}")
            else:
                for name, definition in self._LATER_COLUMNS.items():
                    c.execute(f"ALTER TABLE {self.table} ADD COLUMN IF NOT EXISTS {name} {definition}")
            c.execute(f"CREATE INDEX IF NOT EXISTS dead_letters_status ON {self.table} (status, reason)")
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.replays_table} (letter_id TEXT NOT NULL, replayed_at TEXT NOT NULL, "
                "replayed_by TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL)"
            )
            c.execute(f"CREATE INDEX IF NOT EXISTS dead_letter_replays_letter ON {self.replays_table} (letter_id)")

    def add(self, message: Incoming, letter: DeadLetter) -> str:
        """Keep a refused message (once: a second delivery of it is counted on its letter)."""
        p = self.sql.param
        now = _now()
        ident = letter_id(message.exchange, message.routing_key, message.body)
        with self.sql.transaction() as c:
            c.execute(
                f"INSERT INTO {self.table} AS letter (id, received_at, reason, detail, exchange, routing_key, "
                "content_type, "
                f"body_base64, deliveries, last_received_at, status, replays) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, 1, {p}, 'open', 0) "
                "ON CONFLICT (id) DO UPDATE SET deliveries = letter.deliveries + 1, "
                "last_received_at = excluded.last_received_at",
                (ident, now, letter.reason, letter.detail[:2000], message.exchange or "", message.routing_key or "",
                 message.content_type or "", base64.b64encode(message.body).decode(), now),
            )
        return ident

    def list(self, limit: int = 100, status: str | None = None, reason: str | None = None) -> list[dict]:
        """The newest letters first, each body cut at ``BODY_SHOWN`` characters (``body_bytes``
        says how long it is, ``body_truncated`` whether it was cut)."""
        rows = self._select(status, reason, limit)
        for row in rows:
            raw = base64.b64decode(row.pop("body_base64"))
            text = raw.decode("utf-8", errors="replace")
            row.update(body=text[:BODY_SHOWN], body_bytes=len(raw), body_truncated=len(text) > BODY_SHOWN)
        return rows

    def _select(self, status: str | None, reason: str | None, limit: int | None = None,
                ident: str | None = None) -> list[dict]:
        p = self.sql.param
        where, args = [], []
        for column, value in (("status", status), ("reason", reason), ("id", ident)):
            if value is not None:
                where.append(f"{column} = {p}")
                args.append(value)
        sql = f"SELECT * FROM {self.table}" + (f" WHERE {' AND '.join(where)}" if where else "")
        sql += " ORDER BY received_at DESC, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        with self.sql.transaction(commit=False) as c:
            c.execute(sql, tuple(args))
            return [dict(r) for r in c.fetchall()]

    def to_replay(self, ident: str | None = None, reason: str | None = None) -> list[tuple[str, Incoming]]:
        """The open letters to replay (one, all of a reason, or all), oldest first, as messages."""
        rows = self._select("open", reason, None, ident)
        rows.sort(key=lambda row: (row["received_at"], row["id"]))
        return [(row["id"], Incoming(base64.b64decode(row["body_base64"]), row["content_type"] or None,
                                     row["exchange"] or None, row["routing_key"] or None)) for row in rows]

    def find(self, ident: str) -> dict | None:
        rows = self._select(None, None, 1, ident)
        return rows[0] if rows else None

    def replayed(self, ident: str, by: str, decision: str | DeadLetter) -> dict:
        """Keep one replay's outcome; the letter is dealt with if its message is recorded."""
        p = self.sql.param
        now = _now()
        if isinstance(decision, DeadLetter):
            outcome, detail = f"dead_letter:{decision.reason}", decision.detail[:2000]
        else:
            outcome, detail = decision, ""
        dealt_with = decision in DEALT_WITH
        with self.sql.transaction() as c:
            c.execute(f"INSERT INTO {self.replays_table} VALUES ({p}, {p}, {p}, {p}, {p})",
                      (ident, now, by[:200], outcome, detail))
            if dealt_with:
                c.execute(f"UPDATE {self.table} SET replays = replays + 1, last_outcome = {p}, status = 'dealt_with', "
                          f"dealt_with_at = {p} WHERE id = {p}", (outcome, now, ident))
            else:  # still refused: its reason now is the one that counts
                c.execute(f"UPDATE {self.table} SET replays = replays + 1, last_outcome = {p}, reason = {p}, "
                          f"detail = {p} WHERE id = {p}", (outcome, decision.reason, detail, ident))
        return {"id": ident, "outcome": outcome, "detail": detail}

    def replays_of(self, ident: str) -> list[dict]:
        p = self.sql.param
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT replayed_at, replayed_by, outcome, detail FROM {self.replays_table} "
                      f"WHERE letter_id = {p} ORDER BY replayed_at", (ident,))
            return [dict(r) for r in c.fetchall()]

    def count_by_reason(self, status: str | None = None) -> dict[str, int]:
        p = self.sql.param
        where = f" WHERE status = {p}" if status else ""
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT reason, COUNT(*) AS n FROM {self.table}{where} GROUP BY reason ORDER BY reason",
                      (status,) if status else ())
            return {row["reason"]: int(row["n"]) for row in c.fetchall()}

    def take_back(self, messages: list[Incoming]) -> list[str]:
        """Messages the broker dead-lettered (``reporting.dead-letters``), into the record with
        the broker's reason (its ``x-death`` header), as they left the queue they were on."""
        for message in messages:
            self.add(*broker_letter(message))
        return ["taken_back"] * len(messages)


def broker_letter(message: Incoming) -> tuple[Incoming, DeadLetter]:
    """A message from the dead-letter queue as it was on its way (its first exchange and routing
    key) and the broker's reason; a letter an earlier release published keeps its reason."""
    headers = message.headers or {}
    if headers.get("x-fieldwork-reason"):
        return message, DeadLetter(str(headers["x-fieldwork-reason"]), str(headers.get("x-fieldwork-detail") or ""))
    deaths = headers.get("x-death") or []
    death = deaths[0] if deaths and isinstance(deaths[0], dict) else {}
    reason = str(death.get("reason") or "unknown")
    keys = death.get("routing-keys") or [message.routing_key]
    original = Incoming(message.body, message.content_type, str(death.get("exchange", message.exchange) or ""),
                        str(keys[0] if keys else message.routing_key or ""), headers)
    detail = (f"dead-lettered by the broker from queue {death.get('queue', '?')} ({reason}, "
              f"{death.get('count', '?')} time(s)); the reporting service could not record it in time, "
              "or it failed by itself: replay it once the cause is fixed")
    return original, DeadLetter(f"broker_{reason}", detail)


class Intake:
    def __init__(self, app, dead_letters: DeadLetters) -> None:
        self.app = app
        self.dead_letters = dead_letters
        self.counts = {RECORDED: 0, DUPLICATE: 0, "dead_lettered": 0}
        self.sql = SideTables(app)
        self._probe_table = self.sql.table("intake_probe")
        with self.sql.transaction() as c:
            c.execute(f"CREATE TABLE IF NOT EXISTS {self._probe_table} (name TEXT PRIMARY KEY, at TEXT NOT NULL)")

    def receive(self, messages: list[Incoming]) -> list[str | DeadLetter]:
        """Decide each message; the valid new ones are stored in one transaction, dead letters
        kept. Raises only on a failure of the store (it cannot be written): then nothing of the
        batch is decided, and the whole batch can be given again."""
        decisions = self.decide(messages)
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
        return decisions

    def decide(self, messages: list[Incoming]) -> list[str | DeadLetter]:
        """Each message recorded (stored now), a duplicate, or a dead letter (not yet kept)."""
        decisions: list[str | DeadLetter | None] = [None] * len(messages)
        fresh: dict[str, tuple[int, dict, str]] = {}
        for i, message in enumerate(messages):
            envelope = self._envelope(message)
            if isinstance(envelope, DeadLetter):
                decisions[i] = envelope
                continue
            first = fresh.get(envelope["event_id"])
            if first is not None:
                decisions[i] = _same_or_conflict(first[1], envelope)
                continue
            fresh[envelope["event_id"]] = (i, envelope, message.exchange or CATALOGUE[envelope["event_type"]].exchange)
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
                    decisions[i] = self._save_one(envelope, exchange)
        return decisions  # type: ignore[return-value]

    def _envelope(self, message: Incoming) -> dict | DeadLetter:
        """The canonical envelope of a message, or the dead letter it is: every failure while
        deciding it is this message's alone."""
        try:
            envelope = canonical_envelope(decode_message(message.body, message.content_type))
            event_type = envelope["event_type"]
            if message.routing_key is not None and message.routing_key != event_type:
                raise ContractViolation(WRONG_ROUTING_KEY,
                                        f"routing key {message.routing_key!r} on a {event_type} event")
            exchange = CATALOGUE[event_type].exchange
            if message.exchange is not None and message.exchange != exchange:
                raise ContractViolation(WRONG_EXCHANGE, f"{event_type} travels on {exchange}, "
                                                          f"not on {message.exchange or 'the default exchange'!r}")
            return envelope
        except ContractViolation as violation:
            return DeadLetter(violation.reason, _detail(violation.detail))
        except Exception as error:  # noqa: BLE001 - one bad message must not send its batch back
            return DeadLetter(UNDECODABLE, _detail(f"{type(error).__name__}: {error}"))

    def _save_one(self, envelope: dict, exchange: str) -> str | DeadLetter:
        try:
            self.app.recorder.insert_events([stored(envelope, exchange, self.app.mapper)])
        except IntegrityError:
            recorded = self._recorded(envelope["event_id"])
            return DUPLICATE if recorded is None else _same_or_conflict(recorded, envelope)
        return RECORDED

    def _recorded(self, event_id: str) -> dict | None:
        """The envelope recorded under an event id."""
        events = self.app.recorder.select_events(UUID(event_id), limit=1)
        return recorded_envelope(events[0], self.app.mapper) if events else None

    def writable(self) -> None:
        """Raises while the store cannot be written (the consumer asks before it blames a message)."""
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"INSERT INTO {self._probe_table} (name, at) VALUES ('intake', {p}) "
                      "ON CONFLICT (name) DO UPDATE SET at = excluded.at", (_now(),))

    def replay(self, ident: str | None = None, reason: str | None = None, by: str = "unknown") -> dict:
        """Replay open dead letters (one, all of a reason, or all) through the intake; each
        replay's outcome is kept. A replayed message that is still refused stays open, with the
        reason it has now."""
        letters = self.dead_letters.to_replay(ident, reason)
        outcomes = []
        for letter, message in letters:
            decision = self.decide([message])[0]
            if not isinstance(decision, DeadLetter):
                self.counts[decision] += 1
            outcomes.append(self.dead_letters.replayed(letter, by, decision))
        summary: dict[str, int] = {}
        for outcome in outcomes:
            summary[outcome["outcome"]] = summary.get(outcome["outcome"], 0) + 1
        return {"replayed": len(outcomes), "outcomes": summary, "letters": outcomes}


def _same_or_conflict(recorded: dict, envelope: dict) -> str | DeadLetter:
    """A second message with a recorded event id: the same event again (silent), or other
    content under that id (their canonical forms compared): a dead letter."""
    if recorded == envelope:
        return DUPLICATE
    differing = sorted(k for k in set(recorded) | set(envelope) if recorded.get(k) != envelope.get(k))
    return DeadLetter(CONFLICTING_DUPLICATE,
                      f"event {envelope['event_id']} is recorded with other content ({', '.join(differing)} differ); "
                      f"recorded: {recorded.get('event_type')} v{recorded.get('aggregate_version')} of "
                      f"{recorded.get('aggregate_id')}, recorded_at {recorded.get('recorded_at')}")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _correlation_of(message: Incoming) -> str:
    """The correlation id of a refused message, if its body still says it."""
    try:
        value = json.loads(message.body).get("correlation_id")
    except Exception:  # noqa: BLE001 - not JSON, not an object, nested too deep: nothing to say
        return "-"
    return str(value)[:200] if value else "-"


def _detail(detail) -> str:
    try:
        return detail if isinstance(detail, str) else json.dumps(detail, default=str)
    except Exception:  # noqa: BLE001 - a detail too deep to write out
        return repr(detail)[:2000]
