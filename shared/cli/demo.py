"""``fieldwork demo``: half a year of CTC and 1540 work, driven through the services' HTTP APIs.

Run it after ``fieldwork up``. It records, for the most recent *completed* half year (UTC),
what the secretariat, the CTED coordinator, the 1540 experts (each with a token for their own
Committee's work), the working-group chairs and the Committee did: donors registered, an
organization added to the directory, eight country visits (consent granted, declined, still
pending, withdrawn and asked again; one 1540 visit at the State's invitation; one postponed,
its due dates set again; organizations of the 2003 annex, named as staff name them, asked for
pre-visit information that arrives on time, late or never; needs assessments shared with
donors, declined, withdrawn; a desk assessment before a visit, revised after it; Kenya's visit
report drafted, adopted, transmitted, the State's observations on time and its response late,
recommendations followed after the visit closed), five steps
the rules refuse (shown, nothing changed), and
monthly meetings of the four 1540 working groups and of a CTC special meeting with
organizations (documents on time, late or none; outcomes logged by the chairs; reports to the
Committee, one missing; the Committee's approvals, a rejection, an outcome returned, corrected
and reported again, an approved outcome amended; action items done; communication to the
contact points of three States, an open meeting;
one meeting cancelled, one postponed); the directory of the notifications service (the
Council's delegations, contact points, focal points, donors' contacts, secretariats), which it
tells of what happened. It then waits until the notifications service has recorded and sent
what it tells, and the reporting service has recorded every event it caused, and writes the semi-annual report
for that half year, one for each Committee's work (the CTC's, the 1540 Committee's), as HTML
and PDF; the last four lines it prints are their paths.

Every step is an HTTP request with the acting user's token (issued by the demo in the system's
token registry, as an administrator would) and an explicit ``occurred_at``
inside the half year (``occurred_at`` may not be in the future, hence a *completed* half
year). Any other refusal stops the demo with the service's own message. It can be run again: it
creates new visits and meetings, reuses donors and groups found by name, and keeps the chair a
group already has.
"""
from __future__ import annotations

import itertools
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from shared.auth import TokenRegistry
from shared.contract.vocabulary import MEETING_KIND_RULES, country_name
from shared.cli.client import Client, ServiceRefused, ServiceUnreachable, explain
from shared.services import names as service_names
from shared.store import settings_from_environ

WAIT_SECONDS = 60


@dataclass(frozen=True)
class Actor:
    user: str
    role: str
    committee: str | None = None  # a token for one Committee's work only


COORDINATOR = Actor("cted.coordinator", "visit_coordinator", "ctc")  # CTED: CTC visits, donors
EXPERT_1540 = Actor("1540.expert", "visit_coordinator", "1540")      # the 1540 group of experts: 1540 visits
SECRETARIAT = Actor("secretariat", "secretariat")              # meetings, and the Committee's decisions
REPORTER = Actor("reporting.staff", "reporting_staff")         # the reports


def last_completed_half(today: date) -> tuple[int, int, date, date]:
    """(year, half, first day, last day) of the latest half year that has ended before ``today``."""
    if today.month <= 6:
        return today.year - 1, 2, date(today.year - 1, 7, 1), date(today.year - 1, 12, 31)
    return today.year, 1, date(today.year, 1, 1), date(today.year, 6, 30)


class DemoStopped(Exception):
    """The demo cannot go on; the message says why (the service's own words are printed)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


# -- HTTP ---------------------------------------------------------------------------------


class Api:
    """The services' HTTP APIs through the CLI's client (``shared.cli.client``), as one actor or
    another. Counts the events it causes: an accepted POST records one event, or as many as its
    aggregate's version rose (see ``_recorded_by``); loading the reference groups one per group
    created."""

    def __init__(self) -> None:
        self.run = uuid.uuid4().hex[:8]
        self.sequence = itertools.count(1)
        self.client = Client(correlation=lambda: f"demo-{self.run}-{next(self.sequence)}")
        self.events = 0  # recorded by the demo's steps
        self._versions: dict[str, int] = {}  # aggregate id -> version in the last answer about it
        self.refused: list[str] = []  # the refusals shown, each its rule and the service's message
        self._tokens: dict[Actor, str] = {}
        self._registry = None

    def token(self, actor: Actor) -> str:
        """A token for ``actor``, issued by the demo in the system's token registry (the demo
        runs beside the system, as its administrator would)."""
        if actor not in self._tokens:
            if self._registry is None:
                self._registry = TokenRegistry(settings_from_environ())
            self._tokens[actor] = self._registry.issue(actor.user, actor.role, issued_by="fieldwork demo",
                                                       committee=actor.committee)[1]
        return self._tokens[actor]

    def request(self, service: str, method: str, path: str, body: dict | None = None, *,
                actor: Actor | None = None, params: dict | None = None, tolerate: tuple[str, ...] = ()) -> Any:
        actor = actor or (REPORTER if service == "reporting" else SECRETARIAT)
        try:
            return self.client.request(service, method, path, body, params, token=self.token(actor))
        except ServiceUnreachable as unreachable:
            raise DemoStopped(str(unreachable), unreachable.exit_code) from None
        except ServiceRefused as refused:
            if refused.data.get("rule") in tolerate:
                return None
            explain(refused.status, refused.data)
            raise DemoStopped(f"{method} {path} as {actor.user} ({actor.role}) was refused by the "
                              f"{service} service (HTTP {refused.status})", refused.exit_code) from None

    def refusal(self, service: str, path: str, body: dict, actor: Actor) -> str:
        """A POST the services must refuse, sent to show the rule that refuses it: the rule and
        the service's message. Accepted, it would have changed the record: the demo stops."""
        try:
            self.client.request(service, "POST", path, body, None, token=self.token(actor))
        except ServiceUnreachable as unreachable:
            raise DemoStopped(str(unreachable), unreachable.exit_code) from None
        except ServiceRefused as refused:
            line = f"{refused.data.get('rule') or refused.data.get('error')}: {refused.data.get('message')}"
            self.refused.append(line)
            return line
        raise DemoStopped(f"POST {path} as {actor.user} was accepted; the demo expected it refused")

    def get(self, service: str, path: str, params: dict | None = None) -> Any:
        return self.request(service, "GET", path, params=params)

    def post(self, service: str, path: str, body: dict, actor: Actor, tolerate: tuple[str, ...] = ()) -> Any:
        answer = self.request(service, "POST", path, body, actor=actor, tolerate=tolerate)
        if answer is not None:
            self.events += self._recorded_by(answer)
        return answer

    def _recorded_by(self, answer: Any) -> int:
        """The events an accepted POST recorded: how far its aggregate's version rose, where the
        demo saw that aggregate before (one step may record more than one event: withdrawing
        the sharing consent also revokes the shares made under it); else one."""
        if not (isinstance(answer, dict) and isinstance(answer.get("version"), int) and "id" in answer):
            return 1
        before = self._versions.get(answer["id"])
        self._versions[answer["id"]] = answer["version"]
        return 1 if before is None else answer["version"] - before


