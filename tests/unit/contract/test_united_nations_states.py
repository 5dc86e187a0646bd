"""The States a person picks and a command names: the 193 Member States of the United Nations and
its two observer States, written out in shared/contract/vocabulary.py, with the names the United
Nations give them. An event keeps taking any ISO 3166-1 code, so that one recorded before loads."""
from __future__ import annotations

import pycountry
import pytest
from marshmallow import ValidationError

from shared.contract import meetings as meeting_events
from shared.contract import visits as visit_events
from shared.contract.vocabulary import OBSERVER_STATES, UN_MEMBER_STATES, UN_STATES, country_name, for_people
from meetings.commands import GROUPS, MEETINGS
from visits.commands import VISITS


def test_the_list_holds_the_193_member_states_and_the_two_observer_states():
    assert len(UN_MEMBER_STATES) == 193
    assert OBSERVER_STATES == {"VAT": "Holy See", "PSE": "State of Palestine"}
    assert len(UN_STATES) == 195
    assert all(pycountry.countries.get(alpha_3=code) for code in UN_STATES)  # each an ISO 3166-1 code


@pytest.mark.parametrize("code", ["ATA", "PRI", "XKX", "TWN", "GRL", "HKG", "ESH"])
def test_territories_and_states_the_united_nations_do_not_seat_are_not_in_it(code):
    assert code not in UN_STATES


def test_south_sudan_the_newest_member_is_in_it():
    assert UN_MEMBER_STATES["SSD"] == "South Sudan"


@pytest.mark.parametrize("code, name", [
    ("TUR", "Türkiye"), ("CIV", "Côte d'Ivoire"), ("GBR", "United Kingdom of Great Britain and Northern Ireland"),
    ("USA", "United States of America"), ("KOR", "Republic of Korea"), ("IRN", "Iran (Islamic Republic of)"),
    ("NLD", "Netherlands (Kingdom of the)"), ("VAT", "Holy See"), ("PSE", "State of Palestine"),
])
def test_a_state_is_named_as_the_united_nations_write_it(code, name):
    assert country_name(code) == name


def test_a_territory_an_older_record_names_is_still_named():
    assert country_name("PRI") == "Puerto Rico"
    assert country_name("ZZZ") == "ZZZ"


def test_a_command_refuses_a_territory_naming_the_field():
    with pytest.raises(ValidationError) as refused:
        VISITS.create.input.load({"member_state": "ATA", "committee": "ctc"})
    assert "United Nations" in refused.value.messages["member_state"][0]
    with pytest.raises(ValidationError) as refused:
        MEETINGS.steps["hold"].input.load({"delegations": ["KEN", "PRI"]})
    assert list(refused.value.messages["delegations"]) == [1]
    with pytest.raises(ValidationError):
        GROUPS.steps["assign-chair"].input.load({"chair_member_state": "HKG", "chair_user": "chair.hk"})


def test_a_command_takes_an_observer_state():
    assert VISITS.create.input.load({"member_state": "PSE", "committee": "ctc"})["member_state"] == "PSE"


def test_an_event_recorded_before_with_a_territory_still_loads():
    assert visit_events.VisitProposed().load({"member_state": "PRI", "committee": "ctc", "origin": "committee_selection",
                                              "purpose": ""})["member_state"] == "PRI"
    assert meeting_events.MeetingHeld().load({"delegations": ["ATA"]})["delegations"] == ["ATA"]


def test_what_a_page_shows_names_each_state_and_puts_codes_in_words():
    shown = for_people()
    assert shown["states"]["KEN"] == "Kenya" and len(shown["states"]) == 195
    assert list(shown["states"].values()) == sorted(shown["states"].values())  # listed by name
    assert shown["words"]["un_body"] == "United Nations body"
    assert shown["words"]["committee_selection"] == "selected by the Committee"
    assert shown["words"]["border_controls_and_law_enforcement"] == "border controls and law enforcement"
