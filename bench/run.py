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
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pika
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fieldwork_testing import AMQP_BASE, ServiceProcess  # noqa: E402
from shared.contract import build_envelope, encode_envelope  # noqa: E402
from shared.messaging.topology import delete_vhost, load_definitions  # noqa: E402

SIZES = {
    "tiny": {"pika": 500, "sqlite": 2_000, "intake": 500, "ingest": 60, "levels": (1, 4), "rebuild": (2_000,)},
    "default": {"pika": 20_000, "sqlite": 100_000, "intake": 20_000, "ingest": 600, "levels": (1, 4, 16),
                "rebuild": (100_000,)},
    "large": {"pika": 50_000, "sqlite": 1_000_000, "intake": 50_000, "ingest": 1_500, "levels": (1, 4, 16, 32),
              "rebuild": (100_000, 1_000_000)},
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


def status(reporting: ServiceProcess) -> dict:
    return reporting.get("/status").json()


def wait_recorded(reporting: ServiceProcess, target: int, timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = status(reporting)
        if s["events_recorded"] >= target and s["projection"]["behind"] == 0:
            return
        time.sleep(0.05)
    raise RuntimeError(f"reporting did not record {target} events in {timeout}s")


def peak_memory_mb(service: ServiceProcess) -> float:
    for line in Path(f"/proc/{service.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def intake(uri: str, folder: Path, n: int, consume_baseline: float, results: Results) -> None:
    """The reporting service's intake: a filled queue, consumed, validated, stored, projected."""
    publish_raw(uri, envelopes(n, datetime(2025, 1, 1, tzinfo=timezone.utc)))
    reporting = ServiceProcess("reporting", uri, folder / "intake")
    (folder / "intake").mkdir()
    began = time.perf_counter()
    reporting.start()
    wait_recorded(reporting, n)
    rate = n / (time.perf_counter() - began)
    results.add("reporting intake (filled queue: validate, store once, project)", rate, "events/s",
                "raw pika consume", rate / consume_baseline, "includes the service's start")
    reporting.stop()


def ingest(uri: str, folder: Path, commands: int, levels: tuple[int, ...], pika_e2e: float, results: Results) -> None:
    """Commands sent to the visits API until visible in the reporting projections."""
    (folder / "ingest").mkdir()
    visits = ServiceProcess("visits", uri, folder / "ingest").start()
    reporting = ServiceProcess("reporting", uri, folder / "ingest").start()
    try:
        token = visits.token("bench", "visit_coordinator")
        session_headers = {"Authorization": f"Bearer {token}"}
        best = 0.0
        for level in levels:
            base = status(reporting)["projection"]["events"]
            sent_at: list[float] = []
            lock = threading.Lock()

            def one(_):
                response = requests.post(f"{visits.url}/visits", json={"member_state": "KEN", "committee": "ctc"},
                                         headers=session_headers, timeout=30)
                response.raise_for_status()
                with lock:
                    sent_at.append(time.perf_counter())

            seen: list[tuple[float, int]] = []
            stop = threading.Event()

            def poll():
                while not stop.is_set():
                    seen.append((time.perf_counter(), status(reporting)["projection"]["events"]))
                    time.sleep(0.002)

            poller = threading.Thread(target=poll)
            poller.start()
            began = time.perf_counter()
            with ThreadPoolExecutor(max_workers=level) as pool:
                list(pool.map(one, range(commands)))
            wait_recorded(reporting, base + commands)
            elapsed = time.perf_counter() - began
            stop.set()
            poller.join()
            rate = commands / elapsed
            best = max(best, rate)
            # the i-th accepted command is visible when the projection has base + i events
            latencies = []
            sent_at.sort()
            for i, accepted in enumerate(sent_at, start=1):
                visible = next((t for t, events in seen if events >= base + i and t >= accepted), None)
                if visible is not None:
                    latencies.append((visible - accepted) * 1000)
            q = statistics.quantiles(latencies, n=100) if len(latencies) > 2 else [float("nan")] * 99
            results.add(f"ingest end to end, {level} concurrent client(s)", rate, "commands/s",
                        "raw pika end to end", rate / pika_e2e,
                        f"accepted to projected: p50 {q[49]:.0f} ms, p95 {q[94]:.0f} ms, p99 {q[98]:.0f} ms")
        results.add("visits service peak memory", peak_memory_mb(visits), "MB")
        results.add("reporting service peak memory", peak_memory_mb(reporting), "MB")
    finally:
        visits.stop()
        reporting.stop()


def rebuild_and_reports(folder: Path, n: int, sqlite_read: float, results: Results) -> None:
    """Fill a reporting store directly (the intake's own code, in process), then rebuild its
    projections and build the reports from them."""
    from shared.store import StoreSettings
    from reporting.application import ReportingApplication
    from reporting.formats import render
    from reporting.intake import Incoming
    from reporting.reports import annual, semi_annual

    store = folder / f"rebuild-{n}"
    app = ReportingApplication(env=StoreSettings(data_dir=str(store)).environment("reporting"))
    items = envelopes(n, datetime(2025, 1, 1, tzinfo=timezone.utc))
    for start in range(0, n, 1_000):
        app.intake.receive([Incoming(encode_envelope(e), "application/json", "visits.events", e["event_type"])
                            for e in items[start:start + 1_000]])
    del items
    began = time.perf_counter()
    app.projection.rebuild()
    rate = n / (time.perf_counter() - began)
    results.add(f"projection rebuild, {n:,} events", rate, "events/s", "raw sqlite3 read", rate / sqlite_read)

    db = sqlite3.connect(store / "reporting.sqlite")
    began = time.perf_counter()
    count = sum(1 for _ in db.execute("SELECT rowid, * FROM stored_events ORDER BY rowid"))
    raw = count / (time.perf_counter() - began)
    db.close()
    results.add(f"raw sqlite3 read of the same {n:,} stored events", raw, "rows/s")

    for kind, period in (("semi-annual", semi_annual(2025, 1)), ("annual", annual(2025))):
        for fmt in ("json", "html", "pdf"):
            began = time.perf_counter()
            render(app.report(kind, period), fmt)
            results.add(f"{kind} report over {n:,} events, {fmt}", time.perf_counter() - began, "s")
    results.add("benchmark process peak memory", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="default")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    size = SIZES[args.size]
    vhost = f"fieldwork-bench-{uuid.uuid4().hex[:8]}"
    uri = f"{AMQP_BASE}/{vhost}"
    folder = Path(tempfile.mkdtemp(prefix="fieldwork-bench-"))
    results = Results()
    load_definitions(uri)
    try:
        print(f"benchmark at size {args.size} on {os.cpu_count()} cores; vhost {vhost}", file=sys.stderr)
        pika_e2e, pika_consume = pika_baselines(uri, size["pika"], results)
        _, sqlite_read = sqlite_baselines(folder, size["sqlite"], results)
        intake(uri, folder, size["intake"], pika_consume, results)
        ingest(uri, folder, size["ingest"], size["levels"], pika_e2e, results)
        for n in size["rebuild"]:
            rebuild_and_reports(folder, n, sqlite_read, results)
    finally:
        delete_vhost(vhost)
        shutil.rmtree(folder, ignore_errors=True)
    print(results.table())
    if args.json:
        Path(args.json).write_text(json.dumps([r.__dict__ for r in results.rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
