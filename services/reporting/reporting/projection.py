"""Projections: one record per visit, meeting, group and donor, kept in tables beside the
reporting service's event store and updated from its notification log.

``catch_up`` applies what was recorded since the projection's saved position, all in one
transaction with the new position, so a crash re-applies a batch rather than losing it; every
record is folded again from all its aggregate's events (in version order), so duplicates and
out-of-order arrivals give the same record. ``rebuild`` starts from nothing; ``verify`` folds
the whole log in memory and compares."""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from shared.contract import CATALOGUE
from shared.store import SideTables
from reporting.records import fold
from reporting.reports import Period, calendar_of

BATCH = 500
REBUILD_READ = 5_000  # events a read when rebuilding
CHUNK = 400  # ids a query
CALENDAR_VERSION = 2  # bump when calendar_of changes: the day index is then built again
FOLD_VERSION = 2  # bump when records.fold changes: the projection is then rebuilt from its store
log = logging.getLogger(__name__)
RECEIVED_TOPIC = "reporting.domain:ReceivedEvent.Received"
EMPTY_HASH = hashlib.sha256(b"").hexdigest()


def chain(previous: str, event_id: str) -> str:
    """The events hash after one more event: sha256 over the previous hash and the event id."""
    return hashlib.sha256(f"{previous}{event_id}".encode()).hexdigest()