class HalfYear:
    """Moments inside the half year: month 1 is January (or July), month 6 June (or December)."""

    def __init__(self, first: date, last: date) -> None:
        self.first, self.last = first, last

    def day(self, month: int, day: int) -> date:
        return date(self.first.year, self.first.month + month - 1, day)

    def weekday(self, month: int, day: int) -> date:
        """That day, or the Monday after it when it falls on a weekend."""
        d = self.day(month, day)
        return d + timedelta(days=(7 - d.weekday()) % 7 if d.weekday() >= 5 else 0)

    def at(self, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
        return datetime(self.first.year, self.first.month + month - 1, day, hour, minute, tzinfo=timezone.utc)

    def clamp(self, moment: datetime) -> datetime:
        """Keep a moment inside the half year, from its second day (nothing happens on New Year's
        Day) to its last (steps a few days after a meeting late in June)."""
        end = datetime(self.last.year, self.last.month, self.last.day, 18, tzinfo=timezone.utc)
        start = datetime(self.first.year, self.first.month, self.first.day, 9, tzinfo=timezone.utc) + timedelta(days=1)
        return max(start, min(moment, end))


def at_day(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc)


def iso(moment: datetime | date) -> str:
    if isinstance(moment, datetime):
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat()


# -- donors -------------------------------------------------------------------------------

DONORS = [
    ("Norway", "state", ["border_control", "law_enforcement", "counter_financing_of_terrorism"],
     "Ministry of Foreign Affairs, Section for Global Security"),
    ("Japan", "state", ["transport_security", "export_and_trans_shipment_controls", "physical_protection"],
     "Ministry of Foreign Affairs, Non-Proliferation and Nuclear Energy Division"),
    ("European Union", "regional_organization",
     ["legislation", "human_rights_compliance", "international_cooperation", "accountability",
      "border_controls_and_law_enforcement"],
     "European External Action Service, counter-terrorism division"),
]


def register_donors(api: Api, half: HalfYear) -> dict[str, str]:
    """The donors by name: found in the registry, or registered now."""
    known = {(d["name"].casefold(), d["donor_kind"]): d["id"] for d in api.get("visits", "/donors")}
    ids, created = {}, []
    for name, kind, areas, contact in DONORS:
        donor_id = known.get((name.casefold(), kind))
        if donor_id is None:
            donor_id = api.post("visits", "/donors", {
                "name": name, "donor_kind": kind, "thematic_areas": areas, "contact": contact,
                "occurred_at": iso(half.at(1, 5, 10)),
            }, COORDINATOR)["id"]
            created.append(name)
        ids[name] = donor_id
    reused = [n for n in ids if n not in created]
    counts = [f"{n} {what}" for n, what in ((len(created), "registered now"), (len(reused), "already registered"))
              if n]
    click.echo(f"donors: {', '.join(ids)} ({', '.join(counts)})")
    return ids


# -- the directory ------------------------------------------------------------------------

# Whom the notifications service tells (docs/api-notifications.md): the Council's delegations of
# the year (ATTENDANCE, the demo's Council), the national contact points of the States visited
# and of those an outcome is communicated to, the focal points of the organizations invited,
# the donors' contacts and each Committee's secretariat. Addresses are in example.org: nothing
# is sent anywhere unless MAIL_URL says so (data/mail/ otherwise).
CONTACT_POINTS = {"ctc": ["KEN", "IDN", "KAZ", "TKM", "SLE", "MDV"], "1540": ["PAN", "GHA", "KEN"]}
FOCAL_POINTS = ["Office on Drugs and Crime (UNODC)", "Interpol", "FATF", "International Civil Aviation Organization",
                "IMO", "Organization for Security and Cooperation in Europe", "International Organization for Migration",
                "World Customs Organization", "IAEA", "Organization of American States", "African Union", "UNODA"]
SECRETARIATS = {"ctc": "Counter-Terrorism Committee Executive Directorate (CTED)",
                "1540": "1540 Committee group of experts"}


def list_directory(api: Api, half: HalfYear, donors: dict[str, str]) -> None:
    """The directory, from the first day of the half year's year (listed again, it stays)."""
    since, until = date(half.first.year, 1, 1).isoformat(), date(half.first.year, 12, 31).isoformat()
    when = iso(half.at(1, 2, 7))

    def slug(text: str) -> str:
        return "".join(c for c in text.lower() if c.isalnum())[:24]

    contacts = [{"role": "delegation", "committee": "both", "member_state": state, "until": until,
                 "name": f"Permanent Mission of {country_name(state)} to the United Nations",
                 "email": f"{state.lower()}.mission@missions.example.org"} for state in ATTENDANCE]
    contacts += [{"role": "national_contact_point", "committee": committee, "member_state": state,
                  "name": f"{country_name(state)}, {'CTC focal point' if committee == 'ctc' else '1540 point of contact'}",
                  "email": f"{committee}.contact@{state.lower()}.example.org"}
                 for committee, states in CONTACT_POINTS.items() for state in states]
    contacts += [{"role": "organization_focal_point", "committee": "both", "organization": name,
                  "name": f"Focal point, {name}", "email": f"focal.point@{slug(name)}.example.org"}
                 for name in FOCAL_POINTS]
    contacts += [{"role": "donor_contact", "committee": "both", "donor_id": donor_id, "name": f"{name}, assistance desk",
                  "email": f"assistance@{slug(name)}.example.org"} for name, donor_id in donors.items()]
    contacts += [{"role": "secretariat", "committee": committee, "name": name, "email": f"{committee}.secretariat@un.example.org"}
                 for committee, name in SECRETARIATS.items()]
    listed = 0
    for contact in contacts:
        answer = api.post("notifications", "/contacts", {"since": since, "occurred_at": when, **contact}, SECRETARIAT,
                          tolerate=("contact_listed_once",))
        listed += answer is not None
    click.echo(f"directory: {len(ATTENDANCE)} Council delegations, "
               f"{sum(map(len, CONTACT_POINTS.values()))} national contact points, {len(FOCAL_POINTS)} focal points, "
               f"{len(donors)} donors' contacts, {len(SECRETARIATS)} secretariats ({listed} listed now)")


# -- visits -------------------------------------------------------------------------------


class Visit:
    def __init__(self, api: Api, actor: Actor, when: datetime, **proposal: Any) -> None:
        self.api, self.actor = api, actor
        self.view = api.post("visits", "/visits", {**proposal, "occurred_at": iso(when)}, actor)
        self.id = self.view["id"]
        self.member_state = self.view["member_state"]

    def do(self, command: str, when: datetime, **fields: Any) -> Visit:
        self.view = self.api.post("visits", f"/visits/{self.id}/{command}",
                                  {**fields, "occurred_at": iso(when)}, self.actor)
        return self

    def invite(self, when: datetime, due: date, organizations: list[str]) -> Visit:
        """Invite organizations of the directory, by any of their names (the directory gives
        their name and kind), and ask each for its pre-visit information by ``due``."""
        for organization in organizations:
            self.do("invite-organization", when, organization=organization)
        for organization in organizations:
            self.do("request-pre-visit-info", when + timedelta(hours=2), organization=organization,
                    due_on=iso(due))
        return self

    def receive(self, when: datetime, organization: str, summary: str) -> Visit:
        return self.do("receive-pre-visit-info", when, organization=organization, summary=summary)

    def start(self, day: date) -> Visit:
        return self.do("start", at_day(day, 8))

    def complete(self, day: date) -> Visit:
        """The visit ends; the invited organizations whose information arrived took part, with
        the Committee's experts."""
        taking_part = [o["organization"] for o in self.view["organizations"] if o["pre_visit_info"]["received_at"]]
        team = (["CTED: legal expert", "CTED: border control expert"] if self.view["committee"] == "ctc"
                else ["1540 Committee group of experts: two experts"])
        return self.do("complete", at_day(day, 17), organizations_taking_part=taking_part, team=team)

    def conduct(self, starts: date, ends: date) -> Visit:
        return self.start(starts).complete(ends)

    def needs(self, when: datetime, summary: str, needs: list[tuple[str, str, str, str]]) -> Visit:
        return self.do("record-needs-assessment", when, summary=summary, needs=[
            {"need_id": need_id, "thematic_area": area, "priority": priority, "description": description}
            for need_id, area, priority, description in needs
        ])

    def share(self, when: datetime, donor_id: str, need_ids: list[str]) -> Visit:
        return self.do("share-needs-assessment", when, donor_id=donor_id, need_ids=need_ids)

    def refused(self, command: str, when: datetime, **fields: Any) -> str:
        """``command`` sent to show the rule that refuses it (the record stays as it was)."""
        return self.api.refusal("visits", f"/visits/{self.id}/{command}", {**fields, "occurred_at": iso(when)},
                                self.actor)


# Organizations as the staff name them, each a name the directory knows (the 2003 annex's list):
# one organization under two names ("Interpol", "INTERPOL"; "World Customs Organization", "WCO")
# is one organization in the visits and the reports.
UNODC = "Office on Drugs and Crime (UNODC)"
INTERPOL = "Interpol"
FATF = "FATF"
ICAO = "International Civil Aviation Organization"
IMO = "IMO"
OSCE = "Organization for Security and Cooperation in Europe"
IOM = "International Organization for Migration"
WCO = "World Customs Organization"
IAEA = "IAEA"
OAS = "Organization of American States"
AU = "African Union"
# Not in the annex: the 1540 experts add it to the directory (register_organizations).
UNODA = {"name": "United Nations Office for Disarmament Affairs", "abbreviations": ["UNODA"],
         "also_known_as": ["Office for Disarmament Affairs"], "organization_kind": "un_body"}


def register_organizations(api: Api, half: HalfYear) -> None:
    """The organizations the demo invites that the annex does not list: added to the directory
    once (found again by name on a second run)."""
    known = api.get("visits", "/organizations")
    added = not api.get("visits", "/organizations", {"name": UNODA["name"]})
    if added:
        api.post("visits", "/organizations", {**UNODA, "occurred_at": iso(half.at(1, 5, 11))}, EXPERT_1540)
    annex = sum(o["listed_in"].startswith("2003 annex") for o in known)
    click.echo(f"organizations: {annex} of the 2003 annex in the directory; {UNODA['abbreviations'][0]} "
               + ("added by the 1540 experts" if added else "added before"))


def run_visits(api: Api, half: HalfYear, donors: dict[str, str]) -> list[Visit]:
    h = half
    visits = []

    # Kenya (CTC): the whole path, closed. UNODC's information arrives after the visit started.
    ken = Visit(api, COORDINATOR, h.at(1, 8), member_state="KEN", committee="ctc",
                purpose="Assess the implementation of resolution 1373 (2001): legislation, counter-financing "
                        "of terrorism, border control and law enforcement")
    ken.do("approve", h.at(1, 15, 16)).do("request-consent", h.at(1, 16), due_on=iso(h.day(2, 13)))
    ken.do("grant-consent", h.at(2, 6, 11))
    ken.invite(h.at(2, 9), h.day(3, 2), [INTERPOL, FATF, UNODC])
    ken.do("schedule", h.at(2, 12), starts_on=iso(h.weekday(3, 9)), ends_on=iso(h.weekday(3, 9) + timedelta(days=4)))
    ken.receive(h.at(2, 24, 14), INTERPOL, "I-24/7 connectivity at border posts; notices on foreign terrorist fighters")
    ken.receive(h.at(2, 27, 10), FATF, "Mutual evaluation findings on the criminalization of terrorist financing")
    ken_start = h.weekday(3, 9)
    ken.start(ken_start)
    ken.receive(at_day(ken_start + timedelta(days=1), 11), UNODC,
                "Legislative assistance provided since 2005 (arrived during the visit)")
    ken.complete(ken_start + timedelta(days=4))
    ken.needs(h.at(3, 20), "Priorities agreed with the national counter-terrorism centre", [
        ("N1", "legislation", "high", "Criminalize the financing of terrorism in line with the 1999 Convention"),
        ("N2", "counter_financing_of_terrorism", "medium", "Analysis capacity of the financial reporting centre"),
        ("N3", "border_control", "high", "Biometric screening and API/PNR at the main international airport"),
        ("N4", "law_enforcement", "medium", "Joint investigation training for police and prosecutors"),
    ])
    ken.do("grant-sharing-consent", h.at(3, 27))
    ken.share(h.at(4, 2), donors["Norway"], ["N2", "N3", "N4"])
    ken.share(h.at(4, 2, 11), donors["European Union"], ["N1"])
    ken.refused("share-needs-assessment", h.at(4, 3), donor_id=donors["Norway"], need_ids=["N3"])  # shared once
    # the visit's report: drafted, adopted by the Committee, transmitted; the State's answers
    ken.do("draft-report", h.at(4, 6), summary="Kenya has criminalized terrorist financing; screening at the "
           "borders and the financial intelligence unit's analysis capacity remain uneven", recommendations=[
               {"recommendation_id": "R1", "thematic_area": "border_control", "priority": "high",
                "text": "Introduce advance passenger information at the main international airports"},
               {"recommendation_id": "R2", "thematic_area": "counter_financing_of_terrorism", "priority": "medium",
                "text": "Give the financial reporting centre access to the beneficial ownership register"},
               {"recommendation_id": "R3", "thematic_area": "legislation", "priority": "medium",
                "text": "Align the Prevention of Terrorism Act with resolution 2178 (2014) on foreign terrorist fighters"},
           ])
    ken.do("adopt-report", h.at(4, 14, 16), note="Adopted by the Committee at its closed meeting")
    # observations due in 30 days (the setting); the response asked for within two months
    ken.do("transmit-report", h.at(4, 16), response_due_on=iso(h.day(6, 16)))
    ken.do("receive-state-answer", h.at(5, 12), answer="observations",
           summary="Factual corrections on the mandates of the border agencies")
    ken.do("record-follow-up", h.at(5, 18), summary="Committee updated on the follow-up to the visit",
           results="Draft amendments to the Prevention of Terrorism Act submitted to Parliament")
    ken.do("close", h.at(5, 25), summary="Field stage over; the follow-up continues through the dialogue")
    # after closure: the follow-up goes on
    ken.do("remind-state", h.at(6, 17), answer="response", note="Note verbale to the Permanent Mission")
    ken.do("receive-state-answer", h.at(6, 19), answer="response",
           summary="API at two airports from March; the register's access under discussion")
    ken.do("update-recommendation", h.at(6, 22), recommendation_id="R1", status="in_progress",
           evidence="API system procured; operational at Jomo Kenyatta International Airport")
    ken.do("update-recommendation", h.at(6, 22, 11), recommendation_id="R3", status="implemented",
           evidence="Prevention of Terrorism (Amendment) Act adopted")
    visits.append(ken)

    # Indonesia (CTC): ICAO on time, IMO late, Interpol never; sharing consent withdrawn after a share.
    idn = Visit(api, COORDINATOR, h.at(1, 10), member_state="IDN", committee="ctc",
                purpose="Transport security and maritime border control under resolution 1373 (2001)")
    idn.do("approve", h.at(1, 15, 16, 30)).do("request-consent", h.at(1, 17), due_on=iso(h.day(2, 14)))
    idn.do("grant-consent", h.at(2, 2, 15))
    idn.invite(h.at(2, 5), h.day(3, 20), [ICAO, IMO, "INTERPOL"])  # Kenya's Interpol, by another name
    idn_start = h.weekday(4, 13)
    idn.do("schedule", h.at(2, 20), starts_on=iso(idn_start), ends_on=iso(idn_start + timedelta(days=4)))
    idn.receive(h.at(3, 16), ICAO, "Universal Security Audit Programme results for the main airports")
    idn.start(idn_start)
    idn.receive(at_day(idn_start + timedelta(days=1), 10), IMO,
                "ISPS Code compliance of port facilities (arrived during the visit, after its due date)")
    idn.complete(idn_start + timedelta(days=4))
    idn.needs(h.at(4, 24), "Transport security first", [
        ("N1", "transport_security", "high", "Port facility security assessments under the ISPS Code"),
        ("N2", "transport_security", "medium", "Hold-baggage screening equipment at regional airports"),
        ("N3", "border_control", "medium", "Maritime border surveillance and information sharing"),
    ])
    idn.do("grant-sharing-consent", h.at(5, 4))
    idn.share(h.at(5, 8), donors["Japan"], ["N1", "N2"])
    idn.do("withdraw-sharing-consent", h.at(5, 20),
           reason="Further sharing to await the new national action plan")
    idn.do("record-follow-up", h.at(6, 12), summary="Committee briefed on the visit's findings")
    visits.append(idn)

    # Kazakhstan (CTC): all information on time; the State declines to share its assessment.
    kaz = Visit(api, COORDINATOR, h.at(1, 12), member_state="KAZ", committee="ctc",
                purpose="Follow-up visit: international cooperation, recruitment and human rights compliance")
    kaz.do("approve", h.at(1, 22, 16)).do("request-consent", h.at(1, 23), due_on=iso(h.day(2, 20)))
    kaz.do("grant-consent", h.at(2, 16, 12))
    kaz.invite(h.at(2, 18), h.day(4, 24), [OSCE, IOM, WCO])
    kaz_start = h.weekday(5, 11)
    kaz.do("schedule", h.at(3, 2), starts_on=iso(kaz_start), ends_on=iso(kaz_start + timedelta(days=4)))
    kaz.receive(h.at(4, 20), OSCE, "Regional workshops on travel document security")
    kaz.receive(h.at(4, 22), IOM, "Border management information system assessment")
    kaz.receive(h.at(4, 23), WCO, "Customs risk management and cash couriers")
    # a desk assessment from the State's reports before the visit, revised after it
    kaz.needs(h.at(4, 27), "Desk assessment from the State's reports to the Committee", [
        ("N1", "incitement_and_recruitment", "high", "Counter-recruitment programmes in prisons"),
        ("N2", "human_rights_compliance", "medium", "Training of investigators on international human rights law"),
    ])
    kaz.refused("start", at_day(kaz_start - timedelta(days=14), 8))  # two weeks before its dates
    kaz.conduct(kaz_start, kaz_start + timedelta(days=4))
    kaz.needs(h.at(5, 22), "Needs identified with the inter-agency commission", [
        ("N1", "incitement_and_recruitment", "high", "Counter-recruitment programmes in prisons"),
        ("N2", "human_rights_compliance", "medium", "Training of investigators on international human rights law"),
        ("N3", "international_cooperation", "low", "Central authority for mutual legal assistance"),
    ])
    kaz.do("decline-sharing-consent", h.at(5, 29), reason="The Government will share the assessment bilaterally")
    kaz.do("record-follow-up", h.at(6, 19), summary="Committee informed of the visit and the needs identified")
    visits.append(kaz)

    # Turkmenistan (CTC): the State declines the visit.
    tkm = Visit(api, COORDINATOR, h.at(1, 12, 11), member_state="TKM", committee="ctc",
                purpose="Assess the implementation of resolution 1373 (2001)")
    tkm.do("approve", h.at(1, 22, 16, 30)).do("request-consent", h.at(1, 23, 11), due_on=iso(h.day(2, 27)))
    tkm.do("decline-consent", h.at(3, 3), reason="The Government prefers to report in writing at this stage")
    visits.append(tkm)

    # Sierra Leone (CTC): consent asked in March, due in April, no answer by the end of the half year.
    sle = Visit(api, COORDINATOR, h.at(2, 16), member_state="SLE", committee="ctc",
                purpose="Border control and counter-financing of terrorism in the subregion")
    sle.do("approve", h.at(3, 2, 16)).do("request-consent", h.at(3, 4), due_on=iso(h.day(4, 15)))
    sle.do("invite-organization", h.at(3, 5), organization=AU)
    visits.append(sle)

    # Panama (1540): at the State's invitation, which counts as its consent.
    pan = Visit(api, EXPERT_1540, h.at(1, 19), member_state="PAN", committee="1540", origin="state_invitation",
                purpose="Visit at the invitation of the Government on the implementation of resolution 1540 (2004)")
    pan.do("approve", h.at(2, 4, 16))
    pan.invite(h.at(2, 10), h.day(5, 8), [IAEA, OAS])
    pan_start = h.weekday(5, 25)
    pan.do("schedule", h.at(3, 10), starts_on=iso(pan_start), ends_on=iso(pan_start + timedelta(days=3)))
    pan.receive(h.at(4, 30), IAEA, "Integrated nuclear security support plan")
    pan.receive(h.at(5, 6), OAS, "CICTE programmes on maritime and port security")
    pan.conduct(pan_start, pan_start + timedelta(days=3))
    pan.needs(h.at(6, 4), "Export and trans-shipment controls first", [
        ("N1", "export_and_trans_shipment_controls", "high",
         "Control list for dual-use goods in transit through free zones"),
        ("N2", "physical_protection", "medium", "Physical protection of radioactive sources in hospitals"),
        ("N3", "accountability", "low", "National inventory of controlled chemicals"),
    ])
    pan.do("grant-sharing-consent", h.at(6, 10))
    pan.share(h.at(6, 15), donors["Japan"], ["N1", "N2"])
    pan.share(h.at(6, 15, 11), donors["European Union"], ["N3"])
    pan.do("record-follow-up", h.at(6, 26), summary="Working Group 2 informed of the assistance requests")
    visits.append(pan)

    # Ghana (1540): consent granted, postponed once (the information asked for the first dates
    # is due again for the new ones), conducted in June; sharing not decided yet.
    gha = Visit(api, EXPERT_1540, h.at(1, 26), member_state="GHA", committee="1540",
                purpose="Dialogue visit on border controls and law enforcement under resolution 1540 (2004)")
    gha.do("approve", h.at(2, 9, 16)).do("request-consent", h.at(2, 10), due_on=iso(h.day(3, 13)))
    gha.do("grant-consent", h.at(3, 5, 14))
    first = h.weekday(5, 4)
    gha.do("schedule", h.at(3, 9), starts_on=iso(first), ends_on=iso(first + timedelta(days=3)))
    gha.invite(h.at(3, 12), h.day(4, 27), ["WCO", "UNODA"])  # KAZ's World Customs Organization; one added
    gha.do("postpone", h.at(4, 21), reason="At the Government's request, so that the inter-agency committee can attend")
    gha_start = h.weekday(6, 15)
    gha.do("schedule", h.at(4, 28), starts_on=iso(gha_start), ends_on=iso(gha_start + timedelta(days=3)))
    for organization in ("WCO", "UNODA"):  # due for the first dates: due again for the new ones
        gha.do("reset-due-date", h.at(4, 28, 11), awaited="pre_visit_info", organization=organization,
               due_on=iso(h.day(6, 5)))
    gha.receive(h.at(6, 2), "WCO", "Strategic trade control enforcement training")
    gha.receive(h.at(6, 3), "UNODA", "Regional 1540 implementation projects in West Africa")
    gha.conduct(gha_start, gha_start + timedelta(days=3))
    gha.needs(h.at(6, 25), "Border controls first", [
        ("N1", "border_controls_and_law_enforcement", "high", "Radiation detection at the main port and land borders"),
        ("N2", "export_and_trans_shipment_controls", "medium", "Licensing system for strategic goods"),
    ])
    visits.append(gha)

    # Maldives (CTC): consent granted and dates fixed, then the consent withdrawn before the visit
    # (the dates given up); asked again in May, no answer by the end of the half year.
    mdv = Visit(api, COORDINATOR, h.at(1, 29), member_state="MDV", committee="ctc",
                purpose="Assess the implementation of resolution 1373 (2001): maritime security and border control")
    mdv.do("approve", h.at(2, 9, 16, 30)).do("request-consent", h.at(2, 11), due_on=iso(h.day(3, 11)))
    mdv.do("grant-consent", h.at(2, 25, 10))
    mdv_start = h.weekday(4, 20)
    mdv.do("schedule", h.at(3, 2), starts_on=iso(mdv_start), ends_on=iso(mdv_start + timedelta(days=3)))
    mdv.do("withdraw-consent", h.at(3, 30), reason="The Government asks that the visit wait until after the elections")
    mdv.do("request-consent", h.at(5, 12), due_on=iso(h.day(6, 30)))
    visits.append(mdv)
    return visits


def show_rules(api: Api, visits: list[Visit], half: HalfYear) -> None:
    """Steps the services refuse, each for a rule of its own, sent to show the refusal (nothing
    changes): besides those the visits showed on their way (a need shared twice with a donor, a
    visit started two weeks before its dates), a step dated before the record's latest step; an
    organization the directory does not know; a CTED token acting for the 1540 Committee."""
    sle = next(v for v in visits if v.member_state == "SLE")
    # the State's consent dated before it was asked for (asked 4 March)
    sle.refused("grant-consent", half.at(3, 3))
    # a name nobody listed (a typing slip for UNODC)
    sle.refused("invite-organization", half.at(3, 6), organization="UNDOC")
    # CTED's token proposing a visit for the 1540 Committee
    api.refusal("visits", "/visits", {"member_state": "SLE", "committee": "1540", "occurred_at": iso(half.at(3, 6))},
                COORDINATOR)
    for line in api.refused:
        click.echo(f"refused, as the rules require: {line}")


# -- meetings -----------------------------------------------------------------------------

CTC_GROUP = "CTC special meeting with international, regional and subregional organizations"
CTC_MANDATE = ("Special meetings of the Counter-Terrorism Committee with international, regional and subregional "
               "organizations, and the follow-up to their action plans (S/AC.40/2003/SM.1/6/Rev.1).")

# Per group: short name, the chair to assign when it has none (a Committee member and the
# user name the chair acts under), the meeting day of the month, what its meetings are about.
GROUPS = {
    "Working Group 1": ("WG1", "FRA", "chair.fr", 12, "matrices and national reports", [
        ("decision", "Approve the updated matrices of the States reviewed for posting on the website"),
        ("action_item", "The experts send reminders to the States that have not submitted a first report"),
        ("recommendation", "Invite States to nominate national points of contact for resolution 1540 (2004)"),
    ]),
    "Working Group 2": ("WG2", "ZAF", "chair.za", 14, "assistance requests and offers", [
        ("recommendation", "Forward the matched assistance requests to the offering States"),
        ("action_item", "The experts contact the requesting States still without an offer"),
        ("decision", "Post the updated list of assistance offers on the website"),
    ]),
    "Working Group 3": ("WG3", "GBR", "chair.uk", 19,
                        "cooperation with organizations and the 1267 and 1373 Committees", [
        ("action_item", "Exchange the lists of planned visits with CTED and the 1267 Monitoring Team"),
        ("recommendation", "Hold a joint briefing of the three Committees for Member States"),
        ("decision", "Ask IAEA, OPCW and WCO for updates on their assistance programmes"),
    ]),
    "Working Group 4": ("WG4", "GTM", "chair.gt", 21, "transparency and outreach", [
        ("decision", "Publish the note on the programme of work on the website"),
        ("action_item", "Prepare the fact sheet on resolution 1540 (2004) for industry outreach"),
        ("recommendation", "Invite academia and civil society to the next open briefing"),
    ]),
    CTC_GROUP: ("CTC", "MAR", "chair.ctc", 24, "follow-up to the special meeting's action plan", [
        ("decision", "Update the directory of counter-terrorism contact points of the organizations"),
        ("action_item", "Circulate the Matrix of Needs to the organizations on the first day of each month"),
        ("recommendation", "Invite organizations to submit best practices, codes and standards for the website"),
    ]),
}
KIND_LABELS = {
    "working_group": "meeting",
    "committee_plenary": "plenary",
    "special_meeting_with_organizations": "special meeting with organizations",
    "thematic_discussion": "thematic discussion",
    "informal_briefing": "informal briefing",
    "donor_forum": "donor forum",
}
ATTENDANCE = ["FRA", "ZAF", "GBR", "GTM", "MAR", "USA", "CHN", "RUS", "IND", "DEU", "PAK", "COL", "PRT", "TGO", "AZE"]
ORGS_AT_SPECIAL_MEETING = [INTERPOL, IOM, OSCE, "Council of Europe", AU, OAS, ICAO, IMO, UNODC, IAEA, WCO, FATF]


def prepare_groups(api: Api, half: HalfYear) -> dict[str, dict]:
    """The four 1540 working groups (loaded, idempotently) and the CTC group (found by name or
    established), each with a chair: the one it has, or ours."""
    loaded = api.request("meetings", "POST", "/groups/load-reference", {"occurred_at": iso(half.at(1, 2, 9))},
                         actor=SECRETARIAT)
    created = sum(1 for g in loaded if g["created"])
    api.events += created
    groups = {g["name"].casefold(): g for g in api.get("meetings", "/groups")}
    if CTC_GROUP.casefold() not in groups:
        group = api.post("meetings", "/groups", {"name": CTC_GROUP, "committee": "ctc", "mandate_area": CTC_MANDATE,
                                                 "occurred_at": iso(half.at(1, 2, 10))}, SECRETARIAT)
        groups[CTC_GROUP.casefold()] = group
        created += 1
    # The Committee's members that year (the demo's Council: its chairs are among them), recorded
    # before the chairs are checked against them; already recorded, it stays.
    for committee in ("1540", "ctc"):
        api.post("meetings", "/memberships", {"committee": committee, "year": half.first.year,
                                              "member_states": ATTENDANCE, "occurred_at": iso(half.at(1, 2, 8))},
                 SECRETARIAT, tolerate=("ids_unique",))
    by_key: dict[str, dict] = {}
    notes = []
    for key, (short, state, user, *_rest) in GROUPS.items():
        group = next((g for name, g in sorted(groups.items()) if name.startswith(key.casefold())), None)
        if group is None:
            raise DemoStopped(f"no group named {key!r} after loading the reference groups")
        chair = group.get("chair")
        if chair is None:
            answer = api.post("meetings", f"/groups/{group['id']}/assign-chair",
                              {"chair_member_state": state, "chair_user": user, "occurred_at": iso(half.at(1, 3, 15))},
                              SECRETARIAT, tolerate=("chair_assignment_changes_the_chair",))
            group = answer or api.get("meetings", f"/groups/{group['id']}")
        elif (chair["member_state"], chair["user"]) != (state, user):
            notes.append(f"{short} keeps its chair {chair['user']} ({chair['member_state']})")
        by_key[key] = group
    click.echo(f"working groups: {len(by_key)} ({created} established now), chairs "
               + ", ".join(f"{GROUPS[k][0]} {g['chair']['user']}" for k, g in by_key.items())
               + (f"; {'; '.join(notes)}" if notes else ""))
    return by_key


class Meeting:
    def __init__(self, api: Api, group: dict, when: datetime, **fields: Any) -> None:
        self.api, self.group = api, group
        self.view = api.post("meetings", "/meetings", {**fields, "group_id": group["id"], "occurred_at": iso(when)},
                             SECRETARIAT)
        self.id = self.view["id"]

    def do(self, command: str, when: datetime, actor: Actor = SECRETARIAT, **fields: Any) -> Meeting:
        self.view = self.api.post("meetings", f"/meetings/{self.id}/{command}", {**fields, "occurred_at": iso(when)},
                                  actor)
        return self


@dataclass
class Plan:
    """What happens to one meeting besides the usual path."""

    kind: str = "working_group"
    documents: str = "on_time"    # on_time | late | on_time_and_late | after_start | none
    announced_after_start: bool = False
    cancelled: bool = False
    postponed_days: int = 0
    reported: bool = True
    communicate: bool = False
    open_meeting: bool = False
    decisions: str = "approve"  # approve | reject_second | return_first | amend_first


def meeting_plans(key: str) -> dict[int, Plan]:
    """Month -> plan, per group: monthly meetings, with the exceptions the report should show."""
    if key == CTC_GROUP:
        return {2: Plan(kind="special_meeting_with_organizations", communicate=True),
                5: Plan(kind="special_meeting_with_organizations", documents="on_time_and_late")}
    plans = {m: Plan() for m in range(1, 7)}
    if key == "Working Group 1":
        plans[1] = Plan(decisions="amend_first")  # approved, then amended: the amendment approved in turn
        plans[2] = Plan(communicate=True, open_meeting=True)
        plans[3] = Plan(documents="on_time_and_late", decisions="reject_second")
        plans[5] = Plan(documents="after_start")  # a paper tabled at the meeting: recorded, flagged
    elif key == "Working Group 2":
        plans[1] = Plan(decisions="return_first")  # returned to the group, corrected, reported again
        plans[2] = Plan(documents="late", communicate=True)
        plans[3] = Plan(kind="donor_forum")
        plans[4] = Plan(postponed_days=7)
    elif key == "Working Group 3":
        plans[2] = Plan(announced_after_start=True)  # announced only once it had begun: flagged
        plans[3] = Plan(kind="thematic_discussion", communicate=True)
        plans[5] = Plan(documents="late")
        plans[6] = Plan(reported=False)
    elif key == "Working Group 4":
        plans[3] = Plan(documents="none")
        plans[4] = Plan(kind="informal_briefing", communicate=True)
        plans[5] = Plan(cancelled=True)
    return plans


def run_meeting(api: Api, half: HalfYear, key: str, group: dict, month: int, nth: int, plan: Plan,
                counter: MeetingTally) -> None:
    """The group's ``nth`` meeting, in ``month``: scheduled, announced, documents, held, the
    chair's outcomes, the report to the Committee, approval, and what ``plan`` adds."""
    short, _state, _user, day, topic, outcome_texts = GROUPS[key]
    chair = Actor(group["chair"]["user"], "working_group_chair")
    start_day = half.weekday(month, day)
    starts = datetime(start_day.year, start_day.month, start_day.day, 15, tzinfo=timezone.utc)
    month_name = start_day.strftime("%B %Y")
    scheduled = half.clamp(starts - timedelta(days=14))
    meeting = Meeting(api, group, scheduled, meeting_kind=plan.kind,
                      title=f"{short} {KIND_LABELS[plan.kind]}, {month_name}: {topic}",
                      starts_at=iso(starts), ends_at=iso(starts + timedelta(hours=2)),
                      location="Conference Room 7, UN Headquarters")
    rules = MEETING_KIND_RULES[plan.kind]
    if plan.announced_after_start:
        counter.announced_after_start += 1
    else:
        meeting.do("announce", scheduled + timedelta(days=1), notice="Open to all Council delegations.")
    if plan.cancelled:
        meeting.do("cancel", starts - timedelta(days=5), reason="Conference services unavailable; the items move "
                                                                "to the next meeting")
        counter.cancelled += 1
        return
    if plan.postponed_days:
        starts = starts + timedelta(days=plan.postponed_days)
        moved = starts - timedelta(days=plan.postponed_days + 3)
        meeting.do("postpone", moved, reason="The Committee's plenary meets that afternoon",
                   starts_at=iso(starts), ends_at=iso(starts + timedelta(hours=2)))
        meeting.do("announce", moved + timedelta(hours=1), notice="New date: open to all Council delegations.")
        counter.postponed += 1
    symbol_base = f"S/AC.44/{start_day.year}/{short}" if key != CTC_GROUP else f"S/AC.40/{start_day.year}/SM"
    doc_id = f"{short}-{start_day.isoformat()}"
    if plan.documents in ("on_time", "on_time_and_late"):
        meeting.do("circulate-document", starts - timedelta(days=7), document_id=f"{doc_id}-WP1",
                   title=f"Working paper: {topic}", symbol=f"{symbol_base}/WP.{month}")
    if plan.documents in ("late", "on_time_and_late"):
        meeting.do("circulate-document", starts - timedelta(hours=30), document_id=f"{doc_id}-WP2",
                   title=f"Addendum: {topic}", symbol=f"{symbol_base}/WP.{month}/Add.1")
        counter.late_documents += 1
    if plan.documents == "after_start":
        meeting.do("circulate-document", starts - timedelta(days=7), document_id=f"{doc_id}-WP1",
                   title=f"Working paper: {topic}", symbol=f"{symbol_base}/WP.{month}")
        meeting.do("circulate-document", starts + timedelta(minutes=20), document_id=f"{doc_id}-CRP1",
                   title=f"Conference room paper: {topic}", symbol=f"{symbol_base}/CRP.{month}")
        counter.late_documents += 1
    if plan.announced_after_start:
        meeting.do("announce", starts + timedelta(minutes=30), notice="Open to all Council delegations.")
    if plan.documents == "none" and rules.needs_documents:
        counter.without_documents += 1
    held = starts + timedelta(hours=2)
    attendance = ({"delegations": ATTENDANCE[:8], "organizations": ORGS_AT_SPECIAL_MEETING,
                   "experts": ["Counter-Terrorism Committee Executive Directorate"]} if key == CTC_GROUP
                  else {"delegations": ATTENDANCE, "experts": ["Group of experts of the 1540 Committee"]})
    meeting.do("hold", held, **attendance)
    counter.held += 1
    if not rules.logs_outcomes:  # a thematic discussion, an informal briefing, a donor forum
        return
    # Two outcomes per meeting, rotating through the group's kinds, logged by the chair.
    outcomes = [outcome_texts[(nth + i) % len(outcome_texts)] for i in range(2)]
    ids = []
    for i, (kind, text) in enumerate(outcomes, start=1):
        outcome_id = f"{doc_id}-{kind[0].upper()}{i}"
        action = ({"owner": "The group of experts", "due_on": iso((held + timedelta(days=30)).date())}
                  if kind == "action_item" else {})
        meeting.do("log-outcome", held + timedelta(hours=1, minutes=10 * i), chair,
                   outcome_id=outcome_id, outcome_kind=kind, text=text, **action)
        ids.append(outcome_id)
        counter.outcomes[kind] += 1
    if rules.reports_to_committee:
        if not plan.reported:
            counter.unreported += 1
            return
        reported = half.clamp(held + timedelta(days=3))
        meeting.do("report-to-committee", reported,
                   summary=f"The group reviewed {topic} and agreed on {len(ids)} outcomes",
                   report_symbol=f"{symbol_base}/R.{month}")
    else:  # a special meeting's outcomes go to the Committee without a report to it
        reported = held + timedelta(hours=2)
    approved = half.clamp(reported + timedelta(days=4))
    for i, outcome_id in enumerate(ids):
        when = approved + timedelta(minutes=5 * i)
        if plan.decisions == "reject_second" and i == 1:
            meeting.do("decide-outcome", when, outcome_id=outcome_id, decision="rejected",
                       note="Outside the group's mandate: for the Committee's plenary")
            counter.decisions["rejected"] += 1
        elif plan.decisions == "return_first" and i == 0:
            meeting.do("decide-outcome", when, outcome_id=outcome_id, decision="returned",
                       note="Returned to the group: name the States concerned")
            counter.decisions["returned"] += 1
        else:
            meeting.do("approve-outcome", when, outcome_id=outcome_id, note="Approved by the Committee")
            counter.decisions["approved"] += 1
    if plan.decisions == "return_first":  # the chair corrects it; a further report carries it back
        meeting.do("correct-outcome", approved + timedelta(days=1), chair, outcome_id=ids[0],
                   text=f"{outcomes[0][1]}, naming the States concerned",
                   **({"owner": "The group of experts", "due_on": iso((held + timedelta(days=40)).date())}
                      if outcomes[0][0] == "action_item" else {}))
        meeting.do("report-to-committee", approved + timedelta(days=2), summary="The corrected outcome")
        meeting.do("approve-outcome", approved + timedelta(days=3), outcome_id=ids[0], note="As corrected")
        counter.decisions["approved"] += 1
    if plan.decisions == "amend_first":  # approved, then amended: the amendment supersedes it
        meeting.do("log-outcome", approved + timedelta(days=1), chair, outcome_id=f"{ids[0]}-rev1",
                   outcome_kind="decision", text="As amended: the same, with a report to the Committee by year-end",
                   amends=ids[0])
        meeting.do("report-to-committee", approved + timedelta(days=2), summary="The amended outcome")
        meeting.do("approve-outcome", approved + timedelta(days=3), outcome_id=f"{ids[0]}-rev1", note="As amended")
        counter.decisions["amended"] += 1
    for kind_and_id in zip((k for k, _ in outcomes), ids):  # the experts act on their action items
        if kind_and_id[0] == "action_item" and plan.decisions != "return_first":
            meeting.do("update-action-item", half.clamp(approved + timedelta(days=5)), outcome_id=kind_and_id[1],
                       status="done", note="Done by the group of experts")
    if plan.communicate:
        meeting.do("communicate-outcome", half.clamp(approved + timedelta(days=6)), outcome_id=ids[0],
                   member_states=["GHA", "KEN", "PAN"])
        counter.communicated += 1
    if plan.open_meeting:
        meeting.do("hold-open-meeting", half.clamp(approved + timedelta(days=9)), outcome_ids=ids,
                   summary="Open briefing for all Member States on the working group's approved outcomes")
        counter.open_meetings += 1


@dataclass
class MeetingTally:
    """What the meetings phase did, for its progress line."""

    held: int = 0
    cancelled: int = 0
    postponed: int = 0
    late_documents: int = 0
    announced_after_start: int = 0
    without_documents: int = 0
    unreported: int = 0
    communicated: int = 0
    open_meetings: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: {"decision": 0, "recommendation": 0, "action_item": 0})
    decisions: Counter = field(default_factory=Counter)  # approved, rejected, returned, amended


