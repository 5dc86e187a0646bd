"""Projections: one record per visit, meeting, group and donor, kept in tables beside the
reporting service's event store and updated from its notification log.

``catch_up`` applies what was recorded since the projection's saved position, all in one
transaction with the new position, so a crash re-applies a batch rather than losing it; every
record is folded again from all its aggregate's events (in version order), so duplicates and
out-of-order arrivals give the same record. Beside each record the projection keeps only the
positions in the store of the events it was folded from (``projection_sources``), and reads
those events from the store itself when it folds the record again. ``rebuild`` starts from
nothing; ``verify`` folds the whole log in memory and compares."""
from __future__ import annotations

import functools
import gc
import hashlib
import logging
import threading
import time
from collections import ChainMap, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.projection import Projection as LibraryProjection
from eventsourcing.sqlite import SQLiteTrackingRecorder

from shared.contract import CATALOGUE
from shared.store import SideTables
from reporting.domain import RECEIVED_TOPIC, ReceivedEvent, ReceivedTranscoder, plain_json
from reporting.records import apply, fold, follows, start
from reporting.reports import Period, calendar_of

BATCH = 500
REBUILD_READ = 5_000  # events a read when rebuilding
CHUNK = 400  # ids a query
# Bump when records.fold, reports.calendar_of or the projection's tables change: a projection
# built by another version is dropped and rebuilt from its store when the service opens it.
# 3: positions in projection_sources, not a copy of each event; 4: projection_latest; 5: each
# record's first and last day in projection_records, not a row a day in projection_days;
# 6: a restored source's new event at a version already recorded replaces the old ones (fold);
# 7: each record's first and last times (projection_sources) and the log's blocks
# (projection_blocks), for as-of reports that read only what changed after their moment;
# 8: the position in the library's tracking table (RecordsView), not in projection_position;
# 9: a meeting's announcement in force (a move calls for a new one); 10: the dates a visit's
# postponement gave up, due dates set again; 11: the Committees' membership by year; 12: a
# State's consent withdrawn; 13: organizations by their name in the directory, and those registered;
# 15: a meeting held and not reported to the Committee stays open across periods (the backlog);
# 16: a State asked again for its consent after withdrawing it: each request and answer kept;
# 17: the directory's contacts and the notifications (services/notifications), a notification's
# days those it was recorded on and is about; a meeting's announcement by its event id
VERSION = 17
# The fingerprint of the code each version was built by (records.py, the directory of
# organizations it names them by, reports.calendar_of and the statements that make the tables,
# in Projection.__init__), which tests/unit/reporting/test_projection_version.py recomputes: a
# change to that code without a new VERSION fails there. (Versions before 8 were bumped by hand.)
FINGERPRINTS = {8: "f827b7d0e17bdb4c", 9: "273d33ead5bc4c1d", 10: "4efb52094bc6ec53", 11: "3103fe110c8c4700", 12: "46370ba55a7be3d1", 13: "4ef9eeef7e8c4bf4", 14: "efcf663ed904a78e", 15: "361a3b8c3f73297c", 16: "1a22a2374bd851f5", 17: "52be1ea68b617a4d"}
BLOCK = 500  # events a block of the log (projection_blocks), at least (but the last)
_VERSION_MARK = "version"  # the projection_position row that holds VERSION
log = logging.getLogger(__name__)
EMPTY_HASH = hashlib.sha256(b"").hexdigest()


def _refolded(positions: list[int], envelope_at: Mapping[int, dict]) -> dict:
    """A record folded again from all its events (an event was missing, late or twice), in
    store order (``fold``: of two events with one version, the one recorded later counts)."""
    envelopes = [envelope_at[q] for q in positions]
    return fold(CATALOGUE[envelopes[0]["event_type"]].aggregate, envelopes)


def chain(previous: str, event_id: str) -> str:
    """The events hash after one more event: sha256 over the previous hash and the event id."""
    return hashlib.sha256(f"{previous}{event_id}".encode()).hexdigest()


class SQLiteRecordsView(SQLiteTrackingRecorder):
    """The records' view on SQLite: the library's tracking recorder (its ``tracking`` table
    holds the position of the last event applied), extended by ``Projection`` with the
    records' own tables, written in the same transaction as the tracking."""

    def tracking_table(self) -> str:
        return "tracking"


@functools.cache
def postgres_records_view() -> type:
    """The records' view on PostgreSQL (its tracking table ``reporting_tracking``), made when a
    store on PostgreSQL is opened: the library's PostgreSQL module and psycopg cost a service on
    SQLite about 9 MB."""
    from eventsourcing.postgres import PostgresTrackingRecorder

    class PostgresRecordsView(PostgresTrackingRecorder):
        def tracking_table(self) -> str:
            return f'"{self.datastore.schema}".{self.tracking_table_name}'

    return PostgresRecordsView


def records_view(app: Any) -> Any:
    """The view's tracking recorder on the application's own datastore (one pool, so the
    records and their tracking are written in one transaction), made by the application's
    infrastructure factory as the library makes any tracking recorder."""
    return app.factory.tracking_recorder(SQLiteRecordsView if SideTables(app).is_sqlite else postgres_records_view())


