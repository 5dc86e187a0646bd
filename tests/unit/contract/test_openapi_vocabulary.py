"""Each service's OpenAPI document says how to show its codes to a person (``x-vocabulary``):
the codes in words, the States a command takes by name, each Committee's time zone as set;
and a command's State field lists those States, an event's any ISO code."""
from __future__ import annotations

import pytest

from shared.openapi import build


@pytest.mark.parametrize("service", ["visits", "meetings", "notifications"])
def test_the_document_names_the_states_and_puts_codes_in_words(service):
    vocabulary = build(service)["x-vocabulary"]
    assert vocabulary["states"]["CIV"] == "Côte d'Ivoire" and "ATA" not in vocabulary["states"]
    assert vocabulary["words"]["un_body"] == "United Nations body"
    assert vocabulary["thematic_areas"]["1540"][0] == "accountability"


def test_both_committees_show_new_york_time_unless_a_committee_is_set_otherwise(monkeypatch):
    assert build("visits")["x-vocabulary"]["time_zones"] == {"ctc": "America/New_York", "1540": "America/New_York"}
    monkeypatch.setenv("FIELDWORK_TIME_ZONE_1540", "Europe/Vienna")
    assert build("visits")["x-vocabulary"]["time_zones"]["1540"] == "Europe/Vienna"


def test_a_command_s_state_is_chosen_among_the_united_nations_states():
    schemas = build("visits")["components"]["schemas"]
    proposal = next(s for name, s in schemas.items() if name.startswith("VisitProposed"))
    states = proposal["properties"]["member_state"]["enum"]
    assert len(states) == 195 and "PSE" in states and "PRI" not in states
