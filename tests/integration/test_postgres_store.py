"""The visits service's event store on PostgreSQL: the same aggregate, the same outbox."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from shared.contract import VISITS_EXCHANGE
from shared.domain import Context
from shared.errors import VersionConflict
from shared.messaging.outbox import OutboxRelay
from shared.messaging.publisher import ConfirmingPublisher
from shared.store import envelope_of
from visits.application import VisitsApplication
from visits.domain import Need

pytestmark = pytest.mark.integration

CTX = Context(datetime(2025, 3, 1, 8, tzinfo=timezone.utc), "ana", "visit_coordinator", "req")


def test_a_visit_stored_in_postgresql_comes_back_with_its_types(postgres_settings):
    app = VisitsApplication(env=postgres_settings.environment("visits"))
    visit_id = app.propose_visit(CTX, member_state="KEN", committee="ctc", origin="committee_selection", purpose="")
    for command, args in [
        ("approve", {}), ("request-consent", {"due_on": date(2025, 2, 1)}), ("grant-consent", {}),
        ("schedule", {"starts_on": date(2025, 3, 1), "ends_on": date(2025, 3, 5)}), ("start", {}),
        ("record-needs-assessment", {"needs": [Need("N1", "legislation", "a law", "high")]}),
    ]:
        app.execute(CTX, visit_id, command, args)

    reloaded = VisitsApplication(env=postgres_settings.environment("visits")).get_visit(visit_id)
    assert reloaded.status == "in_progress" and reloaded.version == 7
    assert reloaded.starts_on == date(2025, 3, 1) and type(reloaded.starts_on) is date
    assert reloaded.started_at == CTX.occurred_at
    assert reloaded.needs == {"N1": Need("N1", "legislation", "a law", "high")}


def test_two_commands_on_the_same_visit_at_once_one_is_refused_as_a_conflict(postgres_settings):
    first = VisitsApplication(env=postgres_settings.environment("visits"))
    second = VisitsApplication(env=postgres_settings.environment("visits"))
    visit_id = first.propose_visit(CTX, member_state="KEN", committee="ctc", origin="committee_selection", purpose="")
    mine, theirs = first.get_visit(visit_id), second.get_visit(visit_id)
    mine.approve(CTX)
    theirs.cancel(CTX, reason="security situation")
    first.store(mine)
    with pytest.raises(VersionConflict):
        second.store(theirs)
    assert first.get_visit(visit_id).status == "approved"


def test_the_outbox_relay_keeps_its_position_in_postgresql(postgres_settings, broker):
    app = VisitsApplication(env=postgres_settings.environment("visits"))
    tap = broker.tap()
    for _ in range(5):
        app.propose_visit(CTX, member_state="PER", committee="1540", origin="state_invitation", purpose="")
    relay = OutboxRelay(app, ConfirmingPublisher(broker.uri), exchange=VISITS_EXCHANGE, envelope_of=envelope_of)
    assert relay.drain() == 5
    again = OutboxRelay(
        VisitsApplication(env=postgres_settings.environment("visits")),
        ConfirmingPublisher(broker.uri), exchange=VISITS_EXCHANGE, envelope_of=envelope_of,
    )
    assert again.position == 5 and again.drain() == 0
    assert len(tap.envelopes(expected=5)) == 5
    tap.close()
