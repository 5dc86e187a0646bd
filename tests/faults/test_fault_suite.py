"""The fault suite: a stream of visit and meeting lifecycle commands while something breaks,
then the proof that nothing was lost and nothing counted twice. Each case prints what it tried.

"Nothing lost": the set of event ids in the source services' stores (visits and meetings)
equals the set the reporting service recorded. "Nothing doubled": each event recorded once,
and the projections equal a fold recomputed from that record (``verify``). Every command
names the id it creates or the version it expects, so a command sent again after its answer
was lost is stored once: the events in the sources are then exactly the commands accepted.

The broker restart runs against a RabbitMQ node of the test's own (``PrivateRabbitNode``), not
the shared one; every other case uses a vhost of its own on the shared broker."""
from __future__ import annotations

import os
import subprocess
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from fieldwork_testing import PrivateRabbitNode, ServiceProcess
from shared.store import StoreSettings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Commands per case (visits and meetings, five-step lifecycles); FIELDWORK_FAULT_COMMANDS changes it.
COMMANDS = int(os.environ.get("FIELDWORK_FAULT_COMMANDS", "2000"))
SOURCES = ("visits", "meetings")


def visit_lifecycle() -> list[tuple[str, str, dict, int | None]]:
    """(service, path, body, expected version) of each step; the first creates the visit."""
    visit = str(uuid.uuid4())
    return [
        ("visits", "/visits", {"member_state": "KEN", "committee": "ctc", "visit_id": visit}, None),
        ("visits", f"/visits/{visit}/approve", {}, 1),
        ("visits", f"/visits/{visit}/request-consent", {"due_on": "2025-02-01"}, 2),
        ("visits", f"/visits/{visit}/grant-consent", {}, 3),
        ("visits", f"/visits/{visit}/schedule", {"starts_on": str(date.today() + timedelta(days=30)),
                                                  "ends_on": str(date.today() + timedelta(days=34))}, 4),
    ]


def meeting_lifecycle(group_id: str) -> list[tuple[str, str, dict, int | None]]:
    meeting = str(uuid.uuid4())
    return [
        ("meetings", "/meetings", {"group_id": group_id, "meeting_kind": "working_group", "title": "Matrices review",
                                   "starts_at": "2025-12-10T15:00:00Z", "ends_at": "2025-12-10T17:00:00Z",
                                   "meeting_id": meeting, "occurred_at": "2025-11-20T09:00:00Z"}, None),
        ("meetings", f"/meetings/{meeting}/announce", {"occurred_at": "2025-11-21T09:00:00Z"}, 1),
        ("meetings", f"/meetings/{meeting}/circulate-document",
         {"document_id": "WG1-1", "title": "Draft matrix", "occurred_at": "2025-11-28T09:00:00Z"}, 2),
        ("meetings", f"/meetings/{meeting}/hold", {"occurred_at": "2025-12-10T17:00:00Z"}, 3),
        ("meetings", f"/meetings/{meeting}/report-to-committee",
         {"summary": "Matrices reviewed", "occurred_at": "2025-12-11T09:00:00Z"}, 4),
    ]


