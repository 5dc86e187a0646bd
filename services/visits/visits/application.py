"""The visits service's use cases and queries: plain Python over the Visit and Donor aggregates.

Each use case is a named method that loads one aggregate, calls one of its commands and saves
it (one transaction, which also writes the notification log: the outbox); the service's
command table (``visits.commands``) says which use case each command runs. Queries read an in-memory index that catches up from
the notification log before answering, so every replica answers from what is stored.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Callable
from uuid import UUID, uuid4

from shared.domain import Context
from shared.contract.organizations import REFERENCE, Directory
from shared.contract.organizations import key as name_key
from shared.contract.organizations import Organization as DirectoryEntry
from shared.errors import InvalidInput, NotFound, RuleBroken
from shared.documents import received
from shared.store import AggregateIndex
from shared.store.files import FilesApplication
from visits.domain import Donor, Need, Recommendation, RegisteredOrganization, Visit
from visits.domain.matching import match_donors

class VisitsApplication(FilesApplication):
    name = "visits"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.index = AggregateIndex(self)

    # -- commands ------------------------------------------------------------------------

    def propose_visit(self, ctx: Context, *, visit_id: UUID | None = None, **proposal: Any) -> Visit:
        visit = Visit.propose(ctx, visit_id=visit_id or uuid4(), **proposal)
        self.store(visit)
        return visit

    def _step(self, visit_id: UUID, expected_version: int | None, command: Callable[[Visit], None]) -> Visit:
        return self.update(Visit, visit_id, expected_version, command)

    def approve(self, ctx: Context, visit_id: UUID, *, expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.approve(ctx))

    def request_consent(self, ctx: Context, visit_id: UUID, *, due_on: date | None = None,
                        expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.request_consent(ctx, due_on=due_on))

    def grant_consent(self, ctx: Context, visit_id: UUID, *, expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.grant_consent(ctx))

    def decline_consent(self, ctx: Context, visit_id: UUID, *, reason: str = "",
                        expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.decline_consent(ctx, reason=reason))

    def withdraw_consent(self, ctx: Context, visit_id: UUID, *, reason: str = "",
                         expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.withdraw_consent(ctx, reason=reason))

    def invite_organization(self, ctx: Context, visit_id: UUID, *, organization: str, kind: str | None = None,
                            expected_version: int | None = None) -> Visit:
        """An organization of the directory is invited under its name there, whichever of its
        names the user gave, and as the kind of organization the directory says it is."""
        listed = self.organization_in_the_directory(organization)
        if kind is not None and kind != listed.kind:
            raise RuleBroken("organization_kind_as_in_the_directory",
                             f"{listed.name} is {listed.kind.replace('_', ' ')} in the directory, not "
                             f"{kind.replace('_', ' ')} (leave the kind out)")
        return self._step(visit_id, expected_version,
                          lambda visit: visit.invite_organization(ctx, organization=listed.name, kind=listed.kind))

    def request_pre_visit_info(self, ctx: Context, visit_id: UUID, *, organization: str, due_on: date,
                               expected_version: int | None = None) -> Visit:
        organization = self._directory_name(organization)
        return self._step(visit_id, expected_version,
                          lambda visit: visit.request_pre_visit_info(ctx, organization=organization, due_on=due_on))

    def receive_pre_visit_info(self, ctx: Context, visit_id: UUID, *, organization: str, summary: str = "",
                               expected_version: int | None = None) -> Visit:
        organization = self._directory_name(organization)
        return self._step(visit_id, expected_version,
                          lambda visit: visit.receive_pre_visit_info(ctx, organization=organization, summary=summary))

    def schedule(self, ctx: Context, visit_id: UUID, *, starts_on: date, ends_on: date,
                 expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version,
                          lambda visit: visit.schedule(ctx, starts_on=starts_on, ends_on=ends_on))

    def start(self, ctx: Context, visit_id: UUID, *, expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.start(ctx))

    def complete(self, ctx: Context, visit_id: UUID, *, organizations_taking_part: list[str] | None = None,
                 team: list[str] | None = None, expected_version: int | None = None) -> Visit:
        """The organizations that took part are named by any of their names in the directory."""
        taking_part = [self._directory_name(o) for o in organizations_taking_part or []]
        return self._step(visit_id, expected_version, lambda visit: visit.complete(
            ctx, organizations_taking_part=taking_part, team=team))

    def record_needs_assessment(self, ctx: Context, visit_id: UUID, *, needs: list[dict | Need], summary: str = "",
                                expected_version: int | None = None) -> Visit:
        identified = [n if isinstance(n, Need) else Need(**n) for n in needs]
        return self._step(visit_id, expected_version,
                          lambda visit: visit.record_needs_assessment(ctx, needs=identified, summary=summary))

    def grant_sharing_consent(self, ctx: Context, visit_id: UUID, *, expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.grant_sharing_consent(ctx))

    def decline_sharing_consent(self, ctx: Context, visit_id: UUID, *, reason: str = "",
                                expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.decline_sharing_consent(ctx, reason=reason))

    def withdraw_sharing_consent(self, ctx: Context, visit_id: UUID, *, reason: str = "",
                                 expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.withdraw_sharing_consent(ctx, reason=reason))

    def share_needs_assessment(self, ctx: Context, visit_id: UUID, *, donor_id: UUID, need_ids: list[str],
                               expected_version: int | None = None) -> Visit:
        """Shared only with a registered donor: the donor registry is read first."""
        donor = self.find_donor(donor_id)
        return self._step(visit_id, expected_version, lambda visit: visit.share_needs_assessment(
            ctx, donor=donor, donor_id=donor_id, need_ids=need_ids))

    def attach_file(self, ctx: Context, visit_id: UUID, *, document_kind: str, content: bytes, language: str,
                    symbol: str = "", version: str | None = None, file_name: str = "",
                    expected_version: int | None = None) -> Visit:
        """A document of the visit as a file: checked (type, size) before anything, then kept
        with its event in one transaction (``shared.store.files``): both, or neither."""
        file = received(content, symbol=symbol, version=version, file_name=file_name, name_otherwise=document_kind)
        return self.update_with_file(Visit, visit_id, expected_version, file, lambda visit, metadata:
                                     visit.attach_file(ctx, document_kind=document_kind, language=language, **metadata))

    def record_follow_up(self, ctx: Context, visit_id: UUID, *, summary: str, results: str = "",
                         expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version,
                          lambda visit: visit.record_follow_up(ctx, summary=summary, results=results))

    def draft_report(self, ctx: Context, visit_id: UUID, *, summary: str, recommendations: list[dict | Recommendation],
                     expected_version: int | None = None) -> Visit:
        drafted = [r if isinstance(r, Recommendation) else Recommendation(**r) for r in recommendations]
        return self._step(visit_id, expected_version,
                          lambda visit: visit.draft_report(ctx, summary=summary, recommendations=drafted))

    def adopt_report(self, ctx: Context, visit_id: UUID, *, note: str = "", expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.adopt_report(ctx, note=note))

    def transmit_report(self, ctx: Context, visit_id: UUID, *, observations_due_on: date | None = None,
                        response_due_on: date | None = None, expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.transmit_report(
            ctx, observations_due_on=observations_due_on, response_due_on=response_due_on))

    def receive_state_answer(self, ctx: Context, visit_id: UUID, *, answer: str, summary: str = "",
                             expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version,
                          lambda visit: visit.receive_state_answer(ctx, answer=answer, summary=summary))

    def remind_state(self, ctx: Context, visit_id: UUID, *, answer: str, note: str = "",
                     expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.remind_state(ctx, answer=answer, note=note))

    def update_recommendation(self, ctx: Context, visit_id: UUID, *, recommendation_id: str, status: str,
                              evidence: str = "", expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.update_recommendation(
            ctx, recommendation_id=recommendation_id, status=status, evidence=evidence))

    def end_follow_up(self, ctx: Context, visit_id: UUID, *, summary: str, expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.end_follow_up(ctx, summary=summary))

    def close_visit(self, ctx: Context, visit_id: UUID, *, summary: str = "",
                    expected_version: int | None = None) -> Visit:
        # not ``close``: the library's Application.close closes the store
        return self._step(visit_id, expected_version, lambda visit: visit.close(ctx, summary=summary))

    def cancel(self, ctx: Context, visit_id: UUID, *, reason: str, expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.cancel(ctx, reason=reason))

    def postpone(self, ctx: Context, visit_id: UUID, *, reason: str, expected_version: int | None = None) -> Visit:
        return self._step(visit_id, expected_version, lambda visit: visit.postpone(ctx, reason=reason))

    def reset_due_date(self, ctx: Context, visit_id: UUID, *, awaited: str, due_on: date, organization: str = "",
                       expected_version: int | None = None) -> Visit:
        organization = self._directory_name(organization) if organization else organization
        return self._step(visit_id, expected_version, lambda visit: visit.reset_due_date(
            ctx, awaited=awaited, due_on=due_on, organization=organization))

    def register_donor(self, ctx: Context, *, donor_id: UUID | None = None, **registration: Any) -> Donor:
        donor = Donor(ctx=ctx, id=donor_id or uuid4(), **registration)
        self.store(donor)
        return donor

    def update_donor_interests(self, ctx: Context, donor_id: UUID, *, thematic_areas: list[str],
                               expected_version: int | None = None) -> Donor:
        return self.update(Donor, donor_id, expected_version,
                           lambda donor: donor.update_interests(ctx, thematic_areas=thematic_areas))

    def register_organization(self, ctx: Context, *, organization_id: UUID | None = None,
                              **registration: Any) -> RegisteredOrganization:
        """An organization is added to the directory once: none of its names (its name,
        abbreviations, other names) may already name another one, of the 2003 annex or
        registered; its id follows from its name, so two registrations at once store one."""
        unfindable = ["has neither letters nor digits to find it by"]
        nameless: dict[str, Any] = {"name": unfindable} if not name_key(registration["name"]) else {}
        for field in ("abbreviations", "also_known_as"):
            items = {i: unfindable for i, name in enumerate(registration.get(field) or []) if not name_key(name)}
            if items:
                nameless[field] = items
        if nameless:
            raise InvalidInput(nameless)
        ident = RegisteredOrganization.id_for(registration["name"])
        if organization_id is not None and organization_id != ident:
            raise InvalidInput({"organization_id": [
                f"an organization's id follows from its name: {ident} for {registration['name']!r}"]})
        organization = RegisteredOrganization(id=ident, ctx=ctx, **registration)
        clashes = self.organization_directory().clashes(organization.entry)
        taken = RuleBroken("organization_names_unique", "; ".join(
            f"{name!r} already names {other.name} ({other.listed_in})" for name, other in clashes))
        if clashes:
            raise taken
        try:
            self.store(organization)
        except RuleBroken as refused:
            if refused.rule == "ids_unique":  # another call stored it first
                raise RuleBroken("organization_names_unique", f"{registration['name']!r} is registered") from None
            raise
        return organization

    # -- queries --------------------------------------------------------------------------

    def organization_directory(self) -> Directory:
        """The organizations a visit may invite: the 2003 annex's and those registered."""
        return REFERENCE.adding(o.entry for o in self.index.all(RegisteredOrganization))

    def list_organizations(self, name: str | None = None) -> list[tuple[DirectoryEntry, RegisteredOrganization | None]]:
        """Every organization of the directory by name (or the one ``name`` names, if any),
        with its registration when the secretariat added it."""
        registered = {o.name: o for o in self.index.all(RegisteredOrganization)}
        directory = REFERENCE.adding(o.entry for o in registered.values())
        entries = list(directory) if name is None else [e for e in [directory.find(name)] if e is not None]
        return [(e, registered.get(e.name) if e.listed_in == "registered" else None) for e in entries]

    def organization_in_the_directory(self, name: str) -> DirectoryEntry:
        directory = self.organization_directory()
        listed = directory.find(name)
        if listed is None:
            near = directory.close_to(name)
            raise RuleBroken(
                "organizations_from_the_directory",
                f"{name!r} is not in the directory of organizations"
                + (f"; did you mean {' or '.join(repr(n) for n in near)}?" if near else "")
                + " (an organization not listed is registered first: POST /organizations)")
        return listed

    def _directory_name(self, name: str) -> str:
        """The directory's name for ``name``, else ``name`` as given."""
        listed = self.organization_directory().find(name)
        return listed.name if listed is not None else name

    def get_visit(self, visit_id: UUID) -> Visit:
        return self.load(Visit, visit_id)

    def get_donor(self, donor_id: UUID) -> Donor:
        return self.load(Donor, donor_id)

    def find_donor(self, donor_id: UUID) -> Donor | None:
        return self.index.find(Donor, donor_id)

    def list_visits(
        self,
        *,
        member_state: str | None = None,
        committee: str | None = None,
        status: str | None = None,
        waiting_for: str | None = None,
        overdue: bool = False,
        today: date | None = None,
    ) -> list[Visit]:
        """Visits filtered by State, committee, status; ``waiting_for`` (``state_consent``,
        ``pre_visit_info`` …) and ``overdue`` select what is awaited, or awaited past due."""
        today = today or datetime.now(timezone.utc).date()
        found = []
        for visit in self.index.all(Visit):
            if member_state and visit.member_state != member_state:
                continue
            if committee and visit.committee != committee:
                continue
            if status and visit.status != status:
                continue
            if waiting_for or overdue:
                waits = [
                    w for w in visit.waiting_for(today)
                    if (not waiting_for or w["what"] == waiting_for)
                    and (not overdue or w.get("overdue"))
                ]
                if not waits:
                    continue
            found.append(visit)
        return sorted(found, key=lambda v: (v.proposed_at, str(v.id)))

    def list_donors(self) -> list[Donor]:
        return sorted(self.index.all(Donor), key=lambda d: (d.name, str(d.id)))

    def shares_with(self, donor_id: UUID) -> list[tuple[Visit, dict]]:
        """What was shared with one donor, and nothing else: (visit, share) for each share."""
        return [(visit, share) for visit in self.list_visits() for share in visit.shares
                if share["donor_id"] == donor_id]

    def share_with(self, donor_id: UUID | None, share_id: UUID) -> tuple[Visit, dict, Donor | None]:
        """One share, for the donor it was shared with only (anyone else is told, as for a share
        that does not exist, that there is none); a revoked share is not delivered."""
        for visit, share in self.shares_with(donor_id) if donor_id else ():
            if share["share_id"] == share_id:
                if share["revoked_at"] is not None:
                    raise RuleBroken(
                        "revoked_share_is_not_delivered",
                        f"{visit.member_state} withdrew its consent to share on {share['revoked_at'].date()}",
                    )
                return visit, share, self.find_donor(share["donor_id"])
        raise NotFound("share", share_id)

    def donor_matches(self, visit_id: UUID) -> tuple[Visit, dict]:
        """The registered donors interested in each need of the visit's current needs
        assessment, and why (``match_donors``), each marked when it already holds a share of
        that version in force; the coordinator chooses whom to share with."""
        visit = self.get_visit(visit_id)
        matches = match_donors(visit.needs.values(), self.list_donors())
        shared = {
            share["donor_id"] for share in visit.shares
            if share["assessment_version"] == visit.assessment_version and share["revoked_at"] is None
        }
        for donor in matches["donors"]:
            donor["already_shared"] = donor["donor_id"] in shared
        return visit, matches

