"""The benchmark harness: how fast and how far the system goes, beside the fastest this machine
allows, in one run, printed as one table.

    .venv/bin/python -m bench.run                 # default size (a few minutes)
    .venv/bin/python -m bench.run --size tiny     # a smoke run (seconds; the tests run it)
    .venv/bin/python -m bench.run --size large    # 1,000,000 events for rebuild and reports

Baselines (measured in the same run, on the same broker and disk): raw pika publishing
persistent messages with confirms and consuming them with acks; raw sqlite3 inserts and reads.
Every figure of the system is also given as a ratio to its baseline. Everything runs in a
RabbitMQ vhost and a folder of its own, removed at the end. No figure is asserted anywhere.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pika
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fieldwork_testing import AMQP_BASE, ServiceProcess  # noqa: E402
from shared.contract import build_envelope, encode_envelope  # noqa: E402
from shared.messaging.topology import delete_vhost, load_definitions  # noqa: E402

SIZES = {
    "tiny": {"pika": 500, "sqlite": 2_000, "intake": 500, "ingest": 60, "levels": (1, 4), "rebuild": (500, 2_000)},
    "default": {"pika": 20_000, "sqlite": 100_000, "intake": 20_000, "ingest": 600, "levels": (1, 4, 16),
                "rebuild": (10_000, 30_000, 100_000)},
    "large": {"pika": 50_000, "sqlite": 1_000_000, "intake": 50_000, "ingest": 1_500, "levels": (1, 4, 16, 32),
              "rebuild": (10_000, 100_000, 300_000, 1_000_000)},
}


@dataclass
class Row:
    what: str
    value: float
    unit: str
    baseline: str = ""
    ratio: float | None = None
    note: str = ""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    points: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # series -> (events, seconds)

    def point(self, series: str, events: int, seconds: float) -> None:
        self.points.setdefault(series, []).append((events, seconds))

    def add(self, *args, **kwargs) -> Row:
        row = Row(*args, **kwargs)
        self.rows.append(row)
        print(f"  {row.what}: {row.value:,.1f} {row.unit}" + (f" ({row.ratio:.2f} x {row.baseline})" if row.ratio else ""),
              file=sys.stderr, flush=True)
        return row

    def table(self) -> str:
        lines = ["| measure | value | unit | ratio to baseline | note |", "| --- | ---: | --- | --- | --- |"]
        for r in self.rows:
            ratio = f"{r.ratio:.2f} x {r.baseline}" if r.ratio is not None else ""
            lines.append(f"| {r.what} | {r.value:,.1f} | {r.unit} | {ratio} | {r.note} |")
        return "\n".join(lines)


def envelopes(count: int, start: datetime) -> list[dict]:
    """Valid visit_proposed events, each its own visit, spread over the first half of a year."""
    spread = timedelta(days=180) / max(count, 1)
    return [
        build_envelope(
            event_type="visit_proposed", aggregate_id=uuid.uuid4(), aggregate_version=1,
            occurred_at=start + spread * i, recorded_at=start + spread * i, user="bench", role="visit_coordinator",
            correlation_id=f"bench-{i}",
            payload_source={"member_state": "KEN", "committee": "ctc", "origin": "committee_selection", "purpose": ""},
        )
        for i in range(count)
    ]


HISTORY = (datetime(2000, 1, 1, 9, tzinfo=timezone.utc), datetime(2025, 6, 1, 9, tzinfo=timezone.utc))
STATES = ("KEN", "MAR", "PHL", "IDN", "KAZ", "JOR", "NGA", "SEN", "TUN", "VNM")

# One visit's life: (event type, days after its proposal, payload); 13 events, in version order and
# in time order, as the visits service records them.
LIFECYCLE = (
    ("visit_proposed", 0, None), ("visit_approved", 2, {}), ("consent_requested", 7, "due_on"),
    ("consent_granted", 20, {}), ("organization_invited", 22, {"organization": "UNODC", "kind": "un_body"}),
    ("pre_visit_info_requested", 23, "info_due"), ("visit_scheduled", 30, "dates"),
    ("pre_visit_info_received", 50, "info"), ("visit_started", 70, {}), ("visit_completed", 74, {}),
    ("needs_assessment_recorded", 90, "needs"), ("follow_up_recorded", 150, {"summary": "updated", "results": ""}),
    ("visit_closed", 180, {"summary": "closed"}),
)


def history(count: int) -> list[dict]:
    """About ``count`` events: whole visit lifecycles (13 events each, proposal to closure over
    six months), the visits' proposals spread evenly over 2000-2025, in the order they happened.
    A half year holds about 1/50 of them, as a real history would."""
    visits = max(1, -(-count // len(LIFECYCLE)))
    spread = (HISTORY[1] - HISTORY[0]) / visits
    items = []
    for i in range(visits):
        proposed = HISTORY[0] + spread * i
        aggregate = uuid.uuid4()

        def day(days: int):
            return (proposed + timedelta(days=days)).date()

        special = {
            "due_on": {"due_on": day(37)}, "info_due": {"organization": "UNODC", "due_on": day(60)},
            "info": {"organization": "UNODC", "summary": "information", "late": False, "after_due_date": False},
            "dates": {"starts_on": day(70), "ends_on": day(74)},
            "needs": {"needs": [{"need_id": "N1", "thematic_area": "border_control", "description": "support",
                                 "priority": "high"}], "summary": "needs", "assessment_version": 1},
        }
        for version, (event_type, days, payload) in enumerate(LIFECYCLE, start=1):
            if payload is None:
                payload = {"member_state": STATES[i % len(STATES)], "committee": ("ctc", "1540")[i % 2],
                           "origin": "committee_selection", "purpose": ""}
            elif isinstance(payload, str):
                payload = special[payload]
            moment = proposed + timedelta(days=days)
            items.append(build_envelope(
                event_type=event_type, aggregate_id=aggregate, aggregate_version=version, occurred_at=moment,
                recorded_at=moment, user="bench", role="visit_coordinator", correlation_id=f"bench-{i}",
                payload_source=payload,
            ))
    items.sort(key=lambda e: e["recorded_at"])
    return items[:count]  # the last visit cut short


# -- baselines -------------------------------------------------------------------------------


def pika_baselines(uri: str, n: int, results: Results) -> tuple[float, float]:
    """Raw pika: publish with confirms while one consumer acks (end to end), then consume a
    filled queue with acks. Returns (end-to-end/s, consume-with-ack/s)."""
    queue = f"bench.{uuid.uuid4().hex[:6]}"
    params = pika.URLParameters(uri)
    setup = pika.BlockingConnection(params)
    setup.channel().queue_declare(queue, durable=True)
    setup.close()
    body = b"x" * 700  # about an envelope's size
    got = threading.Event()

    def consume(expected: int) -> None:
        connection = pika.BlockingConnection(params)
        channel = connection.channel()
        channel.basic_qos(prefetch_count=200)
        seen = 0
        for method, _, _ in channel.consume(queue, inactivity_timeout=30):
            if method is None:
                break
            channel.basic_ack(method.delivery_tag)
            seen += 1
            if seen >= expected:
                break
        channel.cancel()
        connection.close()
        got.set()

    def publish(count: int) -> None:
        connection = pika.BlockingConnection(params)
        channel = connection.channel()
        channel.confirm_delivery()
        properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")
        for _ in range(count):
            channel.basic_publish("", queue, body, properties, mandatory=True)
        connection.close()

    consumer = threading.Thread(target=consume, args=(n,))
    consumer.start()
    began = time.perf_counter()
    publish(n)
    consumer.join()
    end_to_end = n / (time.perf_counter() - began)
    results.add("raw pika end to end (confirms, 1 publisher, 1 consumer acking)", end_to_end, "msg/s")

    publish(n)
    began = time.perf_counter()
    consume(n)
    consume_rate = n / (time.perf_counter() - began)
    results.add("raw pika consume with acks (filled queue)", consume_rate, "msg/s")
    return end_to_end, consume_rate


def sqlite_baselines(folder: Path, n: int, results: Results) -> tuple[float, float]:
    path = folder / "baseline.sqlite"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE t (id TEXT PRIMARY KEY, version INTEGER, topic TEXT, state BLOB)")
    rows = [(uuid.uuid4().hex, 1, "t", b"x" * 600) for _ in range(n)]
    began = time.perf_counter()
    for start in range(0, n, 1_000):
        with db:
            db.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows[start:start + 1_000])
    inserts = n / (time.perf_counter() - began)
    results.add("raw sqlite3 inserts (1,000 a transaction)", inserts, "rows/s")
    began = time.perf_counter()
    count = sum(1 for _ in db.execute("SELECT rowid, * FROM t ORDER BY rowid"))
    reads = count / (time.perf_counter() - began)
    results.add("raw sqlite3 read of stored rows", reads, "rows/s")
    db.close()
    return inserts, reads


# -- the system ------------------------------------------------------------------------------


def publish_raw(uri: str, items: list[dict]) -> None:
    connection = pika.BlockingConnection(pika.URLParameters(uri))
    channel = connection.channel()
    channel.confirm_delivery()
    properties = pika.BasicProperties(delivery_mode=2, content_type="application/json")
    for envelope in items:
        channel.basic_publish("visits.events", envelope["event_type"], encode_envelope(envelope), properties,
                              mandatory=True)
    connection.close()


PROJECTED = "SELECT events FROM projection_position WHERE name = 'records'"  # events the projection applied


def projected(store: Path) -> int:
    """How many events the reporting projection has applied, read from its SQLite file (a
    reader never blocks the service's writer in WAL mode): cheap enough to look every
    millisecond without loading the service, which ``GET /status`` would (it opens a broker
    connection each time)."""
    try:
        db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    except sqlite3.Error:
        return 0  # not created yet
    try:
        row = db.execute(PROJECTED).fetchone()
        return row[0] if row else 0
    except sqlite3.Error:
        return 0  # tables not created yet
    finally:
        db.close()


def wait_projected(store: Path, target: int, timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if projected(store) >= target:
            return
        time.sleep(0.005)
    raise RuntimeError(f"reporting did not project {target} events in {timeout}s")


def peak_memory_mb(service: ServiceProcess) -> float:
    for line in Path(f"/proc/{service.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def intake(uri: str, folder: Path, n: int, consume_baseline: float, results: Results, replicas: int = 1) -> None:
    """The reporting service's intake: a filled queue, consumed, validated, stored, projected.
    Timed from the first event stored (the service's start left out), and with the start. With
    ``replicas``, that many processes of the service on one store, started together, compete
    for the queue (as ``docker compose up --scale reporting=2`` runs them)."""
    publish_raw(uri, envelopes(n, datetime(2025, 1, 1, tzinfo=timezone.utc)))
    here = folder / f"intake-{replicas}"
    here.mkdir()
    services = [ServiceProcess("reporting", uri, here) for _ in range(replicas)]
    store = here / "reporting.sqlite"
    began = time.perf_counter()
    first: list[float] = []

    def watch_first() -> None:  # the moment the first event is stored, from the store itself
        while not first and time.perf_counter() - began < 120:
            try:
                db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
                try:
                    if db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]:
                        first.append(time.perf_counter())
                finally:
                    db.close()
            except sqlite3.Error:
                pass  # not created yet
            time.sleep(0.001)

    watcher = threading.Thread(target=watch_first)
    watcher.start()
    starters = [threading.Thread(target=service.start) for service in services]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join()
    wait_projected(store, n)
    done = time.perf_counter()
    watcher.join()
    with_start = n / (done - began)
    rate = n / (done - first[0]) if first else with_start
    if replicas == 1:
        results.add("reporting intake (filled queue: validate, store once, project)", rate, "events/s",
                    "raw pika consume", rate / consume_baseline, "from the first event stored to the last projected")
        results.add("reporting intake, with the service's start", with_start, "events/s", "raw pika consume",
                    with_start / consume_baseline, "from starting the process")
    else:
        results.add(f"reporting intake, {replicas} replicas on one store", rate, "events/s", "raw pika consume",
                    rate / consume_baseline, "from the first event stored to the last projected")
    for service in services:
        service.stop()


def ingest(uri: str, folder: Path, commands: int, levels: tuple[int, ...], pika_e2e: float, results: Results) -> None:
    """Commands sent to the visits and meetings APIs, one to each in turn (a visit proposed, a
    meeting put on the schedule), until visible in the reporting projections: as fast as
    ``level`` clients can (each keeping its connections open), then paced at half the best rate
    seen (the latency target's load)."""
    (folder / "ingest").mkdir()
    visits = ServiceProcess("visits", uri, folder / "ingest").start()
    meetings = ServiceProcess("meetings", uri, folder / "ingest").start()
    reporting = ServiceProcess("reporting", uri, folder / "ingest").start()
    store = folder / "ingest" / "reporting.sqlite"
    try:
        coordinator = {"Authorization": f"Bearer {visits.token('bench', 'visit_coordinator')}"}
        secretariat = {"Authorization": f"Bearer {meetings.token('bench', 'secretariat')}"}
        loaded = requests.post(f"{meetings.url}/groups/load-reference", headers=secretariat, timeout=30)
        loaded.raise_for_status()
        group = loaded.json()[0]["id"]
        wait_projected(store, len(loaded.json()))  # the groups' events counted before any run starts
        starts = datetime(2030, 1, 7, 10, tzinfo=timezone.utc)

        def command(k: int) -> tuple[str, dict, dict]:
            if k % 2 == 0:
                return f"{visits.url}/visits", {"member_state": "KEN", "committee": "ctc"}, coordinator
            return f"{meetings.url}/meetings", {
                "group_id": group, "meeting_kind": "working_group", "title": f"Bench meeting {k}",
                "starts_at": (starts + timedelta(hours=k)).isoformat(),
                "ends_at": (starts + timedelta(hours=k, minutes=90)).isoformat(), "location": "Room 7",
            }, secretariat

        def run(level: int, pace: float | None = None) -> tuple[float, str]:
            """(commands/s, latency note) of ``commands`` commands from ``level`` clients, each
            sent at its slot ``1/pace`` s after the last one's when ``pace`` is given."""
            base = projected(store)
            sent_at: list[float] = []
            lock = threading.Lock()
            # each client keeps its connections open between commands, as a browser does
            local, sessions = threading.local(), []

            def one(k: int) -> None:
                if pace:
                    time.sleep(max(0.0, began + k / pace - time.perf_counter()))
                url, body, headers = command(k)
                if not hasattr(local, "session"):
                    local.session = requests.Session()
                    with lock:
                        sessions.append(local.session)
                response = local.session.post(url, json=body, headers=headers, timeout=30)
                response.raise_for_status()
                with lock:
                    sent_at.append(time.perf_counter())

            seen: list[tuple[float, int]] = []
            stop = threading.Event()

            def poll() -> None:  # the projection's own count, every millisecond (see projected)
                db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
                try:
                    while not stop.is_set():
                        row = db.execute(PROJECTED).fetchone()
                        seen.append((time.perf_counter(), row[0] if row else 0))
                        time.sleep(0.001)
                finally:
                    db.close()

            poller = threading.Thread(target=poll)
            poller.start()
            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=level) as pool:
                list(pool.map(one, range(commands)))
            for session in sessions:
                session.close()
            wait_projected(store, base + commands)
            elapsed = time.perf_counter() - began
            stop.set()
            poller.join()
            # the i-th accepted command is visible when the projection has base + i events
            latencies = []
            sent_at.sort()
            for i, accepted in enumerate(sent_at, start=1):
                visible = next((t for t, events in seen if events >= base + i and t >= accepted), None)
                if visible is not None:
                    latencies.append((visible - accepted) * 1000)
            q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [float("nan")] * 99
            return commands / elapsed, f"accepted to projected: p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, p99 {q[98]:.0f} ms"

        best = 0.0
        for level in levels:
            rate, note = run(level)
            best = max(best, rate)
            results.add(f"ingest end to end, {level} concurrent client(s)", rate, "commands/s",
                        "raw pika end to end", rate / pika_e2e, note)
        rate, note = run(8, pace=best / 2)
        results.add("ingest end to end, paced at half the best rate", rate, "commands/s", "raw pika end to end",
                    rate / pika_e2e, note)
        for service in (visits, meetings, reporting):
            results.add(f"{service.service} service peak memory", peak_memory_mb(service), "MB")
    finally:
        for service in (visits, meetings, reporting):
            service.stop()


def raw_reads(path: Path, n: int, results: Results) -> tuple[float, float]:
    """Two floors for reading the same stored events with sqlite3 alone: fetching the rows
    (tuples, nothing looked at), and fetching them and decoding each row's JSON state (the
    least work that looks at an event)."""
    db = sqlite3.connect(path)
    began = time.perf_counter()
    count = sum(1 for _ in db.execute("SELECT rowid, * FROM stored_events ORDER BY rowid"))
    fetch = count / (time.perf_counter() - began)
    results.add(f"raw sqlite3 read of the same {n:,} stored events (fetch only)", fetch, "rows/s")
    loads = json.loads
    began = time.perf_counter()
    count = sum(1 for row in db.execute("SELECT rowid, * FROM stored_events ORDER BY rowid") if loads(row[4]))
    decode = count / (time.perf_counter() - began)
    results.add(f"raw sqlite3 read of the same {n:,} stored events, each row's JSON decoded", decode, "rows/s")
    db.close()
    return fetch, decode


def filled_reporting_store(data_dir: Path, n: int):
    """A reporting store in ``data_dir`` filled (in process, with the intake's own code) with
    about ``n`` events of ``history``: (the application, how many events)."""
    from shared.store import StoreSettings
    from reporting.application import ReportingApplication
    from reporting.intake import Incoming

    app = ReportingApplication(env=StoreSettings(data_dir=str(data_dir)).environment("reporting"))
    items = history(n)
    for start in range(0, len(items), 1_000):
        app.intake.receive([Incoming(encode_envelope(e), "application/json", "visits.events", e["event_type"])
                            for e in items[start:start + 1_000]])
    return app, len(items)


def rebuild_and_reports(folder: Path, n: int, results: Results) -> None:
    """Fill a reporting store directly (the intake's own code, in process) with ``n`` events of
    whole visit lifecycles over 25 years, then rebuild its projections and build the reports
    from them: a half year and a year at the end of the history, and a period covering it all
    (the worst case: every record is in it)."""
    from reporting.formats import FORMATS, render
    from reporting.reports import Period, annual, semi_annual

    store = folder / f"rebuild-{n}"
    app, n = filled_reporting_store(store, n)
    fetch, decode = raw_reads(store / "reporting.sqlite", n, results)
    began = time.perf_counter()
    app.projection.rebuild()
    rate = n / (time.perf_counter() - began)
    results.point("projection rebuild", n, n / rate)
    results.add(f"projection rebuild, {n:,} events", rate, "events/s", "raw read + JSON decode", rate / decode,
                f"{rate / fetch:.2f} x raw fetch only")

    every = tuple(FORMATS)
    reports = [("semi-annual", semi_annual(2024, 2), every),
               ("annual", annual(2024), every),
               ("semi-annual", Period(HISTORY[0].date(), date(2025, 12, 31)), ("json", "pdf", "docx"))]
    for kind, period, formats in reports:
        label = f"{kind} report" if period.end.year - period.start.year < 2 else "report of the whole history"
        for fmt in formats:
            began = time.perf_counter()
            report = app.report(kind, period)
            body = render(report, fmt)
            if fmt == "json":
                results.point(f"{label}, json", n, time.perf_counter() - began)
            results.add(f"{label} over {n:,} events, {fmt}", (time.perf_counter() - began) * 1000, "ms",
                        note=f"{len(report['visits']['conducted']):,} visits conducted in {period.start}..{period.end}"
                             + ("" if fmt == "json" else f"; {len(body):,} bytes"))
    for basis in ("recorded", "occurred"):
        began = time.perf_counter()
        app.report("semi-annual", semi_annual(2024, 2), as_of=datetime(2025, 6, 1, tzinfo=timezone.utc), basis=basis)
        results.point(f"semi-annual report as of a moment ({basis}), json", n, time.perf_counter() - began)
        results.add(f"semi-annual report as of a moment ({basis}) over {n:,} events, json",
                    (time.perf_counter() - began) * 1000, "ms",
                    note="reads what changed after the moment (the records' times, the log's blocks)")
    results.add("benchmark process peak memory", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")


def responsiveness(uri: str, folder: Path, n: int, results: Results) -> None:
    """How fast the reporting service answers /health while long work runs (a rebuild, a verify
    and the whole history's report, one after the other, in its worker processes), against the
    same service idle: p99 of each, in one run. A store of ``n`` events, filled before it starts."""
    here = folder / f"responsive-{n}"
    app, _ = filled_reporting_store(here, n)
    app.projection.catch_up()
    del app
    service = ServiceProcess("reporting", uri, here).start(timeout=120)
    session = requests.Session()

    def sample(seconds: float | None, until: threading.Event | None = None) -> list[float]:
        taken, ends = [], time.monotonic() + (seconds or 1e9)
        while time.monotonic() < ends and not (until and until.is_set()):
            began = time.perf_counter()
            session.get(f"{service.url}/health", timeout=30)
            taken.append(time.perf_counter() - began)
            time.sleep(0.005)
        return taken

    def p99(values: list[float]) -> float:
        return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))] * 1000

    try:
        idle = sample(3.0)
        done = threading.Event()

        def work() -> None:
            try:
                service.post("/projections/rebuild", timeout=600)
                service.get("/projections/verify", timeout=600)
                service.get("/reports", params={"kind": "annual", "committee": "both", "start": "2000-01-01", "end": "2025-12-31"},
                            timeout=600)
            finally:
                done.set()

        worker = threading.Thread(target=work)
        began = time.monotonic()
        worker.start()
        busy = sample(None, done)
        worker.join()
        took = time.monotonic() - began
    finally:
        service.stop()
    results.add("/health p99, reporting service idle", p99(idle), "ms", note=f"{len(idle)} requests")
    results.add(f"/health p99 during a rebuild, verify and whole-history report over {n:,} events", p99(busy), "ms",
                "idle p99 (higher is better)", p99(idle) / p99(busy),
                f"{len(busy)} requests over {took:.1f} s; slowest {max(busy) * 1000:.0f} ms")


COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def svg_plot(points: dict[str, list[tuple[int, float]]], title: str) -> str:
    """A small log-log line plot of seconds against events, as SVG text (no plotting library)."""
    import math

    width, height, left, right, top, bottom = 860, 420, 70, 330, 40, 50
    xs = [x for series in points.values() for x, _ in series] or [1]
    ys = [max(y, 1e-4) for series in points.values() for _, y in series] or [1]
    x0, x1 = math.floor(math.log10(min(xs))), math.ceil(math.log10(max(xs)))
    y0, y1 = math.floor(math.log10(min(ys))), math.ceil(math.log10(max(ys)))
    x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)

    def px(x: float) -> float:
        return left + (math.log10(x) - x0) / (x1 - x0) * (width - left - right)

    def py(y: float) -> float:
        return height - bottom - (math.log10(max(y, 1e-4)) - y0) / (y1 - y0) * (height - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{left}" y="22" font-size="14">{title}</text>']
    for e in range(x0, x1 + 1):
        out.append(f'<line x1="{px(10 ** e):.1f}" y1="{top}" x2="{px(10 ** e):.1f}" y2="{height - bottom}" stroke="#ddd"/>')
        out.append(f'<text x="{px(10 ** e):.1f}" y="{height - bottom + 18}" text-anchor="middle">{10 ** e:,}</text>')
    for e in range(y0, y1 + 1):
        label = f"{10.0 ** e:g} s"
        out.append(f'<line x1="{left}" y1="{py(10 ** e):.1f}" x2="{width - right}" y2="{py(10 ** e):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{py(10 ** e) + 4:.1f}" text-anchor="end">{label}</text>')
    out.append(f'<text x="{(left + width - right) / 2}" y="{height - 12}" text-anchor="middle">events in the store</text>')
    for k, (name, series) in enumerate(sorted(points.items())):
        colour = COLOURS[k % len(COLOURS)]
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in sorted(series))
        out.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out += [f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{colour}"/>' for x, y in series]
        ly = top + 10 + 20 * k
        out.append(f'<line x1="{width - right + 15}" y1="{ly}" x2="{width - right + 35}" y2="{ly}" stroke="{colour}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{width - right + 40}" y="{ly + 4}">{name}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="default")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--plot", help="also write an SVG plot of time against events to this file")
    parser.add_argument("--only", choices=["all", "reports"], default="all",
                        help="reports: only the store of the size's largest rebuild, its rebuild and its reports "
                             "in every format (--size large: 1,000,000 events)")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    vhost = f"fieldwork-bench-{uuid.uuid4().hex[:8]}"
    uri = f"{AMQP_BASE}/{vhost}"
    folder = Path(tempfile.mkdtemp(prefix="fieldwork-bench-"))
    results = Results()
    load_definitions(uri)
    try:
        print(f"benchmark at size {args.size} on {os.cpu_count()} cores; vhost {vhost}", file=sys.stderr)
        if args.only == "reports":
            rebuild_and_reports(folder, size["rebuild"][-1], results)
            return _finish(args, results)
        pika_e2e, pika_consume = pika_baselines(uri, size["pika"], results)
        sqlite_baselines(folder, size["sqlite"], results)
        intake(uri, folder, size["intake"], pika_consume, results)
        intake(uri, folder, size["intake"], pika_consume, results, replicas=2)
        ingest(uri, folder, size["ingest"], size["levels"], pika_e2e, results)
        for n in size["rebuild"]:
            rebuild_and_reports(folder, n, results)
        responsiveness(uri, folder, size["rebuild"][-1], results)
    finally:
        delete_vhost(vhost)
        shutil.rmtree(folder, ignore_errors=True)
    return _finish(args, results)


def _finish(args, results: Results) -> int:
    print(results.table())
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in results.rows], indent=2))
    if args.plot:
        Path(args.plot).write_text(svg_plot(results.points, f"Time against events ({args.size} run, "
                                                             f"{datetime.now(timezone.utc):%Y-%m-%d})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