def run_meetings(api: Api, half: HalfYear, groups: dict[str, dict]) -> MeetingTally:
    counter = MeetingTally()
    # In the order they happened: month by month, group by group.
    held_so_far = {key: 0 for key in groups}
    for month in range(1, 7):
        for key, group in groups.items():
            plan = meeting_plans(key).get(month)
            if plan is not None:
                run_meeting(api, half, key, group, month, held_so_far[key], plan, counter)
                held_so_far[key] += 1
    return counter


# -- reporting ----------------------------------------------------------------------------


def wait_for_reporting(api: Api, target: int) -> dict:
    """Poll the reporting service until it recorded ``target`` events (those before the demo and
    the demo's) and its projection caught up with them; and, so that a backlog from before the
    demo cannot stand in for the demo's events, until the visits and meetings services have
    published everything they stored and the reporting queue is empty. Give up after
    WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        status = api.get("reporting", "/status")
        recorded = status["events_recorded"]
        behind = status["projection"]["behind"]
        queued = (status.get("broker") or {}).get("reporting.events", {}).get("messages", 0)
        unpublished = sum(_publish_lag(api, service) for service in ("visits", "meetings", "notifications"))
        unpublished += _waiting_in(api, "notifications", "notifications.incoming")  # its notices not yet recorded
        unpublished += _not_yet_tried(api)  # recorded, not yet sent (a deferred one waits for its server: not here)
        if recorded >= target and behind == 0 and not queued and not unpublished:
            return status
        if time.monotonic() > deadline:
            raise DemoStopped(
                f"after {WAIT_SECONDS} s the reporting service has recorded {recorded} of the {target} events "
                f"expected (projection {behind} behind, {queued} messages in its queue, {unpublished} events "
                "not yet published by visits and meetings); see `fieldwork reports status` and "
                "`fieldwork reports dead-letters`"
            )
        time.sleep(0.2)


def _publish_lag(api: Api, service: str) -> int:
    """Events the service stored but has not published yet (its health says; 503 included)."""
    try:
        health = api.client.response(service, "GET", "/health", timeout=10).json()
    except (ServiceUnreachable, ValueError):
        return 1
    return int(health.get("publish_lag") or 0)


def _waiting_in(api: Api, service: str, queue: str) -> int:
    """Messages waiting in the service's queue (its health says)."""
    try:
        health = api.client.response(service, "GET", "/health", timeout=10).json()
    except (ServiceUnreachable, ValueError):
        return 1
    return int(((health.get("queues") or {}).get(queue) or {}).get("messages") or 0)


