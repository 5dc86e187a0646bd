"""The HTTP side on PostgreSQL under faults, on a PostgreSQL cluster of the test's own: no
request fails on a connection the server closed (before, about 6 a service answered 500 after
a restart), and concurrent commands naming no version are all applied (before, 10 at once on
one visit gave 5 x 409: their retries collided in lockstep)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from fieldwork_testing import ServiceProcess
from shared.contract.organizations import ANNEX_2003

pytestmark = pytest.mark.integration


def test_after_postgresql_restarts_no_request_fails(broker, tmp_path, private_postgres):
    visits = ServiceProcess("visits", broker.uri, tmp_path, extra_env=private_postgres.env()).start(timeout=60)
    try:
        def propose(n: int) -> int:
            return visits.post("/visits", {"member_state": "KEN", "committee": "ctc", "purpose": f"before {n}"}).status_code

        with ThreadPoolExecutor(max_workers=8) as pool:  # every pooled connection opened
            assert set(pool.map(propose, range(24))) == {201}
        private_postgres.restart()
        answers = [visits.post("/visits", {"member_state": "NGA", "committee": "ctc"}, timeout=60).status_code
                   for _ in range(10)]
        answers += [visits.get("/visits", timeout=60).status_code for _ in range(10)]
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers += list(pool.map(propose, range(24)))
        assert [a for a in answers if a >= 500] == [], answers
        assert len(visits.get("/visits").json()) == 24 + 10 + 24
    finally:
        visits.stop()


def test_ten_concurrent_commands_naming_no_version_are_all_applied_on_postgresql(broker, tmp_path, private_postgres):
    visits = ServiceProcess("visits", broker.uri, tmp_path, extra_env=private_postgres.env()).start(timeout=60)
    try:
        visit = visits.post("/visits", {"member_state": "KEN", "committee": "ctc"}).json()["id"]
        assert visits.post(f"/visits/{visit}/approve").status_code == 200

        def invite(n: int):
            return visits.post(f"/visits/{visit}/invite-organization", {"organization": ANNEX_2003[n].name})

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(invite, range(10)))
        assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers if a.status_code != 200]
        assert visits.get(f"/visits/{visit}").json()["version"] == 2 + 10
    finally:
        visits.stop()


def test_after_a_failover_to_the_standby_every_command_is_there_and_new_ones_are_taken(
        broker, tmp_path, private_postgres_pair):
    """The primary crashes and its synchronous standby is promoted: the service, given both
    servers (libpq's multi-host connection, asking for the read-write one), answers from the
    promoted server without a restart, and every command acknowledged before is there."""
    import time

    pair = private_postgres_pair
    visits = ServiceProcess("visits", broker.uri, tmp_path, extra_env=pair.env()).start(timeout=60)
    try:
        before = [visits.post("/visits", {"member_state": "KEN", "committee": "ctc", "purpose": f"before {n}"})
                  for n in range(20)]
        assert [a.status_code for a in before] == [201] * 20
        pair.crash_primary()
        time.sleep(2)  # a failover manager notices, then promotes
        pair.promote_standby()
        deadline, answers = time.monotonic() + 60, []
        while time.monotonic() < deadline:
            answer = visits.post("/visits", {"member_state": "NGA", "committee": "ctc", "purpose": "after"}, timeout=60)
            answers.append(answer.status_code)
            if answer.status_code == 201:
                break
            time.sleep(0.5)
        assert answers[-1] == 201, answers
        after = [visits.post("/visits", {"member_state": "NGA", "committee": "ctc"}).status_code for _ in range(10)]
        assert after == [201] * 10
        listed = {v["id"] for v in visits.get("/visits").json()}
        assert {a.json()["id"] for a in before} <= listed and len(listed) == 20 + 1 + 10
    finally:
        visits.stop()


def test_with_the_standby_named_first_a_store_still_writes_to_the_primary(private_postgres_pair):
    """libpq skips a server that does not take writes (``target_session_attrs=read-write``, the
    default with several servers): a standby named first is passed over."""
    from datetime import datetime, timezone

    from shared.domain import Context
    from shared.store import settings_from_environ
    from visits.application import VisitsApplication

    pair = private_postgres_pair
    settings = settings_from_environ({**pair.env(), "POSTGRES_PORT": f"{pair.standby_port},{pair.port}"})
    app = VisitsApplication(env=settings.environment("visits"))
    ctx = Context(datetime(2025, 3, 1, 8, tzinfo=timezone.utc), "ana", "visit_coordinator", "req")
    visit_id = app.propose_visit(ctx, member_state="KEN", committee="ctc", origin="committee_selection", purpose="").id
    assert app.get_visit(visit_id).member_state == "KEN"
    with pytest.raises(Exception, match="read-only"):  # the same settings asking for any server take the standby
        VisitsApplication(env=settings_from_environ({**pair.env(), "POSTGRES_PORT": f"{pair.standby_port},{pair.port}",
                                                     "POSTGRES_TARGET_SESSION_ATTRS": "any"}).environment("visits"))\
            .propose_visit(ctx, member_state="KEN", committee="ctc", origin="committee_selection", purpose="")
