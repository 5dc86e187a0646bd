"""The HTTP side on PostgreSQL under faults, on a PostgreSQL cluster of the test's own: no
request fails on a connection the server closed (before, about 6 a service answered 500 after
a restart), and concurrent commands naming no version are all applied (before, 10 at once on
one visit gave 5 x 409: their retries collided in lockstep)."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from fieldwork_testing import ServiceProcess

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
            return visits.post(f"/visits/{visit}/invite-organization", {"organization": f"Org {n}", "kind": "regional"})

        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(invite, range(10)))
        assert [a.status_code for a in answers] == [200] * 10, [a.text for a in answers if a.status_code != 200]
        assert visits.get(f"/visits/{visit}").json()["version"] == 2 + 10
    finally:
        visits.stop()
