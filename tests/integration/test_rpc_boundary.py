"""RPC takes no API token: it is an internal interface, reached only over the broker, and the
broker's credentials (AMQP_URI, from configuration) are what protect it. These tests pin that
boundary: without the right password, or as a broker user without permissions on the system's
vhost, no RPC call reaches a service and nothing is stored (docs/security.md, "RPC")."""
from __future__ import annotations

import subprocess
import uuid
from urllib.parse import urlparse

import pytest
import requests
from amqp.exceptions import AccessRefused, NotAllowed
from nameko.standalone.rpc import ClusterRpcProxy

pytestmark = pytest.mark.integration

COORDINATOR = {"user": "ana", "role": "visit_coordinator"}
BODY = {"member_state": "KEN", "committee": "ctc"}


def events_stored(service) -> int:
    return requests.get(f"{service.url}/health", timeout=10).json()["events_stored"]


def with_credentials(uri: str, user: str, password: str) -> str:
    parsed = urlparse(uri)
    return parsed._replace(netloc=f"{user}:{password}@{parsed.hostname}:{parsed.port or 5672}").geturl()


def propose_over_rpc(uri: str) -> dict:
    with ClusterRpcProxy({"AMQP_URI": uri}, timeout=30) as rpc:
        return rpc.visits.propose_visit(BODY, COORDINATOR)


def test_rpc_reaches_a_service_only_with_the_brokers_credentials(broker, visits_service):
    before = events_stored(visits_service)
    with pytest.raises(AccessRefused):
        propose_over_rpc(with_credentials(broker.uri, urlparse(broker.uri).username, "not-the-password"))

    stranger, password = f"fieldwork-test-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    subprocess.run(["rabbitmqctl", "-q", "add_user", stranger, password], check=True, capture_output=True, timeout=60)
    try:  # a user of the broker without permissions on this vhost
        with pytest.raises((AccessRefused, NotAllowed)):
            propose_over_rpc(with_credentials(broker.uri, stranger, password))
    finally:
        subprocess.run(["rabbitmqctl", "-q", "delete_user", stranger], check=True, capture_output=True, timeout=60)
    assert events_stored(visits_service) == before

    visit = propose_over_rpc(broker.uri)  # with the configured credentials: the call is served
    assert visit["status"] == "proposed" and events_stored(visits_service) == before + 1
