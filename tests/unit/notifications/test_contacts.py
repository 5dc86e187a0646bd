"""The directory: who is in it, in which role, from when to when; its rules name themselves."""
from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest

from contacts_helpers import ctx, list_delegations
from shared.errors import RuleBroken


def test_a_contact_is_listed_with_its_role_party_and_days(app):
    contact = app.list_contact(ctx(), role="national_contact_point", committee="1540", name="Ministry of Foreign Affairs",
                               email=" ncp@mfa.example.org ", member_state="KEN", since=date(2026, 1, 1),
                               until=date(2026, 12, 31))
    found = app.get_contact(contact.id)
    assert (found.role, found.committee, found.member_state, found.email) == (
        "national_contact_point", "1540", "KEN", "ncp@mfa.example.org")
    assert found.holds_role_on(date(2026, 6, 1)) and not found.holds_role_on(date(2027, 1, 1))
    assert found.serves("1540") and not found.serves("ctc")


@pytest.mark.parametrize("role, fields, rule", [
    ("delegation", {}, "contact_names_its_party"),
    ("national_contact_point", {"organization": "UNODC"}, "contact_names_its_party"),
    ("organization_focal_point", {"member_state": "KEN"}, "contact_names_its_party"),
    ("donor_contact", {}, "contact_names_its_party"),
    ("secretariat", {"member_state": "KEN"}, "contact_names_its_party"),
    ("secretariat", {"until": date(2025, 1, 1)}, "contact_days_in_order"),
])
def test_a_contact_that_breaks_a_rule_is_refused_by_name_and_nothing_is_stored(app, role, fields, rule):
    with pytest.raises(RuleBroken) as refused:
        app.list_contact(ctx(), role=role, committee="ctc", name="Someone", email="someone@example.org",
                         since=date(2026, 1, 1), **fields)
    assert refused.value.rule == rule
    assert app.contacts() == []


def test_a_focal_point_is_recorded_under_the_reference_lists_name_and_found_by_any(app):
    contact = app.list_contact(ctx(), role="organization_focal_point", committee="ctc", name="Focal point",
                               email="fp@unodc.example.org", organization="UNODC", since=date(2026, 1, 1))
    assert contact.organization == "United Nations Office on Drugs and Crime"
    assert contact.for_organization("Office on Drugs and Crime (UNODC)")


def test_the_same_address_in_the_same_role_over_overlapping_days_is_listed_once(app):
    list_delegations(app, ("KEN",))
    with pytest.raises(RuleBroken) as refused:
        list_delegations(app, ("KEN",), since=date(2026, 3, 1))
    assert refused.value.rule == "contact_listed_once"
    assert len(app.contacts()) == 1


def test_a_change_and_an_end_are_steps_of_the_contact(app):
    [contact] = list_delegations(app, ("KEN",))
    app.change_contact(ctx(), contact.id, name="Permanent Mission of Kenya", email="kenya@missions.example.org")
    with pytest.raises(RuleBroken) as unchanged:
        app.change_contact(ctx(), contact.id, name="Permanent Mission of Kenya", email="kenya@missions.example.org")
    assert unchanged.value.rule == "contact_change_changes"
    app.end_contact(ctx(), contact.id, until=date(2026, 12, 31), reason="left the Council")
    found = app.get_contact(contact.id)
    assert (found.email, found.until, found.ended_reason) == ("kenya@missions.example.org", date(2026, 12, 31),
                                                              "left the Council")
    assert app.contacts(on=date(2027, 1, 1)) == [] and app.contacts(on=date(2026, 12, 31)) == [found]
    with pytest.raises(RuleBroken) as twice:
        app.end_contact(ctx(), contact.id, until=date(2026, 11, 30))
    assert twice.value.rule == "contact_ended_once"
    assert [e["event_type"] for e in app.history(contact.id)] == ["contact_listed", "contact_changed", "contact_ended"]


def test_the_directory_is_filtered_by_role_committee_state_and_day(app):
    list_delegations(app, ("KEN", "FRA"))
    app.list_contact(ctx(), role="national_contact_point", committee="ctc", name="CTC focal point of Kenya",
                     email="ctc@ke.example.org", member_state="KEN", since=date(2026, 1, 1))
    assert [c.member_state for c in app.contacts(role="delegation")] == ["FRA", "KEN"]
    assert [c.role for c in app.contacts(committee="1540")] == ["delegation", "delegation"]
    assert len(app.contacts(committee="ctc")) == 3 and len(app.contacts(member_state="KEN")) == 2
    assert len(app.contacts(on=date(2025, 12, 31))) == 2
    assert app.contacts(role="secretariat") == []
    assert uuid4() not in {c.id for c in app.contacts()}
