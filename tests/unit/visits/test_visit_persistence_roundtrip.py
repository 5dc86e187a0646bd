"""A visit stored in SQLite comes back as it was: same status, same version, same types.

The library stores UUID and datetime out of the box; ``date`` and ``Context`` need the
transcodings registered in ``shared.store``, and ``Need`` is rebuilt from plain dicts by the
aggregate. A new application on the same file reads only what was stored.
"""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import pytest

from shared.errors import RuleBroken, VersionConflict
from shared.store import StoreSettings
from visits.application import VisitsApplication
from visits.commands import VISITS
from visits.domain import Committee, Need, Visit, VisitStatus


@pytest.fixture
def open_app(tmp_path):
    """Opens a VisitsApplication on this test's own SQLite file; each call is a new one."""
    opened: list[VisitsApplication] = []

    def open_() -> VisitsApplication:
        app = VisitsApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("visits"))
        opened.append(app)
        return app

    yield open_
    for app in opened:
        app.close()


def public_state(visit: Visit) -> dict:
    return {name: value for name, value in vars(visit).items() if not name.startswith("_")}


def is_aware_datetime(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


def is_plain_date(value: object) -> bool:
    return type(value) is date  # a datetime is a date too: it must not come back as one


def run_the_whole_lifecycle(app: VisitsApplication, make, ctx, day) -> tuple[UUID, UUID]:
    donor_id = app.register_donor(
        ctx(0),
        name="Donor State A",
        donor_kind="state",
        thematic_areas=["border_control", "legislation"],
        contact="assistance@donor.example",
    ).id
    visit_id = app.propose_visit(
        ctx(0), member_state="KEN", committee=Committee.CTC, purpose="resolution 1373"
    ).id
    for at, command, arguments in [
        (1, "approve", {}),
        (2, "request-consent", {"due_on": day(16)}),
        (5, "grant-consent", {}),
        (6, "invite-organization", {"organization": "UNODC", "kind": "un_body"}),
        (6, "request-pre-visit-info", {"organization": "UNODC", "due_on": day(20)}),
        (7, "schedule", {"starts_on": day(30), "ends_on": day(34)}),
        (15, "receive-pre-visit-info", {"organization": "UNODC", "summary": "legal review"}),
        (30, "start", {}),
        (
            33,
            "record-needs-assessment",
            {
                "needs": [
                    {"need_id": "n1", "thematic_area": "border_control",
                     "description": "scanners", "priority": "high"},
                    make.need("n2", "legislation", "medium"),
                ],
                "summary": "two needs",
            },
        ),
        (34, "complete", {}),
        (36, "grant-sharing-consent", {}),
        (37, "share-needs-assessment", {"donor_id": donor_id, "need_ids": ["n1", "n2"]}),
        (90, "record-follow-up", {"summary": "Committee updated", "results": "law adopted"}),
        (91, "close", {"summary": "done"}),
    ]:
        VISITS[command].use_case(app, ctx(at), visit_id, **arguments)
    return visit_id, donor_id


def test_a_visit_driven_through_its_whole_lifecycle_comes_back_the_same_from_the_store(
    open_app, make, ctx, day
):
    writer = open_app()
    visit_id, donor_id = run_the_whole_lifecycle(writer, make, ctx, day)
    written = writer.get_visit(visit_id)

    reloaded = open_app().get_visit(visit_id)

    assert reloaded.status == VisitStatus.CLOSED
    assert isinstance(reloaded.status, VisitStatus)
    assert reloaded.version == written.version == 15
    assert public_state(reloaded) == public_state(written)


def test_a_reloaded_visit_has_dates_datetimes_uuids_and_needs_of_the_right_types(
    open_app, make, ctx, day
):
    visit_id, donor_id = run_the_whole_lifecycle(open_app(), make, ctx, day)

    reader = open_app()
    visit = reader.get_visit(visit_id)

    assert isinstance(visit.id, UUID)
    for moment in (
        visit.proposed_at,
        visit.approved_at,
        visit.consent_requested_at,
        visit.consent_decided_at,
        visit.started_at,
        visit.completed_at,
        visit.closed_at,
    ):
        assert is_aware_datetime(moment), moment
    assert visit.started_at == ctx(30).occurred_at
    for calendar_day in (visit.consent_due_on, visit.starts_on, visit.ends_on):
        assert is_plain_date(calendar_day), calendar_day
    assert (visit.starts_on, visit.ends_on) == (day(30), day(34))

    unodc = visit.organizations["United Nations Office on Drugs and Crime"]  # invited as UNODC
    assert is_plain_date(unodc["info_due_on"]) and unodc["info_due_on"] == day(20)
    assert all(is_aware_datetime(unodc[k]) for k in ("invited_at", "info_requested_at", "info_received_at"))
    assert unodc["info_late"] is False

    assert visit.needs == {"n1": Need("n1", "border_control", "scanners", "high"),
                           "n2": make.need("n2", "legislation", "medium")}
    assert all(type(n) is Need for n in visit.needs.values())

    [share] = visit.shares
    assert type(share["donor_id"]) is UUID and share["donor_id"] == donor_id
    assert is_aware_datetime(share["shared_at"])
    assert share["need_ids"] == ["n1", "n2"]
    [consent_granted] = [
        e for e in reader.repository.event_store.get(visit_id)
        if type(e).__name__ == "DonorSharingConsentGranted"
    ]
    assert share["assessment_version"] == 1
    assert share["consent_version"] == consent_granted.originator_version
    assert visit.sharing_consent_version == share["consent_version"]

    [follow_up] = visit.follow_ups
    assert is_aware_datetime(follow_up["at"])


def test_a_reloaded_donor_has_its_name_areas_and_registration_time(open_app, make, ctx, day):
    _, donor_id = run_the_whole_lifecycle(open_app(), make, ctx, day)

    donor = open_app().get_donor(donor_id)

    assert donor.name == "Donor State A"
    assert donor.thematic_areas == ["border_control", "legislation"]
    assert is_aware_datetime(donor.registered_at)
    assert donor.id == donor_id


def test_a_rejected_command_stores_nothing(open_app, ctx, day):
    app = open_app()
    visit_id = app.propose_visit(ctx(0), member_state="KEN", committee=Committee.CTC).id
    app.approve(ctx(1), visit_id)
    stored = app.recorder.max_notification_id()

    with pytest.raises(RuleBroken) as broken:
        app.schedule(ctx(2), visit_id, starts_on=day(30), ends_on=day(34))

    assert broken.value.rule == "schedule_requires_consent"
    assert app.recorder.max_notification_id() == stored
    visit = open_app().get_visit(visit_id)
    assert (visit.status, visit.version) == (VisitStatus.APPROVED, 2)


def test_a_command_on_a_visit_read_at_an_older_version_stores_nothing(open_app, ctx, day):
    app = open_app()
    visit_id = app.propose_visit(ctx(0), member_state="KEN", committee=Committee.CTC).id
    app.approve(ctx(1), visit_id, expected_version=1)
    stored = app.recorder.max_notification_id()

    with pytest.raises(VersionConflict) as conflict:
        app.request_consent(ctx(2), visit_id, due_on=day(16), expected_version=1)

    assert (conflict.value.expected, conflict.value.actual) == (1, 2)
    assert app.recorder.max_notification_id() == stored
    assert open_app().get_visit(visit_id).consent_requested_at is None
