"""What of the deployment can be tested without a Docker engine: the compose file is valid, its
credentials come from the environment, the broker definitions load through the management API,
the services start with the PostgreSQL settings compose gives them; and the README's local
scripts (deploy/local/start.sh, test.sh) leave a broker they did not start as it is."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import yaml

from fieldwork_testing import POSTGRES, PrivateRabbitNode, ServiceProcess, free_port
from shared.messaging.topology import PROJECT_ROOT, load_definitions, missing_topology

pytestmark = pytest.mark.integration

COMPOSE = PROJECT_ROOT / "docker-compose.yml"


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


def test_the_broker_definitions_load_through_the_management_api():
    """On a broker node of the test's own with the management plugin (on 127.0.0.1): the
    machine's broker is never reconfigured for it."""
    if not PrivateRabbitNode.tool("rabbitmq-server"):
        if os.environ.get("CI"):
            pytest.fail("RabbitMQ's rabbitmq-server is required in CI for a node of the test's own")
        pytest.skip("rabbitmq-server is not installed (Debian: apt-get install rabbitmq-server)")
    with PrivateRabbitNode(plugins=("rabbitmq_management",)) as node:
        management = node.management_url
        for _ in range(100):  # the management listener comes up a moment after the node
            try:
                if requests.get(f"{management}/api/overview", auth=("guest", "guest"), timeout=3).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        vhost = f"fieldwork-test-{uuid.uuid4().hex[:12]}"
        uri = f"amqp://guest:guest@127.0.0.1:{node.port}/{vhost}"
        load_definitions(uri, management_url=management)
        assert missing_topology(uri) == []
        for _ in range(50):  # the management API shows a new queue's policy after a moment
            queue = requests.get(f"{management}/api/queues/{vhost}/reporting.events", auth=("guest", "guest"),
                                 timeout=10).json()
            if queue.get("effective_policy_definition"):
                break
            time.sleep(0.2)
        assert queue["type"] == "quorum"
        assert queue["effective_policy_definition"] == {"dead-letter-exchange": "fieldwork.dead-letters", "delivery-limit": 5}


# -- deploy/local/start.sh and test.sh, in a sandbox -------------------------------------------
# A copy of deploy/local and pyproject.toml with a .venv whose `fieldwork` and `python -m pytest`
# only say they were run, and on PATH, before the real ones, stand-ins for everything that could
# change the machine (rabbitmq-plugins, rabbitmqctl, rabbitmq-server, service, systemctl,
# apt-get, sudo): each writes its command line to a log. The machine's broker is not touched.

BROKER_TOOLS = ("rabbitmq-plugins", "rabbitmqctl", "rabbitmq-server", "service", "systemctl")
CHANGERS = (*BROKER_TOOLS, "apt-get", "sudo")  # apt-get: the fonts, where missing (refused here)


def _sandbox(tmp_path: Path) -> tuple[Path, Path, dict]:
    root, stubs, log = tmp_path / "checkout", tmp_path / "stubs", tmp_path / "commands.log"
    (root / "deploy").mkdir(parents=True)
    shutil.copytree(PROJECT_ROOT / "deploy" / "local", root / "deploy" / "local")
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root / "pyproject.toml")
    venv_bin = root / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (root / ".venv" / ".fieldwork-installed").write_text(
        hashlib.sha256((root / "pyproject.toml").read_bytes()).hexdigest() + "\n")
    scripts = {
        venv_bin / "python": f'if [ "$1 $2" = "-m pytest" ]; then echo "pytest $*" >> {log}; exit 0; fi\n'
                             f'exec {sys.executable} "$@"\n',
        venv_bin / "fieldwork": f'echo "fieldwork $*" >> {log}\n',
        **{stubs / name: f'echo "{name} $*" >> {log}\nexit 1\n' for name in CHANGERS},
    }
    stubs.mkdir()
    for path, body in scripts.items():
        path.write_text("#!/bin/sh\n" + body)
        path.chmod(0o755)
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "FIELDWORK_TEST_CHROMIUM": sys.executable}
    env.pop("CI", None)
    return root, log, env


@pytest.mark.parametrize("script, runs", [("start.sh", "fieldwork up --reporting-replicas 2"),
                                          ("test.sh", "pytest -m pytest -m not slow")])
def test_the_local_scripts_leave_a_running_broker_as_it_is(tmp_path, script, runs):
    root, log, env = _sandbox(tmp_path)
    broker = socket.socket()  # a broker already running, that the script did not start
    broker.bind(("127.0.0.1", 0))
    broker.listen()
    try:
        env["AMQP_URI"] = f"amqp://guest:guest@127.0.0.1:{broker.getsockname()[1]}/fieldwork"
        args = ["--reporting-replicas", "2"] if script == "start.sh" else ["-m", "not slow"]
        done = subprocess.run(["bash", str(root / "deploy" / "local" / script), *args], env=env,
                              capture_output=True, text=True, timeout=120)
    finally:
        broker.close()
    assert done.returncode == 0, done.stdout + done.stderr
    ran = log.read_text().splitlines()
    assert not [line for line in ran if line.split()[0] in BROKER_TOOLS], ran  # no plugin enabled, nothing started
    assert ran[-1] == runs
    assert "left as it is" in done.stderr


def test_start_sh_starts_a_broker_where_none_answers_and_changes_nothing_else(tmp_path):
    root, log, env = _sandbox(tmp_path)
    port = free_port()
    env["AMQP_URI"] = f"amqp://guest:guest@127.0.0.1:{port}/fieldwork"
    pid_file = tmp_path / "broker.pid"
    # the stand-in rabbitmq-server "starts" a broker: something that listens on the port
    (tmp_path / "stubs" / "rabbitmq-server").write_text(
        f'#!/bin/sh\necho "rabbitmq-server $*" >> {log}\n'
        f'{sys.executable} -c "import socket,time; s=socket.socket(); s.bind((\'127.0.0.1\', {port})); s.listen(); '
        f'time.sleep(120)" >/dev/null 2>&1 &\necho $! > {pid_file}\n')
    try:
        done = subprocess.run(["bash", str(root / "deploy" / "local" / "start.sh")], env=env,
                              capture_output=True, text=True, timeout=120)
    finally:
        if pid_file.exists():
            os.kill(int(pid_file.read_text()), signal.SIGTERM)
    assert done.returncode == 0, done.stdout + done.stderr
    ran = [line for line in log.read_text().splitlines() if not line.startswith("apt-get")]
    assert ran == ["rabbitmq-server -detached", "fieldwork up"]
    assert "starting RabbitMQ" in done.stderr and "RabbitMQ is up" in done.stderr


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
