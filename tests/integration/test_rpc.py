"""The nameko RPC interface of the visits and meetings services, as another service calls it."""
from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

pytestmark = pytest.mark.integration

COORDINATOR = {"user": "ana", "role": "visit_coordinator", "correlation_id": "rpc-1"}


def test_a_visit_is_driven_over_rpc_and_a_broken_rule_comes_back_as_an_error(broker, visits_service):
    with ClusterRpcProxy({"AMQP_URI": broker.uri}, timeout=30) as rpc:
        visit = rpc.visits.propose_visit({"member_state": "KEN", "committee": "ctc"}, COORDINATOR)
        approved = rpc.visits.execute(visit["id"], "approve", {}, COORDINATOR)
        assert approved["status"] == "approved" and approved["version"] == 2
        with pytest.raises(RemoteError) as refused:
            rpc.visits.execute(visit["id"], "schedule", {"starts_on": "2025-03-01", "ends_on": "2025-03-02"}, COORDINATOR)
        assert refused.value.exc_type == "RuleBroken" and "schedule_requires_consent" in refused.value.value
        assert [e["event_type"] for e in rpc.visits.visit_history(visit["id"])] == ["visit_proposed", "visit_approved"]
        assert rpc.visits.visit_history(visit["id"])[0]["actor"] == {"user": "ana", "role": "visit_coordinator"}


def test_meetings_are_listed_over_rpc(broker, meetings_service):
    with ClusterRpcProxy({"AMQP_URI": broker.uri}, timeout=30) as rpc:
        loaded = rpc.meetings.load_reference_groups({"user": "sam", "role": "secretariat"})
        assert len(loaded) == 4
        assert {g["committee"] for g in rpc.meetings.list_groups()} == {"1540"}
