"""A share of a needs assessment in the shape of an IATI 2.03 activity, as XML and as JSON.

A donor receives what was shared with it as one IATI activity (https://iatistandard.org, version
2.03): an identifier, the reporting organization (the Committee's secretariat), a title and a
description, the recipient country (ISO 3166-1 alpha-2, mapped from the visit's alpha-3 code),
activity status 1 "Pipeline/identification", one sector per thematic area of the needs shared
(vocabulary 99, "reporting organisation": this project's thematic areas, documented in
``docs/donor-sharing.md``), the participating organizations, the visit as the related (parent)
activity, and a contact. Delivered privately to that donor (``GET /donor/shares/{share_id}/iati.xml``),
never published.

The XML is checked against the IATI 2.03 activity schema shipped beside this module (copied from
the standard's schema repository, branch version-2.03) before it is handed out: nothing is fetched
at run time, and an activity that is not valid is never delivered.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pycountry
from lxml import etree

from shared.contract.vocabulary import country_name

SCHEMA_DIR = Path(__file__).parent
IATI_VERSION = "2.03"
ACTIVITY_STATUS_PIPELINE = "1"  # codelist ActivityStatus: Pipeline/identification
DATE_PLANNED_START = "1"  # codelist ActivityDateType
RELATED_PARENT = "1"  # codelist RelatedActivityType: the visit is the parent activity
SECTOR_VOCABULARY_REPORTING_ORG = "99"  # codelist SectorVocabulary: reporting organisation
ROLE_FUNDING, ROLE_ACCOUNTABLE, ROLE_IMPLEMENTING = "1", "2", "4"  # codelist OrganisationRole
ORG_TYPE_MULTILATERAL, ORG_TYPE_GOVERNMENT = "40", "10"  # codelist OrganisationType
DONOR_ORG_TYPES = {"state": "10", "international_organization": "40", "regional_organization": "40", "other": "90"}


@dataclass(frozen=True)
class Publisher:
    """Who reports the activity: the Committee's secretariat. The ``ref`` must be the
    organisation identifier registered with IATI; the defaults say plainly that none is set
    (``XX-`` is no registration agency) and are replaced through the environment."""

    ref: str
    name: str
    contact_email: str

    @classmethod
    def for_committee(cls, committee: str, env: dict[str, str] | None = None) -> Publisher:
        env = os.environ if env is None else env
        key = "CTC" if committee == "ctc" else "1540"
        defaults = {
            "CTC": ("XX-UNSC-CTED", "Counter-Terrorism Committee Executive Directorate (CTED)"),
            "1540": ("XX-UNSC-1540", "Security Council Committee established pursuant to resolution 1540 (2004)"),
        }[key]
        return cls(
            ref=env.get(f"FIELDWORK_IATI_ORG_REF_{key}", defaults[0]),
            name=env.get(f"FIELDWORK_IATI_ORG_NAME_{key}", defaults[1]),
            contact_email=env.get("FIELDWORK_IATI_CONTACT_EMAIL", "visits@secretariat.invalid"),
        )


def alpha_2(alpha_3: str) -> str:
    """ISO 3166-1 alpha-2 of an alpha-3 code (the contract only admits codes pycountry knows)."""
    country = pycountry.countries.get(alpha_3=alpha_3)
    if country is None:
        raise ValueError(f"{alpha_3} is not an ISO 3166-1 alpha-3 country code")
    return country.alpha_2


def _area(code: str) -> str:
    return code.replace("_", " ").capitalize()


def _sector_shares(needs: list[dict]) -> list[tuple[str, float]]:
    """Each thematic area with its share of the needs (percentages that add up to 100)."""
    counts: dict[str, int] = {}
    for need in needs:
        counts[need["thematic_area"]] = counts.get(need["thematic_area"], 0) + 1
    areas = sorted(counts)
    shares = [round(100 * counts[a] / len(needs), 2) for a in areas]
    shares[-1] = round(100 - sum(shares[:-1]), 2)
    return list(zip(areas, shares))


def activity(visit: Any, share: dict, donor_kind: str, publisher: Publisher) -> dict:
    """The share as an IATI activity, in the JSON shape (element names as keys)."""
    country = country_name(visit.member_state)
    visit_ref = f"{publisher.ref}-{visit.id}"
    needs = share["needs"]
    lines = [f"{n['need_id']} ({n['priority']} priority, {_area(n['thematic_area']).lower()}): {n['description']}"
             for n in needs]
    description = "\n".join(
        ([share["assessment_summary"]] if share.get("assessment_summary") else [])
        + [f"Needs shared with {share['donor_name']} with the consent of {country}:"] + lines
    )
    return {
        "iati-identifier": f"{visit_ref}-S{share['share_version']}",
        "reporting-org": {"ref": publisher.ref, "type": ORG_TYPE_MULTILATERAL, "narrative": publisher.name},
        "title": f"Needs identified during the {'CTC' if visit.committee == 'ctc' else '1540 Committee'} "
                 f"visit to {country} (needs assessment version {share['assessment_version']})",
        "description": description,
        "participating-org": [
            {"role": ROLE_FUNDING, "type": DONOR_ORG_TYPES.get(donor_kind, "90"),
             "ref": str(share["donor_id"]), "narrative": share["donor_name"]},
            {"role": ROLE_ACCOUNTABLE, "type": ORG_TYPE_MULTILATERAL, "ref": publisher.ref,
             "narrative": publisher.name},
            {"role": ROLE_IMPLEMENTING, "type": ORG_TYPE_GOVERNMENT, "ref": None,
             "narrative": f"Government of {country}"},
        ],
        "activity-status": ACTIVITY_STATUS_PIPELINE,
        "activity-date": {"type": DATE_PLANNED_START, "iso-date": share["shared_at"].date().isoformat(),
                          "narrative": "Needs assessment shared with the donor"},
        "contact-info": {"organisation": publisher.name, "email": publisher.contact_email},
        "recipient-country": {"code": alpha_2(visit.member_state), "narrative": country},
        "sector": [
            {"vocabulary": SECTOR_VOCABULARY_REPORTING_ORG, "code": area, "percentage": pct,
             "narrative": _area(area)}
            for area, pct in _sector_shares(needs)
        ],
        "related-activity": {"ref": visit_ref, "type": RELATED_PARENT},
        "consent": {
            "event_id": share["consent_event_id"],
            "granted_at": share["consent_granted_at"],
            "assessment_version": share["assessment_version"],
        },
    }


def _narrative(parent: etree._Element, text: str) -> None:
    etree.SubElement(parent, "narrative").text = text


def to_xml(activity_json: dict, generated_at: datetime | None = None) -> bytes:
    """The activity as an ``iati-activities`` document of one ``iati-activity`` (XML, UTF-8).
    Elements are in the order the schema's sequence requires."""
    a = activity_json
    generated = (generated_at or datetime.now(timezone.utc)).replace(microsecond=0).isoformat()
    root = etree.Element("iati-activities", version=IATI_VERSION, **{"generated-datetime": generated})
    act = etree.SubElement(root, "iati-activity", {
        "last-updated-datetime": generated, "{http://www.w3.org/XML/1998/namespace}lang": "en",
    })
    etree.SubElement(act, "iati-identifier").text = a["iati-identifier"]
    org = a["reporting-org"]
    _narrative(etree.SubElement(act, "reporting-org", ref=org["ref"], type=org["type"]), org["narrative"])
    _narrative(etree.SubElement(act, "title"), a["title"])
    _narrative(etree.SubElement(act, "description", type="1"), a["description"])
    for p in a["participating-org"]:
        attrs = {"role": p["role"], "type": p["type"], **({"ref": p["ref"]} if p["ref"] else {})}
        _narrative(etree.SubElement(act, "participating-org", attrs), p["narrative"])
    # the consent the share rests on, by the id of its event in the visits service's stream
    etree.SubElement(act, "other-identifier", ref=f"consent-event:{a['consent']['event_id']}", type="A1")
    etree.SubElement(act, "activity-status", code=a["activity-status"])
    date = a["activity-date"]
    _narrative(etree.SubElement(act, "activity-date", type=date["type"], **{"iso-date": date["iso-date"]}),
               date["narrative"])
    contact = etree.SubElement(act, "contact-info", type="1")
    _narrative(etree.SubElement(contact, "organisation"), a["contact-info"]["organisation"])
    etree.SubElement(contact, "email").text = a["contact-info"]["email"]
    country = a["recipient-country"]
    _narrative(etree.SubElement(act, "recipient-country", code=country["code"], percentage="100"),
               country["narrative"])
    for s in a["sector"]:
        _narrative(etree.SubElement(act, "sector", vocabulary=s["vocabulary"], code=s["code"],
                                    percentage=f"{s['percentage']:g}"), s["narrative"])
    related = a["related-activity"]
    etree.SubElement(act, "related-activity", ref=related["ref"], type=related["type"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


_SCHEMA: etree.XMLSchema | None = None


def schema() -> etree.XMLSchema:
    """The IATI 2.03 activity schema, from the files beside this module (no network)."""
    global _SCHEMA
    if _SCHEMA is None:
        parser = etree.XMLParser(no_network=True, resolve_entities=False)
        _SCHEMA = etree.XMLSchema(etree.parse(str(SCHEMA_DIR / "iati-activities-schema.xsd"), parser))
    return _SCHEMA


def validate(xml: bytes) -> list[str]:
    """What makes the document invalid against the IATI 2.03 schema; empty when it is valid."""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    document = etree.fromstring(xml, parser)
    checker = schema()
    if checker.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in checker.error_log]