class Projection(LibraryProjection[Any]):
    """The records of visits, meetings, groups and donors: a projection of the library's
    (``eventsourcing.projection.Projection``: its ``name``, ``topics``, ``process_event`` and
    its view a tracking recorder), fed in batches by ``ProjectionRunner``."""

    name = NAME = "records"
    topics = (RECEIVED_TOPIC,)

    def __init__(self, app: Any) -> None:
        super().__init__(view=records_view(app))
        self.app = app
        self.sql = SideTables(app)
        # The store's own table, read with SQL (sequentially, and by position when a record
        # is folded again); a state is decoded with one JSON parse where it is the
        # transcoder's plain JSON (SQLite, neither compressed nor encrypted), else by the mapper.
        self._store_table = self.sql.table(app.recorder.events_table_name)
        self._position_column = "rowid" if self.sql.is_sqlite else "notification_id"
        self._plain_json = self.sql.is_sqlite and plain_json(app.mapper)
        # One catch-up (or rebuild) at a time in a process: the consumer, report requests and
        # a rebuild all call it, and two at once would apply a batch twice.
        self._lock = threading.RLock()
        t = self.sql.table
        self.sources_table, self.records_table, self.position_table = (
            t("projection_sources"), t("projection_records"), t("projection_position"),
        )
        # When each record can change a report (reports.calendar_of): its first and last day
        # (columns of the records table) and its spans, so that a report reads only the
        # records of its period.
        self.spans_table = t("projection_spans")
        # The last event applied from each source exchange (GET /status), so that a source
        # silent for long is not looked for through the whole store.
        self.latest_table = t("projection_latest")
        # The log in blocks of consecutive positions: the events hash and count at each block's
        # end and the span of its events' times, so that an as-of report's provenance reads
        # only the blocks holding events on both sides of its moment.
        self.blocks_table = t("projection_blocks")
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.position_table} (name TEXT PRIMARY KEY, "
                "position BIGINT NOT NULL, events BIGINT NOT NULL, events_hash TEXT NOT NULL)"
            )
            # Replicas opening one store at once take turns from here (dropping and making the
            # same tables at once fails on PostgreSQL; two at once making the position table
            # above are opened again by shared.store.opened).
            self._exclusive(c)
            marks = self._marks(c)
            stale = _stale(marks)
            if stale:  # another version's tables (or none): dropped, made anew, rebuilt below
                # projection_days: a row a day before VERSION 5; projection_events: a copy of
                # every event before VERSION 3
                for table in (self.sources_table, self.records_table, self.spans_table, self.latest_table,
                              self.blocks_table, t("projection_days"), t("projection_events")):
                    c.execute(f"DROP TABLE IF EXISTS {table}")
                c.execute(f"DELETE FROM {self.position_table}")
                self._untrack(c)
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.sources_table} (aggregate_id TEXT PRIMARY KEY, "
                "positions TEXT NOT NULL, first_recorded TEXT NOT NULL, last_recorded TEXT NOT NULL, "
                "first_occurred TEXT NOT NULL, last_occurred TEXT NOT NULL)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.blocks_table} (first_position BIGINT PRIMARY KEY, "
                "last_position BIGINT NOT NULL, size BIGINT NOT NULL, events BIGINT NOT NULL, "
                "events_hash TEXT NOT NULL, first_recorded TEXT NOT NULL, last_recorded TEXT NOT NULL, "
                "first_occurred TEXT NOT NULL, last_occurred TEXT NOT NULL)"
            )
            # first_day and last_day before the record: read from an index, never from the
            # record's overflow pages
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.records_table} (aggregate_id TEXT PRIMARY KEY, "
                "kind TEXT NOT NULL, first_day TEXT, last_day TEXT, record TEXT NOT NULL)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.spans_table} (aggregate_id TEXT NOT NULL, opens TEXT NOT NULL, "
                "closes TEXT, start_by TEXT)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.latest_table} (source TEXT PRIMARY KEY, position BIGINT NOT NULL, "
                "event_type TEXT NOT NULL, recorded_at TEXT NOT NULL, received_at TEXT NOT NULL)"
            )
            c.execute(f"CREATE INDEX IF NOT EXISTS projection_records_days ON {self.records_table} "
                      "(last_day, first_day, aggregate_id)")
            c.execute(f"CREATE INDEX IF NOT EXISTS projection_spans_aggregate ON {self.spans_table} (aggregate_id)")
            c.execute(f"CREATE INDEX IF NOT EXISTS projection_spans_opens ON {self.spans_table} (opens)")
            c.execute(f"CREATE INDEX IF NOT EXISTS projection_records_kind ON {self.records_table} (kind)")
            # the records' own position, from nothing (what each catch-up locks: see _apply)
            c.execute(f"INSERT INTO {self.position_table} (name, position, events, events_hash) "
                      f"VALUES ({p}, 0, 0, {p}) ON CONFLICT (name) DO NOTHING", (self.NAME, EMPTY_HASH))
        if stale:
            if set(marks) - {self.NAME}:
                log.warning("projection built by another version: rebuilding it from the store")
            elif marks:
                log.warning("projection not marked complete (a rebuild that did not finish, or another "
                            "replica's under way): rebuilding it from the store")
            with self._lock, _collector_paused():
                self._rebuild(None, unless_current=True)  # writes the version

    # -- reading the store ------------------------------------------------------------------

    def received(self, start: int, limit: int = BATCH) -> list[tuple[int, dict, datetime]]:
        """(position, envelope, received_at) of events recorded from ``start`` on, read with
        SQL (``_reading``). (Through the library's ``select_notifications`` and its
        notification objects, the intake with its catch-ups ran at 0.86-0.97 x, docs/reports.md.)"""
        with self.sql.transaction(commit=False) as c:
            return self._read(c, f"{self._position_column} >= {self.sql.param} ORDER BY {self._position_column} "
                                 f"LIMIT {self.sql.param}", (start, limit))

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """One event, as the library's ``ProjectionRunner`` hands them over: applied unless the
        view's tracking has it already. (``catch_up`` applies them a batch at a time.)"""
        with self._lock:
            after = self.position
            if tracking.notification_id <= after:
                return
            if not isinstance(domain_event, ReceivedEvent.Received):  # not this projection's: tracked only
                with self.sql.transaction() as c:
                    self._track(c, tracking.notification_id)
                return
            if not self._apply([(tracking.notification_id, domain_event.envelope, domain_event.timestamp)], after):
                raise RuntimeError("the projection moved while an event was applied (another replica)")

    def _stored_at(self, c: Any, positions: list[int]) -> dict[int, dict]:
        """The envelopes stored at these positions, a few hundred positions a query."""
        found: dict[int, dict] = {}
        for chunk in _chunks(positions):
            marks = ", ".join([self.sql.param] * len(chunk))
            found.update((position, envelope) for position, envelope, _ in
                         self._read(c, f"{self._position_column} IN ({marks})", tuple(chunk)))
        return found

    def _read(self, c: Any, where: str, params: tuple) -> list[tuple[int, dict, datetime]]:
        return list(self._reading(c, where, params))

    def _reading(self, c: Any, where: str, params: tuple) -> Iterator[tuple[int, dict, datetime]]:
        """Rows of the store's events table, fetched at once and decoded one at a time as they
        are taken. Where the state is the transcoder's plain JSON, by ``ReceivedTranscoder.received`` (one
        ``orjson.loads`` a row), only the position and the state fetched, instead of the
        mapper's object hook and an event object (about eight times faster). Anything else is
        left to the mapper (a row laid out otherwise read again whole)."""
        columns = f"{self._position_column} AS position, originator_id, originator_version, topic, state"
        if not self._plain_json:
            c.execute(f"SELECT {columns} FROM {self._store_table} WHERE {where}", params)
            yield from map(self._decoded, c.fetchall())
            return
        c.execute(f"SELECT {self._position_column}, state, topic = ? FROM {self._store_table} WHERE {where}",
                  (RECEIVED_TOPIC, *params))
        for position, state, received in c.fetchall():
            decoded = ReceivedTranscoder.received(state) if received else None
            if decoded is not None:
                yield position, decoded[0], decoded[1]
                continue
            c.execute(f"SELECT {columns} FROM {self._store_table} WHERE {self._position_column} = ?", (position,))
            yield self._decoded(c.fetchone())

    def _decoded(self, row: Any) -> tuple[int, dict, datetime]:
        domain_event = self.app.mapper.to_domain_event(StoredEvent(
            originator_id=UUID(str(row["originator_id"])), originator_version=row["originator_version"],
            topic=row["topic"], state=bytes(row["state"])))
        return row["position"], domain_event.envelope, domain_event.timestamp

    def all_received(self, batch: int = REBUILD_READ) -> Iterator[tuple[int, dict, datetime]]:
        """Every recorded event in log order, ``batch`` rows a read, each decoded as it is
        taken: decoded a read at a time, the envelopes fell out of the processor's cache before
        they were folded (a rebuild of 1,000,000 events took 11.5 s instead of 9)."""
        start, p, position = 1, self.sql.param, self._position_column
        while True:
            event = None
            with self.sql.transaction(commit=False) as c:
                for event in self._reading(c, f"{position} >= {p} ORDER BY {position} LIMIT {p}", (start, batch)):
                    yield event
            if event is None:
                return
            start = event[0] + 1

    def provenance(self) -> dict:
        """What the records were built from: number of events, last position, and a hash
        chained over their event ids in log order."""
        with self.sql.transaction(commit=False) as c:
            return self._provenance(c)

    def _provenance(self, c: Any) -> dict:
        """``provenance`` in a transaction: the count and hash kept in projection_position,
        the position the view's tracking (``RecordsView``)."""
        c.execute(f"SELECT events, events_hash FROM {self.position_table} WHERE name = {self.sql.param}", (self.NAME,))
        row = c.fetchone()
        if row is None:
            return {"events": 0, "stream_position": 0, "events_hash": EMPTY_HASH}
        return {"events": int(row["events"]), "stream_position": self._tracked(c), "events_hash": row["events_hash"]}

    @property
    def position(self) -> int:
        """The position of the last event applied: the library's tracking of this view."""
        return self.view.max_tracking_id(self.app.name) or 0

    def _tracked(self, c: Any) -> int:
        return self.view._max_tracking_id(self.app.name, c) or 0  # noqa: SLF001 - the library's own read, in our transaction

    def _track(self, c: Any, position: int) -> None:
        """Record the view's new position (the library's tracking row) in this transaction."""
        if position:
            self.view._insert_tracking(c, Tracking(self.app.name, position))  # noqa: SLF001 - as the library's own recorders extend it

    def _untrack(self, c: Any) -> None:
        c.execute(f"DELETE FROM {self.view.tracking_table()} WHERE application_name = {self.sql.param}", (self.app.name,))

    # -- incremental ----------------------------------------------------------------------

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        applied = 0
        with self._lock:
            while True:
                after = self.position
                batch = self.received(after + 1)
                if not batch:
                    return applied
                if self._apply(batch, after):
                    applied += len(batch)
                    if progress:
                        progress(len(batch))

    def _apply(self, batch: list[tuple[int, dict, datetime]], after: int) -> bool:
        """Apply a batch read after position ``after``: a record whose new events come next in
        version order takes them one by one (``records.apply``); any other (an event missing,
        late, or twice) is folded again from all its events, read from the store by position.
        False, and nothing written, if the projection has moved from ``after`` meanwhile
        (another replica of the service applied it): the caller reads again."""
        p = self.sql.param
        arrived: dict[str, dict[int, dict]] = defaultdict(dict)  # aggregate -> position -> envelope
        for position, envelope, _ in batch:
            arrived[envelope["aggregate_id"]][position] = envelope
        ids = list(arrived)
        kept: dict[str, tuple[dict, list[int]]] = {}  # aggregate -> (record, positions)
        times: dict[str, list[str]] = {}  # aggregate -> its events' first and last times
        with self.sql.transaction() as c:
            # A write first takes the projection's lock (SQLite's database lock, PostgreSQL's
            # row lock) before anything is read; then no replica can apply a batch in between.
            # On PostgreSQL it waits for the lock as long as the store's own writes do
            # (POSTGRES_LOCK_TIMEOUT), then fails and is tried again (ProjectionRunner), named by
            # /health: a projection stalled behind a lock is not silent. (SQLite: its lock wait.)
            if not self.sql.is_sqlite:
                c.execute(f"SET LOCAL lock_timeout = '{int(self.sql.datastore.lock_timeout)}s'")
            c.execute(f"UPDATE {self.position_table} SET position = position WHERE name = {p}", (self.NAME,))
            held = self._provenance(c)
            if held["stream_position"] != after:
                return False
            count, events_hash = held["events"], held["events_hash"]
            for _, envelope, _ in batch:
                events_hash = chain(events_hash, envelope["event_id"])
            for chunk in _chunks(ids):
                c.execute(f"SELECT r.aggregate_id, r.record, s.positions, {_TIMES} FROM {self.records_table} r "
                          f"JOIN {self.sources_table} s ON s.aggregate_id = r.aggregate_id "
                          f"WHERE r.aggregate_id IN ({', '.join([p] * len(chunk))})", tuple(chunk))
                for row in c.fetchall():
                    kept[row["aggregate_id"]] = (_loads(row["record"]), _loads(row["positions"]))
                    times[row["aggregate_id"]] = [row[column] for column in _TIME_COLUMNS]
            for _, envelope, _ in batch:
                _widen(times, envelope["aggregate_id"], _utc(envelope["recorded_at"]), _utc(envelope["occurred_at"]))
            folded: dict[str, dict] = {}
            positions: dict[str, list[int]] = {}
            refold: list[str] = []
            for a in ids:
                new = [arrived[a][q] for q in sorted(arrived[a])]
                record, earlier = kept.get(a) or (start(CATALOGUE[new[0]["event_type"]].aggregate, a), [])
                positions[a] = sorted({*earlier, *arrived[a]})
                for envelope in new:
                    if not follows(record, envelope["aggregate_version"]):
                        refold.append(a)
                        break
                    apply(record, envelope)
                else:
                    folded[a] = record
            stored = self._stored_at(c, [q for a in refold for q in positions[a] if q not in arrived[a]])
            for a in refold:
                folded[a] = _refolded(positions[a], ChainMap(arrived[a], stored))
            rows, spans = _rows(folded.items())
            c.executemany(
                f"INSERT INTO {self.records_table} (aggregate_id, kind, first_day, last_day, record) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (aggregate_id) DO UPDATE SET kind = excluded.kind, "
                "first_day = excluded.first_day, last_day = excluded.last_day, record = excluded.record",
                rows,
            )
            c.executemany(
                f"INSERT INTO {self.sources_table} (aggregate_id, positions, {_TIMES}) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}) ON CONFLICT (aggregate_id) DO UPDATE SET "
                "positions = excluded.positions, "
                + ", ".join(f"{column} = excluded.{column}" for column in _TIME_COLUMNS),
                [(a, _dumps(positions[a]), *times[a]) for a in ids],
            )
            self._add_block(c, batch, count + len(batch), events_hash)
            for chunk in _chunks(ids):
                c.execute(f"DELETE FROM {self.spans_table} WHERE aggregate_id IN ({', '.join([p] * len(chunk))})",
                          tuple(chunk))
            self._insert_spans(c, spans)
            self._note_latest(c, {CATALOGUE[envelope["event_type"]].exchange: (position, envelope, received_at)
                                  for position, envelope, received_at in batch})
            c.execute(f"UPDATE {self.position_table} SET events = {p}, events_hash = {p} WHERE name = {p}",
                      (count + len(batch), events_hash, self.NAME))
            self._track(c, batch[-1][0])
        return True

    def _add_block(self, c: Any, batch: list[tuple[int, dict, datetime]], events: int, events_hash: str) -> None:
        """Take a batch into the log's last block, or begin a block with it when the last one
        holds ``BLOCK`` events already."""
        p = self.sql.param
        new = _block_row(batch, events, events_hash)
        c.execute(f"SELECT first_position, size, {_TIMES} FROM {self.blocks_table} "
                  "ORDER BY first_position DESC LIMIT 1")
        last = c.fetchone()
        if last is None or int(last["size"]) >= BLOCK:
            c.execute(f"INSERT INTO {self.blocks_table} (first_position, last_position, size, events, events_hash, "
                      f"{_TIMES}) VALUES ({', '.join([p] * 9)})", new)
            return
        c.execute(
            f"UPDATE {self.blocks_table} SET last_position = {p}, size = size + {p}, events = {p}, "
            f"events_hash = {p}, first_recorded = {p}, last_recorded = {p}, first_occurred = {p}, "
            f"last_occurred = {p} WHERE first_position = {p}",
            (new[1], new[2], new[3], new[4], min(last["first_recorded"], new[5]), max(last["last_recorded"], new[6]),
             min(last["first_occurred"], new[7]), max(last["last_occurred"], new[8]), last["first_position"]),
        )

    def _note_latest(self, c: Any, latest: dict[str, tuple[int, dict, datetime]]) -> None:
        """Keep each source's newest event, unless a later one is kept already."""
        p = self.sql.param
        c.executemany(
            f"INSERT INTO {self.latest_table} AS t (source, position, event_type, recorded_at, received_at) "
            f"VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (source) DO UPDATE SET position = excluded.position, "
            "event_type = excluded.event_type, recorded_at = excluded.recorded_at, "
            "received_at = excluded.received_at WHERE t.position < excluded.position",
            [(source, position, envelope["event_type"], envelope["recorded_at"], received_at.isoformat())
             for source, (position, envelope, received_at) in latest.items()],
        )

    def latest(self) -> dict[str, dict]:
        """The newest recorded event of each source exchange, by source: what the projection
        keeps of the events it applied (``projection_latest``), and of those recorded since,
        read back from the end of the store (as many as it is behind: usually none)."""
        floor = self.position  # first: what the table covers, at least (one transaction writes both)
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT source, position, event_type, recorded_at, received_at FROM {self.latest_table}")
            newest = {row["source"]: {"event_type": row["event_type"], "recorded_at": row["recorded_at"],
                                      "received_at": row["received_at"], "position": int(row["position"])}
                      for row in c.fetchall()}
        position = self.app.recorder.max_notification_id() or 0
        tail: dict[str, dict] = {}
        while position > floor and len(tail) < 2:
            start = max(floor + 1, position - 199)
            for pos, envelope, received_at in reversed(self.received(start, limit=position - start + 1)):
                tail.setdefault(CATALOGUE[envelope["event_type"]].exchange, {
                    "event_type": envelope["event_type"], "recorded_at": envelope["recorded_at"],
                    "received_at": received_at.isoformat(), "position": pos})
            position = start - 1
        for source, item in tail.items():
            if source not in newest or newest[source]["position"] < item["position"]:
                newest[source] = item
        return dict(sorted(newest.items()))

    # -- the day index ------------------------------------------------------------------------

    def _insert_spans(self, c: Any, spans: list[tuple[str, str, str | None, str | None]]) -> None:
        p = self.sql.param
        c.executemany(f"INSERT INTO {self.spans_table} (aggregate_id, opens, closes, start_by) "
                      f"VALUES ({p}, {p}, {p}, {p})", spans)

    def _mark_version(self, c: Any) -> None:
        """Say which version built the tables (``VERSION``)."""
        p = self.sql.param
        c.execute(
            f"INSERT INTO {self.position_table} (name, position, events, events_hash) VALUES ({p}, {p}, 0, {p}) "
            "ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            (_VERSION_MARK, VERSION, ""),
        )

    def records(self) -> dict[str, dict]:
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT aggregate_id, record FROM {self.records_table}")
            return {row["aggregate_id"]: _loads(row["record"]) for row in c.fetchall()}

    def records_for(self, *periods: Period) -> dict[str, dict]:
        """The records a report of these periods can use (reports.calendar_of): those whose
        first and last day bound a day in a period, those open across a period's end, every
        working group and every donor (who was interested in what: a handful of records). A
        report built from them equals one built from every record."""
        with self.sql.transaction(commit=False) as c:
            records = self._records_for(c, periods)
            self._add_announcements(c, records, periods)
            return records

    def _records_for(self, c: Any, periods: Iterable[Period], last: str | None = None,
                     moment: str | None = None) -> dict[str, dict]:
        """``records_for`` in a transaction; with ``last`` and ``moment``, only the records
        whose every event came by then (their ``last`` time at most ``moment``)."""
        p = self.sql.param
        selects = [f"SELECT aggregate_id FROM {self.records_table} WHERE kind IN ({p}, {p})"]
        params: list[str] = ["working_group", "donor"]
        for period in periods:
            start, end = period.indexed_days()  # the UTC days its days can fall on
            selects.append(f"SELECT aggregate_id FROM {self.records_table} WHERE last_day >= {p} AND first_day <= {p}")
            selects.append(f"SELECT aggregate_id FROM {self.spans_table} WHERE opens <= {p} "
                           f"AND (closes IS NULL OR closes > {p}) AND (start_by IS NULL OR start_by >= {p})")
            params += [start, end, end, period.closes_after(), start]
        query = (f"SELECT r.aggregate_id, r.record FROM {self.records_table} r JOIN ({' UNION '.join(selects)}) s "
                 "ON r.aggregate_id = s.aggregate_id")
        if last is not None:
            query += (f" JOIN {self.sources_table} t ON t.aggregate_id = r.aggregate_id WHERE t.{last} <= {p}")
            params.append(moment)
        c.execute(query, tuple(params))
        return {row["aggregate_id"]: _loads(row["record"]) for row in c.fetchall()}

    def _add_announcements(self, c: Any, records: dict[str, dict], periods: Iterable[Period],
                           last: str | None = None, moment: str | None = None) -> None:
        """Add to ``records`` the notifications of the meetings' announcements that the day index
        left out. A notification's days are the day it was recorded and the day it is about (the
        meeting's start), so those of a meeting begun before the period it is held in (begun on
        30 June, its holding recorded on 1 July) fall on no day of that period, and a report of
        it needs them (``reports._announcement``). With ``last`` and ``moment``, as
        ``_records_for``: only the records whose every event came by then."""
        ranges = [period.indexed_days() for period in periods]
        starts = {r["id"]: r["starts_at"][:10] for r in records.values()
                  if r["kind"] == "meeting" and r["held_at"] and r.get("announcement_id") and r["starts_at"]
                  and not any(first <= r["starts_at"][:10] <= end for first, end in ranges)}
        p = self.sql.param
        for days in _chunks(sorted(set(starts.values()))):
            query, params = f"SELECT r.aggregate_id, r.record FROM {self.records_table} r", []
            if last is not None:
                query += f" JOIN {self.sources_table} t ON t.aggregate_id = r.aggregate_id AND t.{last} <= {p}"
                params.append(moment)
            query += f" WHERE r.kind = {p} AND (" + " OR ".join([f"(r.last_day >= {p} AND r.first_day <= {p})"]
                                                                 * len(days)) + ")"
            params += ["notification", *(d for day in days for d in (day, day))]
            c.execute(query, tuple(params))
            for row in c.fetchall():
                record = _loads(row["record"])
                if record["notice"] == "meeting_announced" and record["subject_id"] in starts:
                    records.setdefault(row["aggregate_id"], record)

    # -- rebuild, verify, as of ------------------------------------------------------------

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Start from nothing: read the whole log, fold every aggregate in memory, and write the
        tables in one transaction (what catch-up does one batch at a time, in bulk)."""
        with self._lock, _collector_paused():
            # what it held in memory is freed before the collector resumes (else its first
            # pass walks all of it: half a second at 1,000,000 events)
            return self._rebuild(progress)

    def _exclusive(self, c: Any) -> None:
        """Take the projection's lock until the transaction ends, so that replicas opening,
        dropping or rebuilding the projection take turns: PostgreSQL's advisory lock on the
        projection's position table, SQLite's database lock (a write)."""
        if self.sql.is_sqlite:
            c.execute(f"UPDATE {self.position_table} SET position = position WHERE name = ?", (self.NAME,))
        else:
            c.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(self.position_table),))

    def _marks(self, c: Any) -> dict[str, int]:
        """The rows of projection_position: name -> position (the version, for ``version``)."""
        c.execute(f"SELECT name, position FROM {self.position_table}")
        return {row["name"]: int(row["position"]) for row in c.fetchall()}

    def _rebuild(self, progress: Callable[[int], None] | None, unless_current: bool = False) -> int:
        """Fold the whole log, then write it in one transaction under the projection's lock;
        ``unless_current`` (when the service opens the store): not written if another replica
        wrote a projection of this version meanwhile."""
        p = self.sql.param
        records: dict[str, dict] = {}
        sources: dict[str, list[int]] = defaultdict(list)
        refold: set[str] = set()  # events missing, late or twice: folded from all of them below
        events_hash, count, last = EMPTY_HASH, 0, 0
        aggregate_of = {name: spec.aggregate for name, spec in CATALOGUE.items()}
        source_of = {name: spec.exchange for name, spec in CATALOGUE.items()}
        latest: dict[str, tuple[int, dict, datetime]] = {}
        times: dict[str, list[str]] = {}  # aggregate -> its first and last times (_TIME_COLUMNS)
        blocks: list[tuple] = []  # rows of projection_blocks
        block: list[int] = []  # the block under way: its positions and times
        block_recorded: list[str] = []
        block_occurred: list[str] = []
        for item in self.all_received():
            position, envelope, _ = item
            latest[source_of[envelope["event_type"]]] = item
            aggregate_id = envelope["aggregate_id"]
            sources[aggregate_id].append(position)
            recorded, occurred = envelope["recorded_at"], envelope["occurred_at"]
            # (_utc's own test in line: a rebuild asks it two million times)
            if not (len(recorded) in _UTC_LENGTHS and recorded[10] == "T" and recorded.endswith("+00:00")):
                recorded = _utc(recorded)
            if not (len(occurred) in _UTC_LENGTHS and occurred[10] == "T" and occurred.endswith("+00:00")):
                occurred = _utc(occurred)
            _widen(times, aggregate_id, recorded, occurred)
            events_hash = chain(events_hash, envelope["event_id"])
            count, last = count + 1, position
            block.append(position)
            block_recorded.append(recorded)
            block_occurred.append(occurred)
            if len(block) == BLOCK:
                blocks.append(_block(block, block_recorded, block_occurred, count, events_hash))
                block, block_recorded, block_occurred = [], [], []
            if progress and count % BATCH == 0:
                progress(BATCH)
            if aggregate_id in refold:
                continue
            record = records.get(aggregate_id)
            if record is None:
                record = records[aggregate_id] = start(aggregate_of[envelope["event_type"]], aggregate_id)
            if follows(record, envelope["aggregate_version"]):
                apply(record, envelope)
            else:
                refold.add(aggregate_id)
        if block:
            blocks.append(_block(block, block_recorded, block_occurred, count, events_hash))
        if refold:
            with self.sql.transaction(commit=False) as c:
                stored = self._stored_at(c, [q for a in refold for q in sources[a]])
            for a in refold:
                records[a] = _refolded(sources[a], stored)
        with self.sql.transaction() as c:
            self._exclusive(c)
            if unless_current and not _stale(self._marks(c)):
                return count
            for table in (self.sources_table, self.records_table, self.position_table, self.spans_table,
                          self.latest_table, self.blocks_table):
                c.execute(f"DELETE FROM {table}")
            self._untrack(c)
            self._note_latest(c, latest)
            rows, spans = _rows(records.items())
            c.executemany(f"INSERT INTO {self.records_table} (aggregate_id, kind, first_day, last_day, record) "
                          f"VALUES ({p}, {p}, {p}, {p}, {p})", rows)
            c.executemany(f"INSERT INTO {self.sources_table} (aggregate_id, positions, {_TIMES}) "
                          f"VALUES ({p}, {p}, {p}, {p}, {p}, {p})",
                          [(a, _dumps(positions), *times[a]) for a, positions in sources.items()])
            c.executemany(f"INSERT INTO {self.blocks_table} (first_position, last_position, size, events, "
                          f"events_hash, {_TIMES}) VALUES ({', '.join([p] * 9)})", blocks)
            self._insert_spans(c, spans)
            self._mark_version(c)
            # (projection_position's own position column holds only the version: the records'
            # position is the tracking's)
            c.execute(
                f"INSERT INTO {self.position_table} (name, position, events, events_hash) VALUES ({p}, 0, {p}, {p})",
                (self.NAME, count, events_hash),
            )
            self._track(c, last)
        if progress and count % BATCH:
            progress(count % BATCH)
        return count

    def fold_log(self, keep: Callable[[dict, datetime], bool] | None = None) -> tuple[dict[str, dict], dict]:
        """Records folded in memory from the whole log (or the events ``keep`` keeps), and
        what they were built from: count, last position, a hash of the event ids."""
        grouped: dict[str, list[dict]] = defaultdict(list)
        events_hash = EMPTY_HASH
        count, last = 0, 0
        with _collector_paused():
            for position, envelope, received_at in self.all_received():
                if keep is not None and not keep(envelope, received_at):
                    continue
                grouped[envelope["aggregate_id"]].append(envelope)
                events_hash = chain(events_hash, envelope["event_id"])
                count, last = count + 1, position
            records = {a: _loads(_dumps(fold(CATALOGUE[evs[0]["event_type"]].aggregate, evs)))
                       for a, evs in grouped.items()}
        return records, {"events": count, "stream_position": last, "events_hash": events_hash}

    def as_of(self, periods: Iterable[Period], moment: datetime, basis: str) -> tuple[dict[str, dict], dict]:
        """The records a report of these periods can use as they stood at ``moment`` (by when
        their events were recorded, or by when they happened: ``basis``), and what they were
        built from: what ``fold_log`` keeps of the whole log, read from what changed after the
        moment only. A record whose every event came by then is its current record; one whose
        first event came after is not there; only the records with events on both sides are
        folded again from their events (read by position). The provenance likewise: the
        events hash and count at the end of the log's longest prefix of blocks kept whole, then
        the kept events of the blocks after it that hold any."""
        first, last, field = _BASIS[basis]
        t, periods = _utc(moment), tuple(periods)
        self.catch_up()
        with self.sql.transaction(commit=False) as c:
            self._snapshot(c)
            provenance = self._provenance_as_of(c, first, last, field, t)
            records = self._records_for(c, periods, last, t)
            c.execute(f"SELECT aggregate_id, positions FROM {self.sources_table} WHERE {first} <= {self.sql.param} "
                      f"AND {last} > {self.sql.param}", (t, t))
            straddling = {row["aggregate_id"]: _loads(row["positions"]) for row in c.fetchall()}
            stored = self._stored_at(c, [q for positions in straddling.values() for q in positions])
            for aggregate_id, positions in straddling.items():
                kept = [stored[q] for q in positions if _utc(stored[q][field]) <= t]
                if kept:
                    records[aggregate_id] = _loads(_dumps(fold(CATALOGUE[kept[0]["event_type"]].aggregate, kept)))
            self._add_announcements(c, records, periods, last, t)  # of the meetings as they stood then
        return records, provenance

    def _provenance_as_of(self, c: Any, first: str, last: str, field: str, t: str) -> dict:
        p, position = self.sql.param, self._position_column
        c.execute(f"SELECT first_position, last_position, events, events_hash, {first}, {last} "
                  f"FROM {self.blocks_table} ORDER BY first_position")
        blocks = c.fetchall()
        events_hash, count, stream_position, i = EMPTY_HASH, 0, 0, 0
        while i < len(blocks) and blocks[i][last] <= t:  # kept whole, from the log's start
            events_hash, count, stream_position = blocks[i]["events_hash"], int(blocks[i]["events"]), \
                int(blocks[i]["last_position"])
            i += 1
        for block in blocks[i:]:
            if block[first] > t:  # nothing kept
                continue
            for at, envelope, _ in self._reading(c, f"{position} >= {p} AND {position} <= {p} ORDER BY {position}",
                                                 (block["first_position"], block["last_position"])):
                if _utc(envelope[field]) <= t:
                    events_hash, count, stream_position = chain(events_hash, envelope["event_id"]), count + 1, at
        return {"events": count, "stream_position": stream_position, "events_hash": events_hash}

    def _snapshot(self, c: Any) -> None:
        """Every read of this transaction sees the store at one moment: SQLite's read
        transaction does; PostgreSQL's default sees each statement's own."""
        if not self.sql.is_sqlite:
            c.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")

    def verify(self) -> list[str]:
        """Where the incremental records differ from a full fold of the log (empty: equal)."""
        self.catch_up()
        rebuilt, _ = self.fold_log()
        current = self.records()
        differences = [f"missing from the projection: {a}" for a in sorted(set(rebuilt) - set(current))]
        differences += [f"not in the log: {a}" for a in sorted(set(current) - set(rebuilt))]
        differences += [f"differs: {a}" for a in sorted(set(rebuilt) & set(current)) if rebuilt[a] != current[a]]
        return differences


# An aggregate's (or a block's) first and last times, by when its events were recorded and by
# when they happened: UTC ISO strings, which compare as the moments do.
_TIME_COLUMNS = ("first_recorded", "last_recorded", "first_occurred", "last_occurred")
_TIMES = ", ".join(_TIME_COLUMNS)
# the columns of a basis (reporting.reports.BASES): (first, last, the envelope's field)
_BASIS = {"recorded": ("first_recorded", "last_recorded", "recorded_at"),
          "occurred": ("first_occurred", "last_occurred", "occurred_at")}


# The contract's own form of a UTC moment, ``2025-06-01T09:30:00+00:00`` with or without
# microseconds (a valid moment, the intake checked): such strings compare as the moments do.
_UTC_LENGTHS = (25, 32)


def _utc(moment: str | datetime) -> str:
    """A moment as a UTC ISO string, which compares with another as the moments do (one in
    the contract's own form as it is)."""
    if isinstance(moment, str):
        if len(moment) in _UTC_LENGTHS and moment[10] == "T" and moment.endswith("+00:00"):
            return moment
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(timezone.utc).isoformat()


def _widen(times: dict[str, list[str]], key: str, recorded: str, occurred: str) -> None:
    """``times[key]``, first and last times (``_TIME_COLUMNS``), taking in one more event."""
    spread = times.get(key)
    if spread is None:
        times[key] = [recorded, recorded, occurred, occurred]
        return
    if recorded < spread[0]:
        spread[0] = recorded
    elif recorded > spread[1]:
        spread[1] = recorded
    if occurred < spread[2]:
        spread[2] = occurred
    elif occurred > spread[3]:
        spread[3] = occurred


def _block(positions: list[int], recorded: list[str], occurred: list[str], events: int, events_hash: str) -> tuple:
    """A row of projection_blocks: consecutive events by their positions and times (UTC), the
    log's count and hash at the last of them."""
    return (positions[0], positions[-1], len(positions), events, events_hash,
            min(recorded), max(recorded), min(occurred), max(occurred))


def _block_row(items: list[tuple[int, dict, datetime]], events: int, events_hash: str) -> tuple:
    """``_block`` of a batch of (position, envelope, received_at)."""
    return _block([position for position, _, _ in items], [_utc(e["recorded_at"]) for _, e, _ in items],
                  [_utc(e["occurred_at"]) for _, e, _ in items], events, events_hash)


def _stale(marks: dict[str, int]) -> bool:
    """Whether the projection's tables must be rebuilt, by the marks in projection_position:
    not marked with this ``VERSION``, or marked also by a version from before the mark (whose
    ``fold`` and ``calendar`` marks it kept: that version, run on this store, wrote records
    without their first and last day, and a report would not find them)."""
    return marks.get(_VERSION_MARK) != VERSION or bool(set(marks) - {Projection.NAME, _VERSION_MARK})


def _lock_key(table: str) -> int:
    """A 64-bit advisory lock key of its own for each schema's projection."""
    return int.from_bytes(hashlib.sha256(f"fieldwork projection {table}".encode()).digest()[:8], "big", signed=True)


def _rows(records: Iterable[tuple[str, dict]]) -> tuple[list[tuple], list[tuple]]:
    """The rows these records are kept in: (aggregate_id, kind, first_day, last_day, record),
    the days those of ``reports.calendar_of`` (None for a record without any), and their spans
    (aggregate_id, opens, closes, start_by)."""
    rows, spans = [], []
    for aggregate_id, record in records:
        days, record_spans = calendar_of(record)
        rows.append((aggregate_id, record["kind"], min(days, default=None), max(days, default=None), _dumps(record)))
        spans += [(aggregate_id, *span) for span in record_spans]
    return rows, spans


def _dumps(value: Any) -> str:
    """A record (or a list of positions) as stored: JSON with sorted keys."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


_loads = orjson.loads


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a whole log is held in memory: it would
    walk every envelope kept so far again and again as more are made (a third of a rebuild's
    time at 100,000 events). What is built here holds no reference cycle, so nothing waits for
    the collector; reference counting frees it as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _chunks(ids: list) -> Iterable[list]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


class ProjectionRunner:
    """Keeps the projection caught up, apart from the intake: woken after each batch the intake
    recorded (and once a second anyway), it applies what was recorded since. A catch-up that
    fails (the store refusing a write, a fold that raises) is logged, tried again with back-off,
    and shown by ``state()`` for the health check; the intake goes on recording meanwhile."""

    FIRST_RETRY, MAX_RETRY = 0.5, 15.0

    def __init__(self, projection: Projection, every: float = 1.0) -> None:
        self.projection = projection
        self.every = every
        self.error: str | None = None
        self.failing_since: float | None = None
        self.failures = 0
        self._wake = threading.Event()
        self._stop = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def state(self) -> dict:
        return {"error": self.error, "failing_since": self.failing_since, "failures": self.failures}

    def run_forever(self) -> None:
        backoff = self.FIRST_RETRY
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.projection.catch_up()
            except Exception as error:  # noqa: BLE001 - logged, shown by the health check, tried again
                self.failures += 1
                self.error = f"{type(error).__name__}: {error}"
                self.failing_since = self.failing_since or time.time()
                log.error("the projection could not catch up (%s); trying again in %.1fs", self.error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.MAX_RETRY)
                continue
            if self.error:
                log.info("the projection catches up again (it failed %d time(s))", self.failures)
            self.error = self.failing_since = None
            backoff = self.FIRST_RETRY
            self._wake.wait(self.every)
