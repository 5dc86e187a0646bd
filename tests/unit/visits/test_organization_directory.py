"""Organizations come from a directory: the 2003 follow-up action plan's annex, with the names
each is known by, and those the secretariat adds. An organization invited by any of its names
is one organization, in every visit and in the reports."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from shared.contract.organizations import ANNEX_2003, REFERENCE, Directory, Organization, common_name, key
from shared.errors import InvalidInput, RuleBroken
from shared.store import StoreSettings
from visits.application import VisitsApplication
from visits.domain import Committee, RegisteredOrganization

SEED = Path(__file__).resolve().parents[4] / "shared" / "seeds" / "001_4a670da436a564c9.txt"


@pytest.fixture
def app(tmp_path):
    opened = VisitsApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("visits"))
    yield opened
    opened.close()


def approved_visit(app, make, committee=Committee.CTC):
    visit = app.propose_visit(make.ctx(0), member_state="KEN", committee=committee)
    return app.approve(make.ctx(1), visit.id)


# -- the reference list ------------------------------------------------------------------------


def test_unodc_and_the_office_on_drugs_and_crime_are_one_organization():
    names = ["UNODC", "Office on Drugs and Crime", "United Nations Office on Drugs and Crime",
             "the UN Office on Drugs & Crime", "Office on Drugs and Crime (UNODC)", "unodc "]
    assert {common_name(n) for n in names} == {"United Nations Office on Drugs and Crime"}
    # a former name finds the organization under its name today
    assert common_name("Organization of the Islamic Conference") == "Organisation of Islamic Cooperation"
    assert common_name("Interpol") == "International Criminal Police Organization"
    assert common_name("Organization for Security and Cooperation in Europe") == common_name("OSCE")
    assert common_name("A body nobody listed") == "A body nobody listed"


@pytest.mark.skipif(not SEED.exists(), reason="the seeds are handed to the project at ../shared")
def test_the_reference_list_is_the_annex_s():
    text = SEED.read_text(encoding="utf-8")
    annex = text[text.index("List of international, regional and subregional organizations"):]
    # each organization of the list is named in the annex, by one of its names (a body under
    # its parent's name, by its name without the parent's: "– Anti-Terrorist Centre")
    for organization in ANNEX_2003:
        keys = [key(name) for name in organization.names]
        if organization.part_of:
            keys += [k.replace(key(parent), "") for k in keys for parent in REFERENCE.find(organization.part_of).names]
        assert any(k and k in key(annex) for k in keys), organization.name
    # and each of the annex's first section, one a line, is in the list
    first = annex[annex.index("I.\t"):annex.index("II.\t")].splitlines()[1:]
    names, parent = [], ""
    for line in filter(str.strip, first):
        name = re.sub(r"^[\s\-–]+", "", line).strip()
        part = re.match(r"^\s*[\-–]", line) is not None  # "– Executive Committee": of the one above
        names.append(f"{name} of the {parent}" if part and REFERENCE.find(name) is None else name)
        parent = parent if part else name
    assert len(names) == 25
    assert [n for n in names if REFERENCE.find(n) is None] == []


def test_no_two_organizations_share_a_name_and_each_has_a_kind_and_its_section():
    seen = {}
    for organization in ANNEX_2003:
        assert organization.listed_in.startswith("2003 annex, section ")
        for name in organization.names:
            assert seen.setdefault(key(name), organization.name) == organization.name, name
        assert organization.part_of == "" or REFERENCE.find(organization.part_of) is not None
    with pytest.raises(ValueError, match="already names"):
        Directory([*ANNEX_2003, Organization("UN drugs office", ("UNODC",))])


def test_a_name_close_to_one_listed_is_offered():
    assert REFERENCE.close_to("UNDOC")[0] == "United Nations Office on Drugs and Crime"
    assert REFERENCE.find("UNDOC") is None


# -- inviting ---------------------------------------------------------------------------------


def test_an_organization_invited_by_any_of_its_names_is_recorded_under_its_name(app, make):
    visit = approved_visit(app, make)
    visit = app.invite_organization(make.ctx(2), visit.id, organization="Office on Drugs and Crime (UNODC)")
    assert list(visit.organizations) == ["United Nations Office on Drugs and Crime"]
    assert visit.organizations["United Nations Office on Drugs and Crime"]["kind"] == "un_body"  # the directory's
    # asked and received under another of its names: the same organization
    app.request_pre_visit_info(make.ctx(3), visit.id, organization="UNODC", due_on=make.day(20))
    visit = app.receive_pre_visit_info(make.ctx(4), visit.id, organization="office on drugs and crime")
    assert visit.organizations["United Nations Office on Drugs and Crime"]["info_received_at"] == make.ctx(4).occurred_at
    version = visit.version
    with pytest.raises(RuleBroken) as twice:
        app.invite_organization(make.ctx(5), visit.id, organization="UNODC")
    assert twice.value.rule == "organization_invited_once"
    assert app.get_visit(visit.id).version == version


def test_an_organization_not_in_the_directory_is_refused_with_what_was_meant(app, make):
    visit = approved_visit(app, make)
    with pytest.raises(RuleBroken) as unknown:
        app.invite_organization(make.ctx(2), visit.id, organization="UNDOC")
    assert unknown.value.rule == "organizations_from_the_directory"
    assert "did you mean 'United Nations Office on Drugs and Crime'" in str(unknown.value)
    assert "POST /organizations" in str(unknown.value)
    with pytest.raises(RuleBroken) as wrong_kind:
        app.invite_organization(make.ctx(2), visit.id, organization="UNODC", kind="regional")
    assert wrong_kind.value.rule == "organization_kind_as_in_the_directory"
    assert app.get_visit(visit.id).version == visit.version  # nothing stored


# -- the secretariat adds ---------------------------------------------------------------------


def test_the_secretariat_adds_an_organization_and_a_visit_invites_it_by_its_abbreviation(app, make):
    added = app.register_organization(make.ctx(0), name="United Nations Office for Disarmament Affairs",
                                      abbreviations=["UNODA"], also_known_as=["Office for Disarmament Affairs"],
                                      organization_kind="un_body", part_of="")
    assert added.id == RegisteredOrganization.id_for("united nations office for disarmament affairs")
    visit = approved_visit(app, make, Committee.C1540)
    visit = app.invite_organization(make.ctx(2), visit.id, organization="UNODA")
    assert list(visit.organizations) == ["United Nations Office for Disarmament Affairs"]
    app.request_pre_visit_info(make.ctx(3), visit.id, organization="UNODA", due_on=make.day(20))
    [(entry, registration)] = app.list_organizations("Office for Disarmament Affairs")
    assert entry.listed_in == "registered" and registration.id == added.id
    assert len(app.list_organizations()) == len(ANNEX_2003) + 1


@pytest.mark.parametrize("registration, clash", [
    ({"name": "UNODC"}, "'UNODC' already names United Nations Office on Drugs and Crime (2003 annex, section III)"),
    ({"name": "Drugs office", "abbreviations": ["unodc"]}, "'unodc' already names United Nations Office on Drugs"),
    ({"name": "Organisation of the Islamic Conference"}, "already names Organisation of Islamic Cooperation"),
])
def test_a_name_that_already_names_an_organization_is_refused(app, make, registration, clash):
    with pytest.raises(RuleBroken) as refused:
        app.register_organization(make.ctx(0), **{"abbreviations": [], "also_known_as": [], "part_of": "",
                                                  "organization_kind": "un_body", **registration})
    assert refused.value.rule == "organization_names_unique" and clash in str(refused.value)
    assert len(app.list_organizations()) == len(ANNEX_2003)


def test_an_organization_is_registered_once(app, make):
    fields = {"abbreviations": ["UNODA"], "also_known_as": [], "part_of": "", "organization_kind": "un_body"}
    app.register_organization(make.ctx(0), name="United Nations Office for Disarmament Affairs", **fields)
    with pytest.raises(RuleBroken) as again:
        app.register_organization(make.ctx(1), name="United Nations Office for Disarmament Affairs", **fields)
    assert again.value.rule == "organization_names_unique"


@pytest.mark.parametrize("registration, field", [
    ({"name": "--"}, {"name": ["has neither letters nor digits to find it by"]}),
    ({"name": "Regional Office", "abbreviations": ["RO", "\u001e."]},
     {"abbreviations": {1: ["has neither letters nor digits to find it by"]}}),
])
def test_a_name_with_nothing_to_find_it_by_is_a_field_error_and_nothing_is_stored(app, make, registration, field):
    with pytest.raises(InvalidInput) as refused:
        app.register_organization(make.ctx(0), **{"abbreviations": [], "also_known_as": [], "part_of": "",
                                                  "organization_kind": "regional", **registration})
    assert refused.value.fields == field
    assert len(app.list_organizations()) == len(ANNEX_2003)


def test_a_name_in_another_script_finds_its_organization(app, make):
    app.register_organization(make.ctx(0), name="Arab Interior Ministers Council", abbreviations=[],
                              also_known_as=["مجلس وزراء الداخلية العرب"], part_of="", organization_kind="regional")
    assert key("مجلس وزراء الداخلية العرب") and key("Ａ") == "a"
    [(entry, _)] = app.list_organizations("مجلس وزراء الداخلية العرب")
    assert entry.name == "Arab Interior Ministers Council"
    with pytest.raises(RuleBroken) as again:
        app.register_organization(make.ctx(1), name="مجلس وزراء الداخلية العرب", abbreviations=[],
                                  also_known_as=[], part_of="", organization_kind="regional")
    assert again.value.rule == "organization_names_unique"


def test_two_registrations_recorded_with_one_name_leave_the_directory_usable():
    # two registrations at once (each checked before the other was stored) both sharing "ATC"
    first = Organization("Anti-Terrorism Centre", ("ATC",))
    second = Organization("Arms Trade Council", ("ATC",))
    directory = REFERENCE.adding([first, second])
    assert directory.find("ATC") is first and directory.find("Arms Trade Council") is second
    with pytest.raises(ValueError, match="already names Anti-Terrorism Centre"):
        Directory([first, second])