class Projection:
    NAME = "records"

    def __init__(self, app: Any) -> None:
        self.app = app
        self.sql = SideTables(app)
        self._plain_json = (self.sql.is_sqlite and app.mapper.cipher is None and app.mapper.compressor is None
                            and hasattr(app.recorder, "events_table_name"))
        # One catch-up (or rebuild) at a time in a process: the consumer, report requests and
        # a rebuild all call it, and two at once would apply a batch twice.
        self._lock = threading.RLock()
        t = self.sql.table
        self.events_table, self.records_table, self.position_table = (
            t("projection_events"), t("projection_records"), t("projection_position"),
        )
        # What each record contributes to which day (reports.calendar_of), so that a report
        # reads only the records of its period.
        self.days_table, self.spans_table = t("projection_days"), t("projection_spans")
        with self.sql.transaction() as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.events_table} (aggregate_id TEXT NOT NULL, "
                "aggregate_version INTEGER NOT NULL, kind TEXT NOT NULL, position BIGINT NOT NULL, "
                "envelope TEXT NOT NULL, PRIMARY KEY (aggregate_id, aggregate_version))"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.records_table} (aggregate_id TEXT PRIMARY KEY, "
                "kind TEXT NOT NULL, record TEXT NOT NULL)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.position_table} (name TEXT PRIMARY KEY, "
                "position BIGINT NOT NULL, events BIGINT NOT NULL, events_hash TEXT NOT NULL)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.days_table} (day TEXT NOT NULL, aggregate_id TEXT NOT NULL, "
                "PRIMARY KEY (day, aggregate_id))"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.spans_table} (aggregate_id TEXT NOT NULL, opens TEXT NOT NULL, "
                "closes TEXT, start_by TEXT)"
            )
            c.execute(f"CREATE INDEX IF NOT EXISTS projection_days_aggregate ON {self.days_table} (aggregate_id)")
            c.execute(f"CREATE INDEX IF NOT EXISTS projection_spans_aggregate ON {self.spans_table} (aggregate_id)")
            c.execute(f"CREATE INDEX IF NOT EXISTS projection_spans_opens ON {self.spans_table} (opens)")
            c.execute(f"CREATE INDEX IF NOT EXISTS projection_records_kind ON {self.records_table} (kind)")
        self._refold_if_stale()
        self._index_if_stale()

    # -- reading the store ------------------------------------------------------------------

    def received(self, start: int, limit: int = BATCH) -> list[tuple[int, dict, datetime]]:
        """(position, envelope, received_at) of events recorded from ``start`` on."""
        if self._plain_json:
            return self._received_sqlite(start, limit)
        return [self._decoded(n.id, n) for n in self.app.recorder.select_notifications(start=start, limit=limit)]

    def _decoded(self, position: int, notification: Any) -> tuple[int, dict, datetime]:
        domain_event = self.app.mapper.to_domain_event(notification)
        return position, domain_event.envelope, domain_event.timestamp

    def _received_sqlite(self, start: int, limit: int, *, text: bool = False) -> list[tuple]:
        """The same, read straight from the SQLite events table: an event's state is the
        transcoder's JSON (neither compressed nor encrypted here), whose envelope is plain
        JSON (it came off the wire) and whose timestamp is the one tagged value; decoded with
        one ``json.loads`` instead of the mapper's object hook and event object, about three
        times faster. Anything else is left to the mapper. With ``text``, each tuple also
        has the envelope's JSON text, cut from the state when the state is laid out as the
        transcoder writes it (else None): what the rebuild stores without encoding it again."""
        recorder = self.app.recorder
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT rowid, originator_id, originator_version, topic, state FROM {recorder.events_table_name} "
                      "WHERE rowid >= ? ORDER BY rowid LIMIT ?", (start, limit))
            rows = c.fetchall()
        out = []
        loads, fromiso = json.loads, datetime.fromisoformat
        for position, originator_id, version, topic, state in rows:
            if topic == RECEIVED_TOPIC:
                decoded = loads(state)
                stamp = decoded["timestamp"]
                if type(stamp) is dict and stamp.get("_type_") == "datetime_iso":
                    item = (position, decoded["envelope"], fromiso(stamp["_data_"]))
                    out.append((*item, _envelope_text(state, decoded)) if text else item)
                    continue
            item = self._decoded(position, StoredEvent(originator_id=UUID(originator_id), originator_version=version,
                                                       topic=topic, state=state))
            out.append((*item, None) if text else item)
        return out

    def all_received(self, batch: int = BATCH) -> Iterable[tuple[int, dict, datetime]]:
        start = 1
        while events := self.received(start, batch):
            yield from events
            start = events[-1][0] + 1

    def _all_with_text(self) -> Iterable[tuple[int, dict, datetime, str | None]]:
        """Every event, as ``all_received``, with its envelope's JSON text where it is at hand."""
        if not self._plain_json:
            yield from ((*item, None) for item in self.all_received(REBUILD_READ))
            return
        start = 1
        while events := self._received_sqlite(start, REBUILD_READ, text=True):
            yield from events
            start = events[-1][0] + 1

    def provenance(self) -> dict:
        """What the records were built from: number of events, last position, and a hash
        chained over their event ids in log order."""
        p = self.sql.param
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT position, events, events_hash FROM {self.position_table} WHERE name = {p}", (self.NAME,))
            row = c.fetchone()
        if row is None:
            return {"events": 0, "stream_position": 0, "events_hash": EMPTY_HASH}
        return {"events": int(row["events"]), "stream_position": int(row["position"]), "events_hash": row["events_hash"]}

    @property
    def position(self) -> int:
        return self.provenance()["stream_position"]

    # -- incremental ----------------------------------------------------------------------

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        applied = 0
        with self._lock:
            while True:
                batch = self.received(self.position + 1)
                if not batch:
                    return applied
                self._apply(batch)
                applied += len(batch)
                if progress:
                    progress(len(batch))

    def _apply(self, batch: list[tuple[int, dict, datetime]]) -> None:
        p = self.sql.param
        touched: dict[str, str] = {}
        before = self.provenance()
        events_hash = before["events_hash"]
        for _, envelope, _ in batch:
            events_hash = chain(events_hash, envelope["event_id"])
        rows = []
        for position, envelope, _ in batch:
            kind = CATALOGUE[envelope["event_type"]].aggregate
            rows.append((envelope["aggregate_id"], envelope["aggregate_version"], kind, position, json.dumps(envelope)))
            touched[envelope["aggregate_id"]] = kind
        with self.sql.transaction() as c:
            c.executemany(
                f"INSERT INTO {self.events_table} (aggregate_id, aggregate_version, kind, position, envelope) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (aggregate_id, aggregate_version) DO NOTHING",
                rows,
            )
            # every event of each aggregate touched, a few hundred aggregates a query
            events: dict[str, list[dict]] = defaultdict(list)
            ids = list(touched)
            for chunk in _chunks(ids):
                c.execute(
                    f"SELECT aggregate_id, envelope FROM {self.events_table} "
                    f"WHERE aggregate_id IN ({', '.join([p] * len(chunk))})",
                    tuple(chunk),
                )
                for row in c.fetchall():
                    events[row["aggregate_id"]].append(json.loads(row["envelope"]))
            folded = {a: fold(kind, events[a]) for a, kind in touched.items()}
            c.executemany(
                f"INSERT INTO {self.records_table} (aggregate_id, kind, record) VALUES ({p}, {p}, {p}) "
                "ON CONFLICT (aggregate_id) DO UPDATE SET record = excluded.record, kind = excluded.kind",
                [(a, touched[a], json.dumps(record, sort_keys=True)) for a, record in folded.items()],
            )
            for chunk in _chunks(ids):
                marks = ", ".join([p] * len(chunk))
                c.execute(f"DELETE FROM {self.days_table} WHERE aggregate_id IN ({marks})", tuple(chunk))
                c.execute(f"DELETE FROM {self.spans_table} WHERE aggregate_id IN ({marks})", tuple(chunk))
            self._write_index(c, folded.items())
            c.execute(
                f"INSERT INTO {self.position_table} (name, position, events, events_hash) "
                f"VALUES ({p}, {p}, {p}, {p}) ON CONFLICT (name) DO UPDATE SET position = excluded.position, "
                "events = excluded.events, events_hash = excluded.events_hash",
                (self.NAME, batch[-1][0], before["events"] + len(batch), events_hash),
            )

    # -- the day index ------------------------------------------------------------------------

    def _write_index(self, c: Any, records: Iterable[tuple[str, dict]]) -> None:
        """Insert the days and spans of these records (their old ones already deleted)."""
        p = self.sql.param
        days, spans = [], []
        for aggregate_id, record in records:
            record_days, record_spans = calendar_of(record)
            days += [(d, aggregate_id) for d in record_days]
            spans += [(aggregate_id, *span) for span in record_spans]
        c.executemany(f"INSERT INTO {self.days_table} (day, aggregate_id) VALUES ({p}, {p})", days)
        c.executemany(f"INSERT INTO {self.spans_table} (aggregate_id, opens, closes, start_by) "
                      f"VALUES ({p}, {p}, {p}, {p})", spans)

    def _index_if_stale(self) -> None:
        """Build the day index from the records if it was built by another version of
        ``calendar_of`` (or not at all: a store from before the index)."""
        p = self.sql.param
        marker = "calendar"
        with self._lock, self.sql.transaction() as c:
            c.execute(f"SELECT position FROM {self.position_table} WHERE name = {p}", (marker,))
            row = c.fetchone()
            if row is not None and int(row["position"]) == CALENDAR_VERSION:
                return
            c.execute(f"DELETE FROM {self.days_table}")
            c.execute(f"DELETE FROM {self.spans_table}")
            c.execute(f"SELECT aggregate_id, record FROM {self.records_table}")
            self._write_index(c, ((r["aggregate_id"], json.loads(r["record"])) for r in c.fetchall()))
            self._mark_index(c)

    def _refold_if_stale(self) -> None:
        """Rebuild the records from the store if they were folded by another version of
        ``records.fold`` (a record keeps what the fold of its day knew: a new fold needs them
        all folded again)."""
        p = self.sql.param
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT position FROM {self.position_table} WHERE name = {p}", ("fold",))
            row = c.fetchone()
            c.execute(f"SELECT COUNT(*) AS n FROM {self.records_table}")
            folded = int(c.fetchone()["n"])
        if row is not None and int(row["position"]) == FOLD_VERSION:
            return
        if folded:
            log.warning("projection records folded by another version: rebuilding them from the store")
            self.rebuild()  # writes the markers
            return
        with self._lock, self.sql.transaction() as c:
            self._mark_index(c)

    def _mark_index(self, c: Any) -> None:
        """Say which versions of ``calendar_of`` and ``records.fold`` built the tables."""
        p = self.sql.param
        # beside the row NAME (the records' own position), one row a marker
        for marker, version in (("calendar", CALENDAR_VERSION), ("fold", FOLD_VERSION)):
            c.execute(
                f"INSERT INTO {self.position_table} (name, position, events, events_hash) VALUES ({p}, {p}, 0, {p}) "
                "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                (marker, version, ""),
            )

    def records(self) -> dict[str, dict]:
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT aggregate_id, record FROM {self.records_table}")
            return {row["aggregate_id"]: json.loads(row["record"]) for row in c.fetchall()}

    def records_for(self, *periods: Period) -> dict[str, dict]:
        """The records a report of these periods can use (reports.calendar_of): those with a
        day in a period, those open across a period's end, every working group and every donor
        (who was interested in what: a handful of records). A report
        built from them equals one built from every record."""
        p = self.sql.param
        selects = [f"SELECT aggregate_id FROM {self.records_table} WHERE kind IN ({p}, {p})"]
        params: list[str] = ["working_group", "donor"]
        for period in periods:
            start, end = period.start.isoformat(), period.end.isoformat()
            selects.append(f"SELECT aggregate_id FROM {self.days_table} WHERE day >= {p} AND day <= {p}")
            selects.append(f"SELECT aggregate_id FROM {self.spans_table} WHERE opens <= {p} "
                           f"AND (closes IS NULL OR closes > {p}) AND (start_by IS NULL OR start_by >= {p})")
            params += [start, end, end, end, start]
        with self.sql.transaction(commit=False) as c:
            c.execute(
                f"SELECT r.aggregate_id, r.record FROM {self.records_table} r JOIN ({' UNION '.join(selects)}) s "
                "ON r.aggregate_id = s.aggregate_id",
                tuple(params),
            )
            return {row["aggregate_id"]: json.loads(row["record"]) for row in c.fetchall()}

    # -- rebuild, verify, as of ------------------------------------------------------------

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Start from nothing: read the whole log, fold every aggregate in memory, and write the
        tables in one transaction (what catch-up does one batch at a time, in bulk)."""
        p = self.sql.param
        with self._lock:
            grouped: dict[str, list[dict]] = defaultdict(list)
            rows = []
            events_hash, count, last = EMPTY_HASH, 0, 0
            kinds = {name: spec.aggregate for name, spec in CATALOGUE.items()}
            dumps, sha256 = json.dumps, hashlib.sha256
            for position, envelope, _, text in self._all_with_text():
                aggregate_id = envelope["aggregate_id"]
                grouped[aggregate_id].append(envelope)
                rows.append((aggregate_id, envelope["aggregate_version"], kinds[envelope["event_type"]], position,
                             text or dumps(envelope)))
                events_hash = sha256(f"{events_hash}{envelope['event_id']}".encode()).hexdigest()  # chain()
                count, last = count + 1, position
                if progress and count % BATCH == 0:
                    progress(BATCH)
            folded = {aggregate_id: fold(CATALOGUE[evs[0]["event_type"]].aggregate, evs)
                      for aggregate_id, evs in grouped.items()}
            with self.sql.transaction() as c:
                for table in (self.events_table, self.records_table, self.position_table, self.days_table,
                              self.spans_table):
                    c.execute(f"DELETE FROM {table}")
                c.executemany(
                    f"INSERT INTO {self.events_table} (aggregate_id, aggregate_version, kind, position, envelope) "
                    f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (aggregate_id, aggregate_version) DO NOTHING",
                    sorted(rows),  # in key order: the primary-key index is written in sequence
                )
                c.executemany(f"INSERT INTO {self.records_table} (aggregate_id, kind, record) VALUES ({p}, {p}, {p})",
                              [(a, r["kind"], json.dumps(r, sort_keys=True)) for a, r in folded.items()])
                self._write_index(c, folded.items())
                self._mark_index(c)
                if count:
                    c.execute(
                        f"INSERT INTO {self.position_table} (name, position, events, events_hash) VALUES ({p}, {p}, {p}, {p})",
                        (self.NAME, last, count, events_hash),
                    )
            if progress and count % BATCH:
                progress(count % BATCH)
            return count

    def fold_log(self, keep: Callable[[dict, datetime], bool] | None = None) -> tuple[dict[str, dict], dict]:
        """Records folded in memory from the whole log (or the events ``keep`` keeps), and
        what they were built from: count, last position, a hash of the event ids."""
        grouped: dict[str, list[dict]] = defaultdict(list)
        kinds: dict[str, str] = {}
        events_hash = EMPTY_HASH
        count, last = 0, 0
        for position, envelope, received_at in self.all_received():
            if keep is not None and not keep(envelope, received_at):
                continue
            grouped[envelope["aggregate_id"]].append(envelope)
            kinds[envelope["aggregate_id"]] = CATALOGUE[envelope["event_type"]].aggregate
            events_hash = chain(events_hash, envelope["event_id"])
            count, last = count + 1, position
        records = {a: json.loads(json.dumps(fold(kinds[a], evs), sort_keys=True)) for a, evs in grouped.items()}
        return records, {"events": count, "stream_position": last, "events_hash": events_hash}

    def verify(self) -> list[str]:
        """Where the incremental records differ from a full fold of the log (empty: equal)."""
        self.catch_up()
        rebuilt, _ = self.fold_log()
        current = self.records()
        differences = [f"missing from the projection: {a}" for a in sorted(set(rebuilt) - set(current))]
        differences += [f"not in the log: {a}" for a in sorted(set(current) - set(rebuilt))]
        differences += [f"differs: {a}" for a in sorted(set(rebuilt) & set(current)) if rebuilt[a] != current[a]]
        return differences


STATE_KEYS = ["timestamp", "originator_topic", "envelope", "exchange"]


@functools.lru_cache(maxsize=64)
def _tail(exchange: str) -> bytes:
    return b',"exchange":' + json.dumps(exchange, ensure_ascii=False).encode() + b"}"


def _envelope_text(state: bytes, decoded: dict) -> str | None:
    """The envelope's JSON text inside a stored state laid out ``{"timestamp": …,
    "originator_topic": …, "envelope": {…}, "exchange": "…"}``: from the first ``"envelope":``
    (the two values before it are a tagged time and a topic, which cannot hold it) to the
    exchange, which must end the state exactly as its decoded value encodes. None otherwise."""
    if list(decoded) != STATE_KEYS:
        return None
    tail = _tail(decoded["exchange"])
    begin = state.find(b'"envelope":')
    if begin < 0 or not state.endswith(tail):
        return None
    return state[begin + len(b'"envelope":'):len(state) - len(tail)].decode()


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]
