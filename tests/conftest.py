"""Fixtures with real parts: RabbitMQ (a vhost per test), PostgreSQL (a schema per test)."""
from __future__ import annotations

import os
import uuid

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