def _not_yet_tried(api: Api) -> int:
    """Notifications recorded and never tried yet (the notifications service's health says)."""
    try:
        mail = api.client.response("notifications", "GET", "/health", timeout=10).json().get("mail") or {}
    except (ServiceUnreachable, ValueError):
        return 1
    return max(0, int(mail.get("pending") or 0) - int(mail.get("deferred") or 0))


def told(api: Api) -> None:
    """What the notifications service recorded of the demo: how many, to whom, and where it went."""
    notifications = api.get("notifications", "/notifications")
    by_notice = Counter(n["notice"] for n in notifications)
    by_status = Counter(n["status"] for n in notifications)
    health = api.get("notifications", "/health")
    click.echo(f"notifications: {len(notifications)} recorded ("
               + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in by_notice.most_common()) + "); "
               + ", ".join(f"{n} {k}" for k, n in sorted(by_status.items()))
               + f"; mail: {health.get('mail', {}).get('transport', '?')}")


def fetch_report(api: Api, params: dict, output_dir: Path) -> Path:
    try:
        body, name = api.client.download("reporting", "/reports", params, token=api.token(REPORTER))
    except ServiceUnreachable as unreachable:
        raise DemoStopped(str(unreachable), unreachable.exit_code) from None
    except ServiceRefused as refused:
        explain(refused.status, refused.data)
        raise DemoStopped(f"the {params['format']} report was refused (HTTP {refused.status})",
                          refused.exit_code) from None
    path = output_dir / (name or f"semi-annual-report.{params['format']}")
    path.write_bytes(body)
    return path.resolve()