class Stream:
    """Sends ``commands`` lifecycle commands (visits and meetings, alternating lifecycles) from a
    few threads, each thread driving one record at a time. A command whose answer never came
    (its service was down) is sent again until answered: a creation answered ``409 ids_unique``
    or a step answered ``409 version_conflict`` after a lost answer was stored the first time
    (no one else touches the record), so it counts as accepted once."""

    def __init__(self, system: System, commands: int) -> None:
        self.system = system
        self.lock = threading.Lock()
        self.sent = self.accepted = self.unanswered = self.stored_before = 0
        self.problems: list[str] = []
        self.faults_at: list[str] = []  # commands sent when each fault began and when it was over
        self.stopped = threading.Event()  # the case failed: send no more
        group = system.post("meetings", "/groups", {"name": f"Fault group {uuid.uuid4().hex[:8]}", "committee": "1540",
                                                    "mandate_area": "faults"})
        assert group.status_code == 201, group.text
        self.sent = self.accepted = 1
        lifecycles = []
        while 1 + 5 * len(lifecycles) < commands:
            lifecycles.append(visit_lifecycle() if len(lifecycles) % 2 == 0 else meeting_lifecycle(group.json()["id"]))
        self.lifecycles = lifecycles
        self.planned = 1 + 5 * len(lifecycles)

    def _send(self, service: str, path: str, body: dict, version: int | None) -> None:
        lost_an_answer = False
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not self.stopped.is_set():
            try:
                answer = self.system.post(service, path, {**body, **({"expected_version": version} if version else {})})
            except requests.RequestException:
                with self.lock:
                    self.unanswered += 1
                lost_an_answer = True
                time.sleep(0.2)
                continue
            if answer.status_code in (200, 201):
                with self.lock:
                    self.accepted += 1
                return
            rule = answer.json().get("rule") if answer.headers.get("Content-Type", "").startswith("application/json") else None
            if lost_an_answer and answer.status_code == 409 and (rule == "ids_unique" or answer.json().get("error") == "version_conflict"):
                with self.lock:
                    self.accepted += 1
                    self.stored_before += 1
                return
            with self.lock:
                self.problems.append(f"{path}: {answer.status_code} {answer.text[:200]}")
            return
        with self.lock:
            self.problems.append(f"{path}: no answer within 120 s")

    def run(self, threads: int = 4) -> threading.Thread:
        def work(offset: int) -> None:
            for lifecycle in self.lifecycles[offset::threads]:
                for step in lifecycle:
                    if self.stopped.is_set():
                        return
                    self._send(*step)
                    with self.lock:
                        self.sent += 1

        workers = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(threads)]
        for w in workers:
            w.start()
        joiner = threading.Thread(target=lambda: [w.join() for w in workers], daemon=True)
        joiner.start()
        return joiner

    def wait_sent(self, count: int) -> None:
        while self.sent < count:
            time.sleep(0.05)


class System:
    """The three services, each its own process, on one broker and one data folder."""

    def __init__(self, amqp_uri: str, data_dir: Path, reporting_env: dict | None = None) -> None:
        self.amqp_uri, self.data_dir = amqp_uri, data_dir
        # the reporting service's own settings (its store on PostgreSQL, say)
        self.extra_env = {"reporting": reporting_env or {}}
        self.services = {name: ServiceProcess(name, amqp_uri, data_dir, extra_env=self.extra_env.get(name)).start()
                         for name in (*SOURCES, "reporting")}
        self.restarting: dict[str, threading.Thread] = {}
        self.restart_errors: list[Exception] = []
        self.notes: list[str] = []  # what a fault saw, printed with the counts
        self.headers = {name: {"Authorization": f"Bearer {service.token(*ServiceProcess.DEFAULT_ACTOR[name])}"}
                        for name, service in self.services.items()}

    def post(self, service: str, path: str, body: dict) -> requests.Response:
        return requests.post(f"{self.services[service].url}{path}", json=body, headers=self.headers[service], timeout=10)

    def kill_and_restart(self, name: str) -> None:
        """kill -9; then, in the background while the stream goes on, a second without it and
        the same service again on the same port. A service killed again is first waited for."""
        self.wait_restarted(name)
        victim = self.services[name]
        victim.kill()

        def restart() -> None:
            time.sleep(1)
            try:
                self.services[name] = ServiceProcess(name, self.amqp_uri, self.data_dir, port=victim.port,
                                                     extra_env=self.extra_env.get(name)).start(timeout=60)
            except Exception as error:  # noqa: BLE001 - raised again by wait_restarted
                self.restart_errors.append(error)

        self.restarting[name] = threading.Thread(target=restart)
        self.restarting[name].start()

    def wait_restarted(self, name: str | None = None) -> None:
        for key in [name] if name else list(self.restarting):
            if key in self.restarting:
                self.restarting.pop(key).join()
        if self.restart_errors:
            raise self.restart_errors[0]

    @property
    def reporting(self) -> ServiceProcess:
        return self.services["reporting"]

    def stop(self) -> None:
        for thread in self.restarting.values():
            thread.join()
        for service in self.services.values():
            service.stop()


def source_event_ids(data_dir: Path) -> dict[str, set[str]]:
    """Every event id in each source service's store (its notification log)."""
    from meetings.application import MeetingsApplication
    from shared.store import envelope_of
    from visits.application import VisitsApplication

    ids: dict[str, set[str]] = {}
    for name, application in (("visits", VisitsApplication), ("meetings", MeetingsApplication)):
        app = application(env=StoreSettings(data_dir=str(data_dir)).environment(name))
        ids[name], start = set(), 1
        while batch := app.recorder.select_notifications(start=start, limit=1000):
            ids[name] |= {envelope_of(app.mapper.to_domain_event(n))["event_id"] for n in batch}
            start = batch[-1].id + 1
    return ids


