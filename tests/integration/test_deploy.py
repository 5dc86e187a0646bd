"""What of the production deployment can be tested without a Docker engine: the compose file
is valid, its credentials come from the environment, the broker definitions load through the
management API, and the services start with the PostgreSQL settings compose gives them."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from fieldwork_testing import AMQP_BASE, POSTGRES, ServiceProcess
from shared.messaging.topology import PROJECT_ROOT, delete_vhost, load_definitions, missing_topology

pytestmark = pytest.mark.integration

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
MANAGEMENT = os.environ.get("FIELDWORK_TEST_RABBITMQ_MANAGEMENT", "http://127.0.0.1:15672")


def test_the_compose_file_is_valid_against_the_compose_specification():
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_takes_every_credential_from_the_environment():
    compose = yaml.safe_load(COMPOSE.read_text())
    assert "guest" not in json.dumps(compose)
    assert compose["services"]["rabbitmq"]["environment"]["RABBITMQ_DEFAULT_PASS"].startswith("${RABBITMQ_PASSWORD")
    for name in ("visits", "meetings", "reporting", "notifications"):
        env = compose["services"][name]["environment"]
        assert env["FIELDWORK_STORE"] == "postgres"
        assert "${POSTGRES_PASSWORD" in env["POSTGRES_PASSWORD"]
        assert "${RABBITMQ_PASSWORD" in env["AMQP_URI"]
        assert compose["services"][name]["restart"] == "unless-stopped"
        assert "healthcheck" in compose["services"][name]


def _management_up() -> bool:
    try:
        return requests.get(f"{MANAGEMENT}/api/overview", auth=("guest", "guest"), timeout=3).status_code == 200
    except requests.RequestException:
        return False


def test_the_broker_definitions_load_through_the_management_api():
    if not _management_up():
        if os.environ.get("CI"):
            pytest.fail("the RabbitMQ management API is required in CI (deploy/local/test.sh enables it)")
        pytest.skip("the RabbitMQ management API does not answer (rabbitmq-plugins enable rabbitmq_management)")
    vhost = f"fieldwork-test-{uuid.uuid4().hex[:12]}"
    uri = f"{AMQP_BASE}/{vhost}"
    try:
        load_definitions(uri, management_url=MANAGEMENT)
        assert missing_topology(uri) == []
        for _ in range(50):  # the management API shows a new queue's policy after a moment
            queue = requests.get(f"{MANAGEMENT}/api/queues/{vhost}/reporting.events", auth=("guest", "guest"), timeout=10).json()
            if queue.get("effective_policy_definition"):
                break
            time.sleep(0.2)
        assert queue["type"] == "quorum"
        assert queue["effective_policy_definition"] == {"dead-letter-exchange": "fieldwork.dead-letters", "delivery-limit": 5}
    finally:
        delete_vhost(vhost)


def _compose_environment(service: str, substitutions: dict[str, str]) -> dict[str, str]:
    env = yaml.safe_load(COMPOSE.read_text())["services"][service]["environment"]

    def resolve(value: str) -> str:
        # ${VAR}, ${VAR:?message} (required) and ${VAR:-default} (the default unless given)
        return re.sub(r"\$\{(\w+)(?::?-([^}]*)|:?\?[^}]*)?\}",
                      lambda m: substitutions.get(m.group(1), m.group(2) or "") if m.group(2) is not None
                      else substitutions[m.group(1)], str(value))

    return {k: resolve(v) for k, v in env.items()}


def test_the_services_start_with_the_postgresql_settings_compose_gives_them(broker, tmp_path):
    import psycopg
    from psycopg import sql

    admin = {k: v for k, v in POSTGRES.items() if v != ""}
    try:
        connection = psycopg.connect(**admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {error}")
        pytest.skip(f"PostgreSQL does not answer: {error}")
    database = f"fieldwork_test_{uuid.uuid4().hex[:10]}"
    connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    services = []
    try:
        for name in ("visits", "meetings", "reporting", "notifications"):
            env = _compose_environment(name, {
                "RABBITMQ_USER": "guest", "RABBITMQ_PASSWORD": "guest",
                "POSTGRES_USER": POSTGRES["user"], "POSTGRES_PASSWORD": POSTGRES["password"],
            })
            # Only the addresses differ from compose: here, not in containers.
            env["AMQP_URI"] = broker.uri
            env["POSTGRES_HOST"] = POSTGRES["host"]
            env["POSTGRES_DBNAME"] = database
            env.pop(f"{name.upper()}_HTTP_ADDRESS")
            services.append(ServiceProcess(name, broker.uri, tmp_path, extra_env=env).start())
        visits, meetings, reporting, notifications = services
        assert visits.post("/visits", {"member_state": "KEN", "committee": "ctc"}).status_code == 201
        for service in services:
            health = service.get("/health").json()
            assert health["store"] == "postgres"
        log_lines = [line for line in visits.log().splitlines() if line.startswith("{")]
        assert log_lines and all(json.loads(line)["service"] == "visits" for line in log_lines)
        with psycopg.connect(**{**admin, "dbname": database}) as db:
            schemas = {row[0] for row in db.execute("SELECT schema_name FROM information_schema.schemata")}
        assert {"visits", "meetings", "reporting", "notifications"} <= schemas
        assert notifications.get("/health").json()["mail"]["transport"] == "smtp://mailpit:1025"
    finally:
        for service in services:
            service.stop()
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        connection.close()
