"""The broker topology, declared in one place: ``deploy/rabbitmq/definitions.json``.

Every exchange, queue, binding, dead-letter exchange and policy of the system is in that
file. Deploy loads it at the broker's boot; the start command and the test fixtures load it
with ``load_definitions`` (into the system's vhost, or a vhost of their own). Nothing else
declares topology: a consumer's queue exists before any event is published, so nothing is
published into the void.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import kombu
from amqp.exceptions import NotFound as AmqpNotFound

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS_FILE = Path(
    os.environ.get("FIELDWORK_BROKER_DEFINITIONS", PROJECT_ROOT / "deploy/rabbitmq/definitions.json")
)
SYSTEM_VHOST = "fieldwork"


class TopologyError(Exception):
    """The broker's topology could not be loaded or is not what the definitions say."""


def read_definitions(path: Path = DEFINITIONS_FILE) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def definitions_for_vhost(vhost: str, user: str | None = None, path: Path = DEFINITIONS_FILE) -> dict:
    """The definitions with every object moved into ``vhost``; ``user`` gets full permissions
    there (the user the services connect as)."""
    definitions = read_definitions(path)
    moved = {"vhosts": [{"name": vhost}]}
    for section in ("exchanges", "queues", "bindings", "policies"):
        moved[section] = [{**item, "vhost": vhost} for item in definitions.get(section, [])]
    if user:
        moved["permissions"] = [
            {"user": user, "vhost": vhost, "configure": ".*", "write": ".*", "read": ".*"}
        ]
    return moved


def vhost_of(amqp_uri: str) -> str:
    path = urlparse(amqp_uri).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def user_of(amqp_uri: str) -> str:
    return unquote(urlparse(amqp_uri).username or "guest")


def _rabbitmqctl(*args: str, stdin: str | None = None) -> str:
    tool = shutil.which("rabbitmqctl")
    if tool is None:
        raise TopologyError(
            "rabbitmqctl is not on this machine, so the broker definitions cannot be loaded from "
            "here: load deploy/rabbitmq/definitions.json on the broker (its load_definitions "
            "setting, or the management UI's 'Import definitions')"
        )
    result = subprocess.run(
        [tool, "-q", *args], input=stdin, capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        raise TopologyError(f"rabbitmqctl {' '.join(args)} failed: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def load_definitions(amqp_uri: str, path: Path = DEFINITIONS_FILE, management_url: str | None = None) -> None:
    """Declare the system's topology in the vhost of ``amqp_uri`` (created if missing): through
    the management HTTP API when ``management_url`` (or ``RABBITMQ_MANAGEMENT_URL``) is set —
    a broker elsewhere, e.g. in docker compose — else with the local ``rabbitmqctl``."""
    management_url = management_url or os.environ.get("RABBITMQ_MANAGEMENT_URL")
    if management_url:
        _load_over_http(amqp_uri, management_url, path)
        return
    definitions = definitions_for_vhost(vhost_of(amqp_uri), user_of(amqp_uri), path)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(definitions, handle)
    try:
        os.chmod(handle.name, 0o644)  # the broker's own user reads it
        _rabbitmqctl("import_definitions", handle.name)
    finally:
        os.unlink(handle.name)


def _load_over_http(amqp_uri: str, management_url: str, path: Path) -> None:
    import requests

    parsed = urlparse(amqp_uri)
    auth = (unquote(parsed.username or "guest"), unquote(parsed.password or "guest"))
    vhost, user = vhost_of(amqp_uri), user_of(amqp_uri)
    api = management_url.rstrip("/") + "/api"
    quoted = requests.utils.quote(vhost, safe="")
    definitions = definitions_for_vhost(vhost, None, path)
    body = {section: [{k: v for k, v in item.items() if k != "vhost"} for item in definitions[section]]
            for section in ("exchanges", "queues", "bindings", "policies")}
    steps = [
        ("PUT", f"{api}/vhosts/{quoted}", {}),
        ("PUT", f"{api}/permissions/{quoted}/{requests.utils.quote(user, safe='')}",
         {"configure": ".*", "write": ".*", "read": ".*"}),
        ("POST", f"{api}/definitions/{quoted}", body),
    ]
    for method, url, payload in steps:
        deadline = time.monotonic() + 60  # a broker starting up answers on AMQP before HTTP
        while True:
            try:
                answer = requests.request(method, url, json=payload, auth=auth, timeout=30)
                break
            except requests.RequestException as error:
                if time.monotonic() > deadline:
                    raise TopologyError(f"the management API at {management_url} does not answer: {error}") from None
                time.sleep(2)
        if answer.status_code >= 300:
            raise TopologyError(f"{method} {url} failed: {answer.status_code} {answer.text[:300]}")


def delete_vhost(vhost: str) -> None:
    _rabbitmqctl("delete_vhost", vhost)


def missing_topology(amqp_uri: str, path: Path = DEFINITIONS_FILE) -> list[str]:
    """What the definitions declare that the broker does not have (checked passively)."""
    definitions = read_definitions(path)
    missing = []
    with kombu.Connection(amqp_uri, connect_timeout=5) as connection:
        for item in definitions.get("exchanges", []):
            channel = connection.channel()
            try:
                channel.exchange_declare(item["name"], item["type"], passive=True)
            except AmqpNotFound:
                missing.append(f"exchange {item['name']}")
            finally:
                _close_quietly(channel)
        for item in definitions.get("queues", []):
            channel = connection.channel()
            try:
                channel.queue_declare(item["name"], passive=True)
            except AmqpNotFound:
                missing.append(f"queue {item['name']}")
            finally:
                _close_quietly(channel)
    return missing


def _close_quietly(channel) -> None:
    try:
        channel.close()
    except Exception:  # noqa: BLE001 - a channel closed by the broker after a 404
        pass


def queue_state(amqp_uri: str, queues: list[str]) -> dict:
    """Messages waiting and consumers of each queue (passive: declares nothing); an ``error``
    key if the broker cannot be asked."""
    state: dict = {}
    try:
        with kombu.Connection(amqp_uri, connect_timeout=3) as connection:
            for name in queues:
                channel = connection.channel()
                try:
                    ok = channel.queue_declare(name, passive=True)
                    state[name] = {"messages": ok.message_count, "consumers": ok.consumer_count}
                except AmqpNotFound:
                    state[name] = {"missing": True, "messages": 0, "consumers": 0}
                finally:
                    _close_quietly(channel)
    except Exception as error:  # noqa: BLE001 - reported, not raised
        state["error"] = f"{type(error).__name__}: {error}"
    return state