def recorded_event_ids(system: System) -> list[str]:
    from reporting.application import ReportingApplication
    from shared.store import settings_from_environ

    settings = settings_from_environ({"FIELDWORK_DATA_DIR": str(system.data_dir), **system.extra_env["reporting"]})
    app = ReportingApplication(env=settings.environment("reporting"))
    return [envelope["event_id"] for _, envelope, _ in app.projection.all_received()]


def settle(reporting: ServiceProcess, expected: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    state = {}
    while time.monotonic() < deadline:
        state = reporting.get("/status").json()
        if state["events_recorded"] >= expected and state["projection"]["behind"] == 0:
            time.sleep(1)
            return reporting.get("/status").json()
        time.sleep(0.3)
    return state


def check(case: str, stream: Stream, system: System, capsys) -> None:
    by_source = source_event_ids(system.data_dir)
    sources = set().union(*by_source.values())
    state = settle(system.reporting, len(sources))
    recorded = recorded_event_ids(system)
    lost = sources - set(recorded)
    doubled = sum(n - 1 for n in Counter(recorded).values())
    verify = system.reporting.get("/projections/verify").json()
    with capsys.disabled():  # printed in every run, CI included, not only on failure
        print(f"\n[{case}] fault(s) during commands {', '.join(stream.faults_at)} (from its start to the end of its action); "
              f"commands sent {stream.sent}, accepted {stream.accepted} (of which stored before a lost "
              f"answer {stream.stored_before}; sends without an answer {stream.unanswered}); events in the sources "
              f"{len(sources)} (visits {len(by_source['visits'])}, meetings {len(by_source['meetings'])}), "
              f"recorded {len(recorded)}, lost {len(lost)}, duplicated {doubled}; duplicates absorbed "
              f"{state['intake']['duplicate']}, dead letters {state['dead_letters']}; projection equals a full fold: "
              f"{verify['equal']}" + "".join(f"; {note}" for note in system.notes))
    assert not stream.problems, stream.problems[:5]
    assert stream.sent == stream.accepted == stream.planned >= COMMANDS
    assert len(sources) == stream.accepted  # one event per accepted command, none for a command sent again
    assert not lost and doubled == 0
    assert set(recorded) == sources
    assert verify["equal"] and verify["events"] == len(sources)


def run_case(case: str, amqp_uri: str, data_dir: Path, capsys, faults: list[tuple[float, object]],
             after=None, reporting_env: dict | None = None) -> None:
    """Start the system, stream the commands, at each fraction of the stream do its fault,
    then check."""
    system = System(amqp_uri, data_dir, reporting_env)
    stream = None
    try:
        stream = Stream(system, COMMANDS)
        done = stream.run()
        for fraction, fault in faults:
            stream.wait_sent(int(stream.planned * fraction))
            began = stream.sent
            assert began < stream.planned, "the fault would come after the stream ended, not mid-stream"
            fault(system)
            stream.faults_at.append(f"{began}-{stream.sent}")
        done.join()
        system.wait_restarted()
        if after:
            after(system)
        check(case, stream, system, capsys)
    finally:
        if stream is not None:  # a case that failed mid-stream ends now, not after its commands' retries
            stream.stopped.set()
        system.stop()


def kill(name: str):
    return lambda system: system.kill_and_restart(name)


@pytest.mark.parametrize("victim", ["visits", "meetings", "reporting"])
def test_kill_9_of_a_service_mid_stream_loses_nothing_and_doubles_nothing(broker, tmp_path, victim, capsys):
    run_case(f"kill -9 {victim}", broker.uri, tmp_path, capsys, [(1 / 3, kill(victim))])


def test_repeated_faults_in_one_stream_lose_nothing_and_double_nothing(broker, tmp_path, capsys):
    run_case("kill -9 visits, reporting, meetings, visits again", broker.uri, tmp_path, capsys,
             [(0.15, kill("visits")), (0.35, kill("reporting")), (0.55, kill("meetings")), (0.75, kill("visits"))])


def _consumers_back(system: System) -> None:
    deadline = time.monotonic() + 30  # consumers back within 30 s
    while time.monotonic() < deadline and system.reporting.get("/health").status_code != 200:
        time.sleep(0.5)
    assert system.reporting.get("/health").status_code == 200, system.reporting.get("/health").text


def test_the_broker_stopped_and_started_mid_stream_loses_nothing(tmp_path, capsys):
    """On a RabbitMQ node of the test's own: stop_app on the shared broker would break
    everyone else's runs."""
    def restart_broker(system: System) -> None:
        node.stop_app()
        time.sleep(3)  # commands are still accepted and stored while the broker is away
        node.start_app()

    with PrivateRabbitNode() as node:
        run_case("broker stopped and started", node.uri, tmp_path, capsys, [(1 / 3, restart_broker)],
                 after=_consumers_back)


def _sockets_to_broker(pid: int, port: int) -> list[str]:
    out = subprocess.run(["ss", "-Htnp", f"dport = :{port}"], capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if f"pid={pid}," in line]


def test_the_consumers_socket_cut_mid_handler_loses_nothing(broker, tmp_path, capsys):
    port = urlparse(broker.uri).port or 5672

    def cut(system: System) -> None:
        sockets = _sockets_to_broker(system.reporting.process.pid, port)
        assert sockets
        for line in sockets:
            local = line.split()[3]  # State Recv-Q Send-Q Local Peer: 127.0.0.1:PORT
            subprocess.run(["ss", "-K", f"dport = :{port}", "sport", "=", f":{local.rsplit(':', 1)[1]}"],
                           capture_output=True, timeout=30)

    run_case("consumer socket cut (ss -K)", broker.uri, tmp_path, capsys, [(1 / 3, cut)])


# -- the reporting store cannot be written -----------------------------------------------------


class HealthWatch:
    """Samples the reporting service's /health twice a second while a fault lasts."""

    def __init__(self, system: System) -> None:
        self.system, self.answers = system, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._stop.is_set():
            try:
                answer = requests.get(f"{self.system.reporting.url}/health", timeout=5)
                self.answers.append((answer.status_code, answer.json().get("problems", [])))
            except requests.RequestException as error:
                self.answers.append((None, [str(error)]))
            self._stop.wait(0.5)

    def stop(self) -> list[tuple[int | None, list[str]]]:
        self._stop.set()
        self._thread.join()
        return self.answers


def unwritable(hold, seconds: float):
    """A fault: the reporting store cannot be written for ``seconds`` (``hold`` makes it so
    and returns what undoes it), while /health is watched: it must say so (503, naming it)."""
    def fault(system: System) -> None:
        watch = HealthWatch(system)
        undo = hold(system)
        try:
            time.sleep(seconds)
        finally:
            undo()
            answers = watch.stop()
        named = [problems for status, problems in answers
                 if status == 503 and any("store cannot be written" in p for p in problems)]
        assert named, f"/health never said the store could not be written: {answers[-5:]}"
        system.notes.append(f"/health 503 naming the store in {len(named)} of {len(answers)} samples "
                            f"({sum(1 for status, _ in answers if status is None)} unanswered in 5 s)")
    return fault


def exclusive_lock(system: System):
    """Another process takes SQLite's write lock on reporting.sqlite and keeps it."""
    holder = subprocess.Popen(
        ["python3", "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], timeout=30); "
         "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()",
         str(system.data_dir / "reporting.sqlite")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"

    def release() -> None:
        holder.stdin.close()
        holder.wait(30)
    return release


def _healthy_again(system: System) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and system.reporting.get("/health").status_code != 200:
        time.sleep(0.5)
    health = system.reporting.get("/health")
    assert health.status_code == 200 and health.json()["open_dead_letters"] == 0, health.text


# Outages of a minute and of ten minutes mostly wait: they run in the background of the session
# (tests/conftest.py). FIELDWORK_LONG_OUTAGE_SECONDS shortens the long one for a trial.
IN_THE_BACKGROUND = pytest.mark.background
LONG_OUTAGE = float(os.environ.get("FIELDWORK_LONG_OUTAGE_SECONDS", "600"))
OUTAGES = [20, pytest.param(70, marks=IN_THE_BACKGROUND, id="70"),
           pytest.param(LONG_OUTAGE, marks=IN_THE_BACKGROUND, id="ten-minutes")]


@pytest.mark.parametrize("seconds", OUTAGES)
def test_the_reporting_store_locked_by_another_process_loses_nothing(broker, tmp_path, capsys, seconds,
                                                                     in_the_background):
    """SQLite's write lock on reporting.sqlite held by another process for 20 s, 70 s and ten
    minutes mid-stream: the intake holds what it has, the rest waits in the queue, and every
    event is recorded once when the lock goes. Before: a lock of 70 s lost 2 events, and a lock
    past the delivery limit's ~3 s sent good events to the broker's dead-letter queue."""
    if in_the_background:
        return in_the_background()
    fault = unwritable(exclusive_lock, seconds)
    run_case(f"reporting store locked {seconds:.0f} s", broker.uri, tmp_path, capsys, [(0.3, fault)],
             after=_healthy_again)


@pytest.mark.parametrize("seconds", OUTAGES)
def test_the_reporting_store_on_postgresql_down_loses_nothing(broker, tmp_path, capsys, private_postgres, seconds,
                                                              in_the_background):
    """The reporting service's PostgreSQL stopped (every connection closed, none taken) for 20 s,
    70 s and ten minutes mid-stream, then started again: the intake keeps what it holds and tries
    again, /health names the store meanwhile, and every event is recorded once (the sources on
    SQLite)."""
    if in_the_background:
        return in_the_background()

    def down(system: System):
        private_postgres.stop()
        return private_postgres.start

    run_case(f"reporting store on PostgreSQL down {seconds:.0f} s", broker.uri, tmp_path, capsys,
             [(0.3, unwritable(down, seconds))], after=_healthy_again, reporting_env=private_postgres.env())


def test_the_reporting_store_s_postgresql_failing_over_to_its_standby_loses_nothing(broker, tmp_path, capsys,
                                                                                   private_postgres_pair):
    """The reporting service's PostgreSQL primary crashes mid-stream (``pg_ctl -m immediate``)
    and its synchronous standby is promoted 10 s later, as a failover manager would: given both
    servers, the service connects to the promoted one by itself, and every event is recorded
    once; /health names the store meanwhile."""
    pair = private_postgres_pair

    def fail_over(system: System):
        pair.crash_primary()
        return pair.promote_standby

    run_case("reporting store on PostgreSQL failing over to its standby (10 s)", broker.uri, tmp_path, capsys,
             [(0.3, unwritable(fail_over, 10))], after=_healthy_again, reporting_env=pair.env())


def test_a_projection_failing_for_20_seconds_stops_nothing_and_loses_nothing(broker, tmp_path, capsys,
                                                                          private_postgres):
    """Another session holds a lock on the projection's position table for 20 s (reads allowed,
    writes not), on the reporting service's PostgreSQL: each catch-up fails after the lock
    timeout and is tried again, /health names the failing projection, the intake goes on
    recording meanwhile, and afterwards the projection catches up: every event once."""
    import psycopg

    env = private_postgres.env()
    recorded_during: list[int] = []

    def lock_projection(system: System):
        connection = psycopg.connect(host="127.0.0.1", port=env["POSTGRES_PORT"], dbname="postgres",
                                     user="postgres")
        connection.execute("BEGIN")
        connection.execute("LOCK TABLE reporting.projection_position IN EXCLUSIVE MODE")
        before = system.reporting.get("/status").json()["events_recorded"]

        def release() -> None:
            recorded_during.append(system.reporting.get("/status", timeout=30).json()["events_recorded"] - before)
            connection.rollback()
            connection.close()
        return release

    def failing(system: System) -> None:
        watch = HealthWatch(system)
        release = lock_projection(system)
        try:
            time.sleep(20)
        finally:
            release()
            answers = watch.stop()
        named = [p for status, problems in answers if status == 503 for p in problems if "projection failing" in p]
        assert named, f"/health never said the projection was failing: {answers[-5:]}"
        assert recorded_during[0] > 100, "the intake stopped while the projection failed"
        system.notes.append(f"/health 503 naming the failing projection in {len(named)} of {len(answers)} samples; "
                            f"{recorded_during[0]} events recorded meanwhile")

    run_case("projection failing 20 s", broker.uri, tmp_path, capsys, [(0.3, failing)], after=_healthy_again,
             reporting_env=env)


class SmallDisk:
    """A tmpfs of 128 MB of the test's own holding reporting.sqlite (the data folder keeps a
    symbolic link to it; SQLite follows it, its WAL beside it), which a ballast file fills."""

    def __init__(self, data_dir: Path) -> None:
        self.mount = data_dir.parent / f"{data_dir.name}-reporting-disk"
        self.data_dir = data_dir

    def __enter__(self) -> SmallDisk:
        if os.geteuid() != 0:
            if os.environ.get("CI"):
                pytest.fail("the disk-full case needs root (mount -t tmpfs) and CI runs as root")
            pytest.skip("the disk-full case mounts a tmpfs: it needs root")
        self.mount.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=128m", "tmpfs", str(self.mount)], check=True)
        self.data_dir.mkdir(exist_ok=True)
        (self.mount / "reporting.sqlite").touch()
        (self.data_dir / "reporting.sqlite").symlink_to(self.mount / "reporting.sqlite")
        return self

    def fill(self, system: System):
        ballast = self.mount / "ballast"
        with open(ballast, "wb") as out:
            try:
                while True:
                    out.write(b"\0" * (1 << 20))
                    out.flush()
            except OSError:
                pass
        try:
            (self.mount / "ballast-tail").write_bytes(b"\0" * 4096)  # the last pages too
        except OSError:
            pass

        def free() -> None:
            for name in ("ballast", "ballast-tail"):
                (self.mount / name).unlink(missing_ok=True)
        return free

    def __exit__(self, *exc) -> None:
        subprocess.run(["umount", "-l", str(self.mount)], check=False)


def test_the_reporting_store_on_a_full_disk_for_20_seconds_loses_nothing(broker, tmp_path, capsys):
    """Before: 1,394 of 2,001 events never recorded, /health ok."""
    data_dir = tmp_path / "data"
    with SmallDisk(data_dir) as disk:
        fault = unwritable(disk.fill, 20)
        run_case("reporting store's disk full 20 s", broker.uri, data_dir, capsys, [(0.3, fault)],
                 after=_healthy_again)


# -- hostile messages mixed with the stream ----------------------------------------------------


def _first_visit_event(data_dir: Path) -> dict:
    from shared.store import envelope_of
    from visits.application import VisitsApplication

    app = VisitsApplication(env=StoreSettings(data_dir=str(data_dir)).environment("visits"))
    (first,) = app.recorder.select_notifications(start=1, limit=1)
    return envelope_of(app.mapper.to_domain_event(first))


def poison_of_every_kind(rounds: int):
    """A fault: ``rounds`` times, one message of each hostile kind straight into the exchanges,
    between the services' own events. Each is unique, so each is one dead letter."""
    import json

    import pika

    sent: Counter = Counter()

    def fault(system: System) -> None:
        real = _first_visit_event(system.data_dir)
        connection = pika.BlockingConnection(pika.URLParameters(system.amqp_uri))
        channel = connection.channel()
        channel.confirm_delivery()

        def send(reason: str, body: bytes, routing_key: str = "visit_proposed", exchange: str = "visits.events",
                 content_type: str = "application/json") -> None:
            channel.basic_publish(exchange, routing_key, body, pika.BasicProperties(content_type=content_type,
                                                                                   delivery_mode=2), mandatory=True)
            sent[reason] += 1

        for n in range(rounds):
            fresh = {**real, "event_id": str(uuid.uuid4()), "aggregate_id": str(uuid.uuid4())}  # not a source's
            send("not_json", b"[" * (5000 + n) + b"]" * (5000 + n))  # nested 5,000 deep: RecursionError before
            send("not_json", f"not json {n}".encode())
            send("wrong_content_type", f"<xml n='{n}'/>".encode(), content_type="text/xml")
            send("invalid_envelope", json.dumps({"event_type": "visit_proposed", "n": n}).encode())
            send("wrong_routing_key", json.dumps(fresh).encode(), routing_key="visit_approved")
            send("wrong_exchange", json.dumps(fresh).encode(), routing_key=fresh["event_type"],
                 exchange="meetings.events")
            conflicting = {**real, "correlation_id": f"forged-{n}"}  # a recorded id, other content
            send("conflicting_duplicate", json.dumps(conflicting).encode(), routing_key=real["event_type"])
            time.sleep(0.3)
        connection.close()
        system.notes.append(f"hostile messages sent: {dict(sorted(sent.items()))}")

    def after(system: System) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and sum(system.reporting.get("/status").json()["dead_letters"].values()) < sum(sent.values()):
            time.sleep(0.5)
        state = system.reporting.get("/status").json()
        assert state["dead_letters"] == dict(sent), state["dead_letters"]
        letters = system.reporting.get("/dead-letters", params={"limit": 1000}).json()
        assert len(letters) == sum(sent.values()) and {letter["deliveries"] for letter in letters} == {1}
        health = system.reporting.get("/health")
        assert health.status_code == 200 and health.json()["status"] == "degraded", health.text
        assert health.json()["open_dead_letters"] == sum(sent.values())
        system.notes.append(f"dead letters kept once each: {len(letters)}; /health degraded, not failing")

    return fault, after


def test_hostile_messages_of_every_kind_mixed_into_the_stream_harm_only_themselves(broker, tmp_path, capsys):
    fault, after = poison_of_every_kind(rounds=5)
    run_case("hostile messages of every kind", broker.uri, tmp_path, capsys, [(0.3, fault)], after=after)
