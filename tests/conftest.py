"""Fixtures with real parts: RabbitMQ (a vhost per test), PostgreSQL (a schema per test)."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from fieldwork_testing import POSTGRES, PrivatePostgres, PrivatePostgresPair, ServiceProcess, IsolatedBroker


@pytest.fixture
def broker():
    with IsolatedBroker() as test_broker:
        yield test_broker


@pytest.fixture
def visits_service(broker, tmp_path):
    service = ServiceProcess("visits", broker.uri, tmp_path).start()
    yield service
    service.stop()


@pytest.fixture
def reporting_service(broker, tmp_path):
    service = ServiceProcess("reporting", broker.uri, tmp_path).start()
    yield service
    service.stop()


@pytest.fixture
def meetings_service(broker, tmp_path):
    service = ServiceProcess("meetings", broker.uri, tmp_path).start()
    yield service
    service.stop()


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(**{k: v for k, v in POSTGRES.items() if v != ""}, connect_timeout=3):
            return None
    except Exception as error:  # noqa: BLE001 - turned into a skip reason, or a failure in CI
        return str(error)


@pytest.fixture
def postgres_settings():
    """StoreSettings for a PostgreSQL schema of this test's own, dropped afterwards."""
    import psycopg
    from psycopg import sql

    from shared.store import StoreSettings

    problem = _postgres_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but does not answer: {problem}")
        pytest.skip(f"PostgreSQL does not answer ({problem}); set FIELDWORK_TEST_POSTGRES_*")
    schema = f"fieldwork_test_{uuid.uuid4().hex[:10]}"
    yield StoreSettings(
        kind="postgres",
        postgres_host=POSTGRES["host"],
        postgres_port=POSTGRES["port"],
        postgres_dbname=POSTGRES["dbname"],
        postgres_user=POSTGRES["user"],
        postgres_password=POSTGRES["password"],
        postgres_schema=schema,
    )
    with psycopg.connect(**{k: v for k, v in POSTGRES.items() if v != ""}, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def _private(kind):
    try:
        server = kind().__enter__()
    except (RuntimeError, OSError) as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no private PostgreSQL cluster: {error}")
    return server


@pytest.fixture
def private_postgres():
    """A PostgreSQL cluster of the test's own, for the cases that stop or restart the server
    (skipped where none can be made, except in CI)."""
    server = _private(PrivatePostgres)
    yield server
    server.__exit__(None, None, None)


@pytest.fixture
def private_postgres_pair():
    """A primary and its synchronous standby of the test's own, for a failover."""
    server = _private(PrivatePostgresPair)
    yield server
    server.__exit__(None, None, None)


# -- cases run in the background of the session ------------------------------------------------

BACKGROUND_CHILD = "FIELDWORK_BACKGROUND_CHILD"
BACKGROUND_STAGGER = 90  # seconds between the starts of two background cases
_background: dict[str, tuple[subprocess.Popen, Path]] = {}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """A case marked ``background`` (an outage of ten minutes, mostly waiting) starts, as the
    session begins, in a pytest process of its own, and becomes one of the session's last
    tests, which waits for that process and reports what it printed: its minutes overlap the
    rest of the suite instead of adding to it. Run alone (or only with other background cases),
    it runs in the session as any test does. (trylast: after ``-m`` and ``-k`` deselected.)"""
    if os.environ.get(BACKGROUND_CHILD):
        return
    background = [item for item in items if item.get_closest_marker("background")]
    if not background or len(background) == len(items):
        return
    # the longest first (their minutes overlap the most of the suite), the others after
    background.sort(key=lambda item: "ten-minutes" not in item.name)
    for k, item in enumerate(background):
        items.remove(item)
        items.append(item)
        log = Path(tempfile.mkstemp(prefix="fieldwork-background-", suffix=".log")[1])
        command = f"sleep {k * BACKGROUND_STAGGER}; exec {sys.executable} -m pytest -q -s -p no:cacheprovider '{item.nodeid}'"
        with log.open("w") as out:
            _background[item.nodeid] = (subprocess.Popen(["bash", "-c", command], cwd=config.rootpath, stdout=out,
                                                         stderr=subprocess.STDOUT, start_new_session=True,
                                                         env={**os.environ, BACKGROUND_CHILD: "1"}), log)


def pytest_sessionfinish(session):
    for process, log in _background.values():  # a session cut short takes its background cases with it
        if process.poll() is None:
            os.killpg(process.pid, 15)
            process.wait(60)
        log.unlink(missing_ok=True)


@pytest.fixture
def in_the_background(request):
    """For a case marked ``background``: a function that waits for its run in a process of its
    own and fails as it failed (None: the case runs here)."""
    started = _background.get(request.node.nodeid)
    if started is None:
        return None
    process, log = started
    capture = request.config.pluginmanager.getplugin("capturemanager")

    def wait(timeout: float = 1800) -> None:
        returncode = process.wait(timeout)
        with capture.global_and_fixture_disabled():
            print(f"\n[run in the background since the session began]\n{log.read_text()[-6000:]}")
        assert returncode == 0, f"the background run failed (exit {returncode}): {log.read_text()[-3000:]}"
    return wait
