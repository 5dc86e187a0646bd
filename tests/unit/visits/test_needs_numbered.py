"""Needs are numbered by the visit where the user gives no id (N1, N2, ...); an id given is kept;
a number is never given twice in one visit's assessments. The CLI types a need as
AREA:PRIORITY:DESCRIPTION and still takes the older ID:AREA:PRIORITY:DESCRIPTION."""
from __future__ import annotations

import pytest

from shared.errors import RuleBroken
from visits.commands import _parse_need
from visits.domain import Need

ENDS = 34


def unnamed(area: str = "border_control", description: str = "a need") -> Need:
    return Need(None, area, description, "high")


def test_needs_without_ids_are_numbered_in_order(make, ctx):
    visit = make.conducted_visit()
    visit.record_needs_assessment(ctx(ENDS + 1), needs=[unnamed(description="scanners"), unnamed("legislation", "a law")])
    assert [(n.need_id, n.description) for n in visit.needs.values()] == [("N1", "scanners"), ("N2", "a law")]
    assert [e.needs for e in visit.collect_events()][0][0]["need_id"] == "N1"  # the event names every id


def test_an_id_given_is_kept_and_the_others_follow_it(make, ctx):
    visit = make.conducted_visit()
    visit.record_needs_assessment(ctx(ENDS + 1), needs=[Need("N7", "border_control", "kept", "low"), unnamed()])
    assert list(visit.needs) == ["N7", "N8"]


def test_a_new_version_never_gives_a_dropped_need_s_number_to_another(make, ctx):
    visit = make.conducted_visit()
    visit.record_needs_assessment(ctx(ENDS + 1), needs=[unnamed(), unnamed()])
    visit.record_needs_assessment(ctx(ENDS + 2), needs=[Need("N1", "border_control", "a need", "high"), unnamed()])
    assert list(visit.needs) == ["N1", "N3"]


def test_two_needs_given_one_id_are_still_refused(make, ctx):
    visit = make.conducted_visit()
    with pytest.raises(RuleBroken) as broken:
        visit.record_needs_assessment(ctx(ENDS + 1), needs=[Need("A", "border_control", "x", "high"),
                                                          Need("A", "legislation", "y", "low"), unnamed()])
    assert broken.value.rule == "need_ids_unique"
    assert visit.collect_events() == []


def test_the_cli_reads_area_priority_description_with_colons_in_the_description():
    assert _parse_need("border_control:high:scanners: two airports") == {
        "thematic_area": "border_control", "priority": "high", "description": "scanners: two airports"}


def test_the_cli_still_reads_the_older_form_with_an_id():
    assert _parse_need("N1:border_control:high:scanners") == {
        "need_id": "N1", "thematic_area": "border_control", "priority": "high", "description": "scanners"}


def test_the_cli_says_which_form_to_use():
    with pytest.raises(ValueError, match="AREA:PRIORITY:DESCRIPTION"):
        _parse_need("scanners")