# -- the command --------------------------------------------------------------------------


@click.command("demo")
@click.option("--output-dir", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="where to write the semi-annual report (HTML and PDF)")
def demo(output_dir: str) -> None:
    """Record half a year of CTC and 1540 work through the services' HTTP APIs, then write each
    Committee's semi-annual report for it as HTML and PDF (their paths are the last four lines
    printed).

    The half year is the most recent one that has ended (steps may not be dated in the future).
    Run it after `fieldwork up`; it can be run again (it adds new visits and meetings)."""
    try:
        _demo(Path(output_dir))
    except DemoStopped as stopped:
        click.echo(f"demo stopped: {stopped}", err=True)
        sys.exit(stopped.exit_code)


def _demo(output_dir: Path) -> None:
    began = time.monotonic()
    api = Api()
    year, half_number, first, last = last_completed_half(datetime.now(timezone.utc).date())
    half = HalfYear(first, last)
    for service in service_names(behind_console=True):
        health = api.get(service, "/health")
        if health.get("status") != "ok":
            raise DemoStopped(f"the {service} service is not healthy: {health}")
    before = api.get("reporting", "/status")["events_recorded"]
    click.echo(f"half year: {first.isoformat()} to {last.isoformat()} ({year} H{half_number}); "
               f"the reporting service has {before} events recorded")

    donors = register_donors(api, half)
    register_organizations(api, half)
    list_directory(api, half, donors)
    visits = run_visits(api, half, donors)
    by_status: dict[str, int] = {}
    for visit in visits:
        by_status[visit.view["status"]] = by_status.get(visit.view["status"], 0) + 1
    click.echo(f"visits: {len(visits)} ({', '.join(v.member_state for v in visits)}): "
               + ", ".join(f"{n} {s}" for s, n in sorted(by_status.items())))
    show_rules(api, visits, half)

    groups = prepare_groups(api, half)
    counter = run_meetings(api, half, groups)
    click.echo(f"meetings: {counter.held} held in {len(groups)} groups, {counter.cancelled} cancelled, "
               f"{counter.postponed} postponed; outcomes "
               + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counter.outcomes.items())
               + f"; {counter.late_documents} late documents, {counter.announced_after_start} announced after the "
               f"start, {counter.without_documents} without documents, "
               f"{counter.unreported} not reported, {counter.communicated} communicated, "
               f"{counter.open_meetings} open meeting; the Committee's decisions: "
               + ", ".join(f"{n} {k}" for k, n in sorted(counter.decisions.items())))

    target = before + api.events
    click.echo(f"reporting: waiting for the {api.events} events of the demo ({target} in all) ...")
    status = wait_for_reporting(api, target)
    dead = status.get("intake", {}).get("dead_lettered", 0)
    click.echo(f"reporting: {status['events_recorded']} events recorded, projection up to date"
               + (f"; {dead} dead letters (see `fieldwork reports dead-letters`)" if dead else ""))
    told(api)

    output_dir.mkdir(parents=True, exist_ok=True)
    order = ["visits conducted", "consent requested", "consent granted", "consent declined",
             "pre-visit information received late", "needs identified", "needs assessments shared",
             "meetings held", "outcomes logged", "reports to the Committee"]
    paths = []
    for committee, whose in (("ctc", "the CTC's (by CTED)"), ("1540", "the 1540 Committee's")):
        # each Committee's report of its own work: two Committees, two reports
        params = {"kind": "semi-annual", "committee": committee, "year": year, "half": half_number}
        figures = api.get("reporting", "/reports", {**params, "format": "json"})["key_figures"]
        names = [n for n in order if n in figures] + sorted(n for n in figures if n not in order)
        click.echo(f"key figures, {whose}: " + ", ".join(f"{name} {figures[name]}" for name in names))
        paths += [fetch_report(api, {**params, "format": fmt}, output_dir) for fmt in ("html", "pdf")]
    click.echo(f"done in {time.monotonic() - began:.1f} s; the semi-annual reports of the CTC and of the 1540 "
               "Committee (HTML, PDF):")
    for path in paths:
        click.echo(str(path))
