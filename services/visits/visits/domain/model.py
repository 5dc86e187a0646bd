"""Country visits: the Visit aggregate and the donor registry.

Every rule here comes from the source documents (``shared/DOMAIN.md`` section 1): visits are
prepared and conducted only once the Committee approved them and "upon the consent" of the
State; organizations give their information "in advance"; a needs assessment reaches donors
only with the State's consent. Each public command checks its rule and raises ``RuleBroken``
naming it; the ``@event`` methods only assign (they re-run on every replay).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID, uuid5

from eventsourcing.domain import event

from shared.domain import Context, RecordedAggregate, committee_day, event_id, next_numbers, state_answers_due
from shared.contract import organizations
from shared.contract.vocabulary import THEMATIC_AREAS
from shared.documents import Version, admit
from shared.errors import RuleBroken


class Committee(StrEnum):
    CTC = "ctc"
    C1540 = "1540"


class Origin(StrEnum):
    COMMITTEE_SELECTION = "committee_selection"
    STATE_INVITATION = "state_invitation"


class VisitStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    AWAITING_CONSENT = "awaiting_consent"
    CONSENTED = "consented"
    DECLINED = "declined"
    SCHEDULED = "scheduled"
    POSTPONED = "postponed"
    IN_PROGRESS = "in_progress"
    CONDUCTED = "conducted"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class ConsentStatus(StrEnum):
    NOT_REQUESTED = "not_requested"
    REQUESTED = "requested"
    GRANTED = "granted"
    DECLINED = "declined"
    BY_INVITATION = "by_invitation"
    WITHDRAWN = "withdrawn"  # the State took back its consent (or invitation): ask it again


class SharingConsent(StrEnum):
    NONE = "none"
    GRANTED = "granted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


# How far a visit's start may be from its scheduled dates, either side (a day's tolerance).
START_TOLERANCE = timedelta(days=1)

ENDED = frozenset({VisitStatus.DECLINED, VisitStatus.CLOSED, VisitStatus.CANCELLED})
NOT_STARTED = frozenset(
    {
        VisitStatus.PROPOSED,
        VisitStatus.APPROVED,
        VisitStatus.AWAITING_CONSENT,
        VisitStatus.CONSENTED,
        VisitStatus.SCHEDULED,
        VisitStatus.POSTPONED,
    }
)
STARTED = frozenset({VisitStatus.IN_PROGRESS, VisitStatus.CONDUCTED})


@dataclass(frozen=True)
class Need:
    """One need identified during a visit (``need_id`` None: the visit numbers it)."""

    need_id: str | None
    thematic_area: str
    description: str
    priority: str  # high | medium | low

    def as_dict(self) -> dict:
        return {
            "need_id": self.need_id,
            "thematic_area": self.thematic_area,
            "description": self.description,
            "priority": self.priority,
        }


@dataclass(frozen=True)
class Recommendation:
    """One recommendation of a visit's report, and its implementation followed over time
    (``history``: each status with its evidence and when)."""

    recommendation_id: str
    thematic_area: str
    priority: str  # high | medium | low
    text: str
    due_on: date | None = None  # when it is to be implemented by, if the report says
    status: str = "not_started"  # RECOMMENDATION_STATUSES
    history: tuple[dict, ...] = ()

    @property
    def open(self) -> bool:
        return self.status in ("not_started", "in_progress")

    def as_dict(self) -> dict:
        return {"recommendation_id": self.recommendation_id, "thematic_area": self.thematic_area,
                "priority": self.priority, "text": self.text, "due_on": self.due_on}


@dataclass(frozen=True)
class StateAnswer:
    """An answer the State owes once the report is transmitted: due by ``due_on``."""

    due_on: date
    received_at: datetime | None = None
    days_late: int | None = None
    summary: str = ""
    reminded_at: tuple[datetime, ...] = ()


class Visit(RecordedAggregate):
    """A country visit of the CTC or the 1540 Committee, from proposal to closure."""

    kind = "visit"

    @classmethod
    def propose(
        cls,
        ctx: Context,
        *,
        visit_id: UUID,
        member_state: str,
        committee: str,
        origin: str = Origin.COMMITTEE_SELECTION,
        purpose: str = "",
    ) -> Visit:
        """The Committee selects a State to visit, or the State invites the visit (the 1540
        Committee's visits "at the invitation of States"; the CTC's too): an invitation counts
        as its consent."""
        return cls(
            ctx=ctx,
            member_state=member_state,
            committee=committee,
            origin=origin,
            purpose=purpose,
            id=visit_id,
        )

    @event("VisitProposed")
    def __init__(
        self, id: UUID, ctx: Context, member_state: str, committee: str, origin: str, purpose: str
    ) -> None:  # noqa: A002 - the library passes the aggregate id as ``id``
        self.member_state = member_state
        self.committee = committee
        self.origin = origin
        self.purpose = purpose
        self.proposed_at = ctx.occurred_at
        self.status = VisitStatus.PROPOSED
        self.approved_at: datetime | None = None
        self.consent = (
            ConsentStatus.BY_INVITATION
            if origin == Origin.STATE_INVITATION
            else ConsentStatus.NOT_REQUESTED
        )
        self.consent_requested_at: datetime | None = None
        self.consent_due_on: date | None = None
        self.consent_decided_at: datetime | None = None
        self.organizations: dict[str, dict] = {}
        self.starts_on: date | None = None
        self.ends_on: date | None = None
        self.started_at: datetime | None = None
        self.completed_at: datetime | None = None
        self.organizations_taking_part: list[str] = []  # of those invited, as recorded at completion
        self.team: list[str] = []  # the visiting team
        self.needs: dict[str, Need] = {}
        self.needs_ever_named: set[str] = set()  # by any version of the assessment
        self.assessment_version = 0
        self.assessment_summary = ""
        self.assessment_recorded_at: datetime | None = None
        self.sharing_consent = SharingConsent.NONE
        self.sharing_consent_version: int | None = None
        # which version of the needs assessment the consent in force covers: a new version
        # needs the State's consent again
        self.sharing_consent_assessment: int | None = None
        self.sharing_consent_granted_at: datetime | None = None
        self.sharing_consent_event_id: UUID | None = None  # the event of the consent in force
        self.shares: list[dict] = []
        self.files: list[dict] = []  # its documents as files (shared.documents), as their events recorded them
        self.follow_ups: list[dict] = []
        # the visit's report and its follow-up (which outlives the field stage: ``close``)
        self.report_draft = 0  # the number of the latest draft; 0 before any
        self.report_summary = ""
        self.recommendations: dict[str, Recommendation] = {}
        self.report_drafted_at: datetime | None = None
        self.report_adopted_at: datetime | None = None
        self.report_transmitted_at: datetime | None = None
        self.state_answers: dict[str, StateAnswer] = {}  # observations, response: once transmitted
        self.follow_up_ended_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.ended_reason = ""
        self.postponements = 0
        self.postponed_dates: list[dict] = []  # each postponement: when, why, the dates it gave up

    # -- helpers -------------------------------------------------------------------------

    def _require_open(self, *, closed_too: bool = False) -> None:
        """The visit has not ended; with ``closed_too``, a closed visit whose follow-up goes on
        counts as open (its report, the State's answers, donors who come forward later)."""
        if closed_too and self.status == VisitStatus.CLOSED and self.follow_up_ended_at is None:
            return
        if self.status in ENDED:
            raise RuleBroken(
                "ended_visit_cannot_change",
                f"the visit to {self.member_state} is {self.status}"
                + ("; its follow-up ended too" if self.follow_up_ended_at else "")
                + "; nothing more can happen to it",
            )

    def _require_own_areas(self, areas: set[str]) -> None:
        """Thematic areas (of needs, of recommendations) are the visit's Committee's own."""
        foreign = sorted(areas - set(THEMATIC_AREAS[self.committee]))
        if foreign:
            raise RuleBroken(
                "thematic_areas_of_the_visits_committee",
                f"{', '.join(foreign)} is not a thematic area of the {self.committee} Committee",
            )

    def _require_approved(self, step: str) -> None:
        self._require_open()
        if self.approved_at is None:
            raise RuleBroken(
                "only_approved_visits_are_prepared",
                f"the Committee has not approved the visit to {self.member_state}; cannot {step}",
            )

    @property
    def has_consent(self) -> bool:
        return self.consent in (ConsentStatus.GRANTED, ConsentStatus.BY_INVITATION)

    # -- approval and consent --------------------------------------------------------------

    def approve(self, ctx: Context) -> None:
        """Only approved visits are prepared and conducted."""
        self._require_open()
        if self.approved_at is not None:
            raise RuleBroken("visit_approved_once", "the visit is already approved")
        self._approve(ctx)

    @event("VisitApproved")
    def _approve(self, ctx: Context) -> None:
        self.approved_at = ctx.occurred_at
        if self.status == VisitStatus.PROPOSED:  # a postponed visit stays postponed
            self.status = VisitStatus.CONSENTED if self.has_consent else VisitStatus.APPROVED

    def request_consent(self, ctx: Context, *, due_on: date | None = None) -> None:
        """Visits happen "upon the consent" of the State: it is asked once the visit is approved."""
        self._require_approved("ask the State's consent")
        if self.consent == ConsentStatus.BY_INVITATION:
            raise RuleBroken(
                "invitation_counts_as_consent",
                f"{self.member_state} invited the visit; its invitation is its consent",
            )
        if self.consent not in (ConsentStatus.NOT_REQUESTED, ConsentStatus.WITHDRAWN):
            raise RuleBroken("consent_requested_once", f"consent is already {self.consent}")
        self._request_consent(ctx, due_on)

    @event("ConsentRequested")
    def _request_consent(self, ctx: Context, due_on: date | None) -> None:
        self.consent = ConsentStatus.REQUESTED
        self.consent_requested_at = ctx.occurred_at
        self.consent_due_on = due_on
        self.status = VisitStatus.AWAITING_CONSENT

    def _require_consent_pending(self) -> None:
        self._require_open()
        if self.consent != ConsentStatus.REQUESTED:
            raise RuleBroken(
                "consent_answers_a_request",
                f"the State's consent is {self.consent}, not awaited",
            )

    def grant_consent(self, ctx: Context) -> None:
        """The State consents to the visit."""
        self._require_consent_pending()
        self._grant_consent(ctx)

    @event("ConsentGranted")
    def _grant_consent(self, ctx: Context) -> None:
        self.consent = ConsentStatus.GRANTED
        self.consent_decided_at = ctx.occurred_at
        self.status = VisitStatus.CONSENTED

    def withdraw_consent(self, ctx: Context, *, reason: str = "") -> None:
        """The State takes back its consent (or its invitation) before the visit started: the
        visit is not prepared further without it; its dates, if fixed, are given up; its
        consent may be asked again."""
        self._require_open()
        if not self.has_consent:
            raise RuleBroken("consent_withdrawn_once_given", f"the State's consent is {self.consent}, not given")
        if self.status not in NOT_STARTED:
            raise RuleBroken("consent_withdrawn_before_the_visit", f"the visit is {self.status}: it has started")
        self._withdraw_consent(ctx, reason, self.starts_on, self.ends_on)

    @event("ConsentWithdrawn")
    def _withdraw_consent(self, ctx: Context, reason: str, starts_on: date | None, ends_on: date | None) -> None:
        self.consent = ConsentStatus.WITHDRAWN
        self.consent_decided_at = ctx.occurred_at
        self.starts_on = None
        self.ends_on = None
        if self.status != VisitStatus.POSTPONED:
            self.status = VisitStatus.APPROVED if self.approved_at is not None else VisitStatus.PROPOSED

    def decline_consent(self, ctx: Context, *, reason: str = "") -> None:
        """The State declines: that ends the visit."""
        self._require_consent_pending()
        self._decline_consent(ctx, reason)

    @event("ConsentDeclined")
    def _decline_consent(self, ctx: Context, reason: str) -> None:
        self.consent = ConsentStatus.DECLINED
        self.consent_decided_at = ctx.occurred_at
        self.status = VisitStatus.DECLINED
        self.ended_reason = reason

    # -- organizations and their pre-visit information --------------------------------------

    def invite_organization(self, ctx: Context, *, organization: str, kind: str) -> None:
        """International, regional and subregional organizations and UN bodies take part."""
        self._require_approved("invite organizations")
        if self.status not in NOT_STARTED:
            raise RuleBroken(
                "organizations_invited_before_the_visit",
                "organizations are invited while the visit is prepared, not once it started",
            )
        invited = next((name for name in self.organizations if organizations.same(name, organization)), None)
        if invited is not None:
            raise RuleBroken(
                "organization_invited_once", f"{invited} is already invited to this visit"
            )
        self._invite_organization(ctx, organization, kind)

    @event("OrganizationInvited")
    def _invite_organization(self, ctx: Context, organization: str, kind: str) -> None:
        self.organizations[organization] = {
            "kind": kind,
            "invited_at": ctx.occurred_at,
            "info_requested_at": None,
            "info_due_on": None,
            "info_received_at": None,
            "info_late": None,
            "info_after_due_date": None,
        }

    def _invited(self, organization: str) -> str:
        """The name an invited organization was invited under, found by any of its names (an
        invitation recorded under another name of it, before the directory, included)."""
        if organization in self.organizations:
            return organization
        for name in self.organizations:
            if organizations.same(name, organization):
                return name
        raise RuleBroken(
            "pre_visit_info_only_from_invited_organizations",
            f"{organization} was not invited to this visit",
        )

    def request_pre_visit_info(self, ctx: Context, *, organization: str, due_on: date) -> None:
        """Pre-visit information is asked only of invited organizations, with a due date."""
        self._require_open()
        organization = self._invited(organization)
        org = self.organizations[organization]
        if self.status in STARTED:
            raise RuleBroken(
                "pre_visit_info_requested_before_the_visit",
                "pre-visit information is asked for before the visit starts",
            )
        if org["info_requested_at"] is not None:
            raise RuleBroken(
                "pre_visit_info_requested_once",
                f"pre-visit information was already asked of {organization}",
            )
        self._request_pre_visit_info(ctx, organization, due_on)

    @event("PreVisitInfoRequested")
    def _request_pre_visit_info(self, ctx: Context, organization: str, due_on: date) -> None:
        org = self.organizations[organization]
        org["info_requested_at"] = ctx.occurred_at
        org["info_due_on"] = due_on

    def receive_pre_visit_info(self, ctx: Context, *, organization: str, summary: str = "") -> None:
        """Information is given "in advance": what arrives after the visit started is accepted
        but marked late."""
        self._require_open()
        organization = self._invited(organization)
        org = self.organizations[organization]
        if org["info_requested_at"] is None:
            raise RuleBroken(
                "pre_visit_info_received_after_request",
                f"no pre-visit information was asked of {organization}",
            )
        if org["info_received_at"] is not None:
            raise RuleBroken(
                "pre_visit_info_received_once",
                f"pre-visit information from {organization} was already received",
            )
        late = self.started_at is not None and ctx.occurred_at >= self.started_at
        after_due = ctx.occurred_at.date() > org["info_due_on"]
        self._receive_pre_visit_info(ctx, organization, summary, late, after_due)

    @event("PreVisitInfoReceived")
    def _receive_pre_visit_info(
        self, ctx: Context, organization: str, summary: str, late: bool, after_due_date: bool
    ) -> None:
        org = self.organizations[organization]
        org["info_received_at"] = ctx.occurred_at
        org["info_late"] = late
        org["info_after_due_date"] = after_due_date

    # -- dates, start, completion --------------------------------------------------------------

    def schedule(self, ctx: Context, *, starts_on: date, ends_on: date) -> None:
        """Dates are fixed only once the State has consented."""
        self._require_approved("fix dates")
        if not self.has_consent:
            raise RuleBroken(
                "schedule_requires_consent", f"{self.member_state} has not consented to the visit"
            )
        if self.status in STARTED:
            raise RuleBroken("schedule_before_start", "the visit has already started")
        if ends_on < starts_on:
            raise RuleBroken("visit_ends_after_it_starts", "ends_on is before starts_on")
        fixed_on = committee_day(ctx.occurred_at, self.committee)
        if starts_on < fixed_on:
            raise RuleBroken(
                "visit_dates_not_in_the_past",
                f"dates fixed on {fixed_on} cannot start on {starts_on}, before that day",
            )
        self._schedule(ctx, starts_on, ends_on)

    @event("VisitScheduled")
    def _schedule(self, ctx: Context, starts_on: date, ends_on: date) -> None:
        self.starts_on = starts_on
        self.ends_on = ends_on
        self.status = VisitStatus.SCHEDULED

    def start(self, ctx: Context) -> None:
        """A visit starts on the dates fixed with the State (a day either side, in the
        Committee's time zone); on another day it is rescheduled first."""
        self._require_open()
        if self.status != VisitStatus.SCHEDULED:
            raise RuleBroken(
                "start_requires_schedule",
                f"the visit is {self.status}; only a scheduled visit starts",
            )
        day = committee_day(ctx.occurred_at, self.committee)
        if not self.starts_on - START_TOLERANCE <= day <= self.ends_on + START_TOLERANCE:
            raise RuleBroken(
                "visit_starts_on_its_dates",
                f"the visit is scheduled for {self.starts_on} to {self.ends_on}; it cannot start on {day} "
                "(a day either side at most): fix its dates again first",
            )
        self._start(ctx)

    @event("VisitStarted")
    def _start(self, ctx: Context) -> None:
        self.started_at = ctx.occurred_at
        self.status = VisitStatus.IN_PROGRESS

    def complete(self, ctx: Context, *, organizations_taking_part: list[str] | None = None,
                 team: list[str] | None = None) -> None:
        """The visit ends; the invited organizations that took part in it, and the visiting
        team, are recorded (an organization not invited did not take part as invited)."""
        self._require_open()
        if self.status != VisitStatus.IN_PROGRESS:
            raise RuleBroken(
                "complete_requires_started_visit", f"the visit is {self.status}, not in progress"
            )
        if ctx.occurred_at < self.started_at:
            raise RuleBroken("visit_ends_after_it_starts", "completion is before the start")
        taking_part = list(dict.fromkeys(organizations_taking_part or []))
        uninvited = [o for o in taking_part if o not in self.organizations]
        if uninvited:
            raise RuleBroken("organizations_taking_part_were_invited",
                             f"{', '.join(uninvited)} {'was' if len(uninvited) == 1 else 'were'} not invited "
                             f"(invited: {', '.join(sorted(self.organizations)) or 'none'})")
        self._complete(ctx, taking_part, list(dict.fromkeys(team or [])))

    @event("VisitCompleted")
    def _complete(self, ctx: Context, organizations_taking_part: list[str], team: list[str]) -> None:
        self.completed_at = ctx.occurred_at
        self.status = VisitStatus.CONDUCTED
        self.organizations_taking_part = organizations_taking_part
        self.team = team

    # -- needs assessment and donors ---------------------------------------------------------

    def record_needs_assessment(self, ctx: Context, *, needs: list[Need], summary: str = "") -> None:
        """Needs and priorities are identified for the visit: before it (a desk assessment,
        once the visit is approved) and during and after it, each recording a new version of the
        assessment that replaces the needs; a need's thematic area is one of the visit's
        Committee's own."""
        self._require_approved("assess its needs")
        self._require_own_areas({n.thematic_area for n in needs})
        if not needs:
            raise RuleBroken("needs_assessment_names_needs", "a needs assessment lists at least one need")
        ids = [n.need_id for n in needs if n.need_id is not None]
        if len(set(ids)) != len(ids):
            raise RuleBroken("need_ids_unique", "two needs share one need_id")
        needs = self._numbered(needs)
        self._record_needs_assessment(
            ctx, [n.as_dict() for n in needs], summary, self.assessment_version + 1
        )

    def _numbered(self, needs: list[Need]) -> list[Need]:
        """The needs, each without an id given the next number (N1, N2, ...) after those this
        visit's assessments used (a need of an earlier version keeps its id when it is given
        again; a new one never takes the id of one dropped)."""
        unnamed = [n for n in needs if n.need_id is None]
        fresh = iter(next_numbers("N", {*self.needs_ever_named, *(n.need_id for n in needs if n.need_id)}, len(unnamed)))
        return [n if n.need_id is not None else replace(n, need_id=next(fresh)) for n in needs]

    @event("NeedsAssessmentRecorded")
    def _record_needs_assessment(
        self, ctx: Context, needs: list[dict], summary: str, assessment_version: int
    ) -> None:
        self.needs = {n["need_id"]: Need(**n) for n in needs}
        self.needs_ever_named |= set(self.needs)
        self.assessment_version = assessment_version
        self.assessment_summary = summary
        self.assessment_recorded_at = ctx.occurred_at

    def _require_assessment(self) -> None:
        self._require_open(closed_too=True)  # a donor may come forward after the visit closed
        if not self.needs:
            raise RuleBroken(
                "sharing_consent_concerns_a_needs_assessment",
                "no needs assessment has been recorded for this visit",
            )

    def grant_sharing_consent(self, ctx: Context) -> None:
        """The State consents to share its needs assessment with donors (separate from the
        visit consent). The consent covers the version of the assessment recorded when it is
        given; a later version needs the State's consent again."""
        self._require_assessment()
        if self.sharing_consent_in_force:
            raise RuleBroken(
                "sharing_consent_already_in_force",
                f"sharing consent is already granted for version {self.assessment_version} of the needs assessment",
            )
        self._grant_sharing_consent(ctx)

    @event("DonorSharingConsentGranted")
    def _grant_sharing_consent(self, ctx: Context) -> None:
        self.sharing_consent = SharingConsent.GRANTED
        self.sharing_consent_version = self.version + 1
        self.sharing_consent_event_id = event_id(self.id, self.version + 1, ctx.command_id)
        self.sharing_consent_assessment = self.assessment_version
        self.sharing_consent_granted_at = ctx.occurred_at

    @property
    def sharing_consent_in_force(self) -> bool:
        """Consent is granted and covers the needs assessment as it now stands."""
        return (
            self.sharing_consent == SharingConsent.GRANTED
            and self.sharing_consent_assessment == self.assessment_version
        )

    def decline_sharing_consent(self, ctx: Context, *, reason: str = "") -> None:
        self._require_assessment()
        if self.sharing_consent == SharingConsent.GRANTED:
            raise RuleBroken(
                "decline_only_without_consent_in_force",
                "sharing consent is in force: the State withdraws it rather than declining",
            )
        if self.sharing_consent == SharingConsent.DECLINED:
            raise RuleBroken("sharing_consent_declined_once", "the State has already declined to share")
        self._decline_sharing_consent(ctx, reason)

    @event("DonorSharingConsentDeclined")
    def _decline_sharing_consent(self, ctx: Context, reason: str) -> None:
        self.sharing_consent = SharingConsent.DECLINED
        self.sharing_consent_version = None
        self.sharing_consent_event_id = None

    @event("DonorSharingConsentWithdrawn")
    def _withdraw_sharing_consent(self, ctx: Context, reason: str) -> None:
        self.sharing_consent = SharingConsent.WITHDRAWN
        self.sharing_consent_version = None
        self.sharing_consent_event_id = None
        self.sharing_consent_assessment = None
        self.sharing_consent_granted_at = None

    def withdraw_sharing_consent(self, ctx: Context, *, reason: str = "") -> None:
        """A withdrawal stops any later sharing, and every donor that received a share gets a
        revocation notice (one ``needs_assessment_share_revoked`` event per share). The
        consent is the State's: it can be withdrawn after the visit was closed too."""
        if self.sharing_consent != SharingConsent.GRANTED:
            raise RuleBroken(
                "withdraw_consent_in_force", f"sharing consent is {self.sharing_consent}, not in force"
            )
        self._withdraw_sharing_consent(ctx, reason)
        for share in self.shares:
            if share["revoked_at"] is None:
                self._revoke_share(
                    ctx, share["donor_id"], share["donor_name"], share["share_version"], reason
                )

    @event("NeedsAssessmentShareRevoked")
    def _revoke_share(
        self, ctx: Context, donor_id: UUID, donor_name: str, share_version: int, reason: str
    ) -> None:
        for share in self.shares:
            if share["share_version"] == share_version:
                share["revoked_at"] = ctx.occurred_at
                share["revoked_reason"] = reason
                share["revocation_version"] = self.version + 1
                share["revocation_event_id"] = event_id(self.id, self.version + 1, ctx.command_id)

    def share_needs_assessment(
        self, ctx: Context, *, donor: Donor | None, donor_id: UUID, need_ids: list[str]
    ) -> None:
        """Shared only under a sharing consent in force, only with registered donors, only
        needs that exist. ``donor`` is the registered donor, or None if there is none; after
        the visit closed too, while its follow-up goes on (a donor that comes forward later)."""
        self._require_open(closed_too=True)
        if self.sharing_consent != SharingConsent.GRANTED:
            raise RuleBroken(
                "sharing_requires_consent_in_force",
                f"{self.member_state}'s consent to share is {self.sharing_consent}",
            )
        if not self.sharing_consent_in_force:
            raise RuleBroken(
                "sharing_consent_covers_the_version_shared",
                f"{self.member_state} consented to share version {self.sharing_consent_assessment} "
                f"of the needs assessment, not version {self.assessment_version}: ask its consent again",
            )
        if donor is None:
            raise RuleBroken(
                "share_only_with_registered_donors", f"no registered donor with id {donor_id}"
            )
        if not need_ids:
            raise RuleBroken("share_only_existing_needs", "name at least one need to share")
        held = {n for s in self.shares if s["donor_id"] == donor_id and s["revoked_at"] is None
                and s["assessment_version"] == self.assessment_version for n in s["need_ids"]}
        again = sorted(set(need_ids) & held)
        if again:
            raise RuleBroken("need_shared_once_with_a_donor",
                             f"{', '.join(again)} already shared with {donor.name} (this version of the assessment)")
        unknown = [n for n in need_ids if n not in self.needs]
        if unknown:
            raise RuleBroken(
                "share_only_existing_needs",
                f"the needs assessment has no need {', '.join(map(str, unknown))}",
            )
        self._share(
            ctx, donor_id, donor.name, list(need_ids), self.assessment_version,
            self.sharing_consent_version,
        )

    @event("NeedsAssessmentShared")
    def _share(
        self,
        ctx: Context,
        donor_id: UUID,
        donor_name: str,
        need_ids: list[str],
        assessment_version: int,
        consent_version: int,
    ) -> None:
        self.shares.append(
            {
                "donor_id": donor_id,
                "donor_name": donor_name,
                "need_ids": need_ids,
                # what the donor received: the needs as they stood when shared
                "needs": [self.needs[n].as_dict() for n in need_ids],
                "assessment_version": assessment_version,
                "consent_version": consent_version,
                "consent_granted_at": self.sharing_consent_granted_at,
                "assessment_summary": self.assessment_summary,
                "shared_at": ctx.occurred_at,
                # the share's own event (its version in the visit's stream, and its id)
                "share_version": self.version + 1,
                "share_id": event_id(self.id, self.version + 1, ctx.command_id),
                "consent_event_id": self.sharing_consent_event_id,
                "revoked_at": None,
                "revoked_reason": "",
                "revocation_version": None,
            }
        )

    # -- its documents as files ---------------------------------------------------------------

    def attach_file(self, ctx: Context, *, document_kind: str, version: str, language: str, symbol: str,
                    file_name: str, media_type: str, size: int, sha256: str) -> None:
        """A document of the visit, as a file: its needs assessment, once one is recorded
        (``needs_assessment_file_follows_its_record``; the file belongs to the version of the
        assessment recorded then), or the State's consent letter, once the State answered
        (``consent_letter_follows_the_states_answer``); each version in one official language
        under one symbol (``shared.documents.admit``)."""
        self._require_open(closed_too=True)
        assessment_version = None
        if document_kind == "needs_assessment":
            if not self.needs:
                raise RuleBroken("needs_assessment_file_follows_its_record",
                                 "no needs assessment is recorded for this visit: record it first")
            assessment_version = self.assessment_version
        elif self.consent in (ConsentStatus.NOT_REQUESTED, ConsentStatus.REQUESTED):
            raise RuleBroken("consent_letter_follows_the_states_answer",
                             f"{self.member_state}'s consent is {self.consent}: record the State's answer first")
        parsed = Version.parse(version)
        symbol = admit(self.files, document=document_kind, version=parsed, language=language, symbol=symbol)
        self._attach_file(ctx, document_kind, symbol, parsed.label, language, file_name, media_type, size, sha256,
                          assessment_version)

    @event("VisitFileAttached")
    def _attach_file(self, ctx: Context, document_kind: str, symbol: str, version: str, language: str,
                     file_name: str, media_type: str, size: int, sha256: str, assessment_version: int | None) -> None:
        self.files.append({"document": document_kind, "symbol": symbol, "version": version, "language": language,
                           "file_name": file_name, "media_type": media_type, "size": size, "sha256": sha256,
                           "assessment_version": assessment_version, "attached_at": ctx.occurred_at})

    def file_open_to_donor(self, file: dict, donor_id: UUID) -> bool:
        """What a donor may read of the visit's files, as of what was shared with it: a needs
        assessment's file, while the State's consent to share stands and a share with that donor
        of the version of the assessment the file belongs to is not revoked; nothing else."""
        return (file["document"] == "needs_assessment" and self.sharing_consent == SharingConsent.GRANTED
                and any(share["donor_id"] == donor_id and share["revoked_at"] is None
                        and share["assessment_version"] == file["assessment_version"] for share in self.shares))

    # -- follow-up, closure, cancellation, postponement -------------------------------------------

    def _require_conducted(self, rule: str, step: str) -> None:
        self._require_open()
        if self.status != VisitStatus.CONDUCTED:
            raise RuleBroken(rule, f"the visit is {self.status}; {step} only after it was conducted")

    def _require_follow_up(self, step: str) -> None:
        """Follow-up comes once the visit was conducted, before or after it is closed (closing
        ends its field stage), until the follow-up itself ends."""
        self._require_open(closed_too=True)
        if self.status not in (VisitStatus.CONDUCTED, VisitStatus.CLOSED):
            raise RuleBroken("follow_up_requires_conducted_visit",
                             f"the visit is {self.status}; {step} only after it was conducted")

    def record_follow_up(self, ctx: Context, *, summary: str, results: str = "") -> None:
        """Results are assessed and the Committee updated on follow-up to previous visits: after
        the visit, before or after its closure."""
        self._require_follow_up("follow-up is recorded")
        self._record_follow_up(ctx, summary, results)

    @event("FollowUpRecorded")
    def _record_follow_up(self, ctx: Context, summary: str, results: str) -> None:
        self.follow_ups.append({"summary": summary, "results": results, "at": ctx.occurred_at})

    def close(self, ctx: Context, *, summary: str = "") -> None:
        """Closing ends the visit's field stage, not its follow-up (``end_follow_up``)."""
        self._require_conducted("close_requires_conducted_visit", "a visit is closed")
        self._close(ctx, summary)

    @event("VisitClosed")
    def _close(self, ctx: Context, summary: str) -> None:
        self.closed_at = ctx.occurred_at
        self.status = VisitStatus.CLOSED

    # -- the visit's report, the State's answers, the recommendations followed --------------------

    def draft_report(self, ctx: Context, *, summary: str, recommendations: list[Recommendation]) -> None:
        """The report of a conducted visit is drafted with its recommendations (each in one of
        the Committee's thematic areas); drafted again, it replaces the draft, until adopted."""
        self._require_follow_up("its report is drafted")
        if self.report_adopted_at is not None:
            raise RuleBroken("report_drafted_until_adopted",
                             f"the Committee adopted draft {self.report_draft} of the report; it is not drafted again")
        self._require_own_areas({r.thematic_area for r in recommendations})
        ids = [r.recommendation_id for r in recommendations]
        if len(set(ids)) != len(ids):
            raise RuleBroken("recommendation_ids_unique", "two recommendations share one recommendation_id")
        self._draft_report(ctx, summary, [r.as_dict() for r in recommendations], self.report_draft + 1)

    @event("VisitReportDrafted")
    def _draft_report(self, ctx: Context, summary: str, recommendations: list[dict], draft: int) -> None:
        self.report_draft = draft
        self.report_summary = summary
        self.recommendations = {r["recommendation_id"]: Recommendation(**r) for r in recommendations}
        self.report_drafted_at = ctx.occurred_at

    def adopt_report(self, ctx: Context, *, note: str = "") -> None:
        """The Committee adopts the report as last drafted."""
        self._require_follow_up("its report is adopted")
        if not self.report_draft:
            raise RuleBroken("report_adopted_once_drafted", "the visit's report has not been drafted")
        if self.report_adopted_at is not None:
            raise RuleBroken("report_adopted_once", f"the report was adopted on {self.report_adopted_at:%Y-%m-%d}")
        self._adopt_report(ctx, self.report_draft, note)

    @event("VisitReportAdopted")
    def _adopt_report(self, ctx: Context, draft: int, note: str) -> None:
        self.report_adopted_at = ctx.occurred_at

    def transmit_report(self, ctx: Context, *, observations_due_on: date | None = None,
                        response_due_on: date | None = None) -> None:
        """The adopted report goes to the State, which owes its factual observations and its
        response on implementation by the dates given, else by the Committee's settings
        (``shared.domain.state_answers_due``: 30 days, six months)."""
        self._require_follow_up("its report is transmitted")
        if self.report_adopted_at is None:
            raise RuleBroken("report_transmitted_once_adopted", "the Committee has not adopted the report")
        if self.report_transmitted_at is not None:
            raise RuleBroken("report_transmitted_once",
                             f"the report was transmitted on {self.report_transmitted_at:%Y-%m-%d}")
        today = committee_day(ctx.occurred_at, self.committee)
        usual = state_answers_due(self.committee, today)
        observations_due_on, response_due_on = observations_due_on or usual[0], response_due_on or usual[1]
        if not today < observations_due_on <= response_due_on:
            raise RuleBroken("state_answers_due_after_transmission",
                             f"transmitted on {today}, the observations cannot be due on {observations_due_on} "
                             f"and the response on {response_due_on}: both after it, the response not before them")
        self._transmit_report(ctx, observations_due_on, response_due_on)

    @event("VisitReportTransmitted")
    def _transmit_report(self, ctx: Context, observations_due_on: date, response_due_on: date) -> None:
        self.report_transmitted_at = ctx.occurred_at
        self.state_answers = {"observations": StateAnswer(observations_due_on), "response": StateAnswer(response_due_on)}

    def _awaited(self, answer: str, step: str) -> StateAnswer:
        self._require_follow_up(step)
        if self.report_transmitted_at is None:
            raise RuleBroken("state_answers_after_transmission",
                             "the report has not been transmitted to the State: it owes no answer yet")
        awaited = self.state_answers[answer]
        if awaited.received_at is not None:
            raise RuleBroken("state_answer_received_once",
                             f"the State's {answer} arrived on {awaited.received_at:%Y-%m-%d}")
        return awaited

    def receive_state_answer(self, ctx: Context, *, answer: str, summary: str = "") -> None:
        """The State's observations or response arrived; how many days late is recorded (days in
        the Committee's time zone), not refused."""
        awaited = self._awaited(answer, f"the State's {answer} are received")
        late = max(0, (committee_day(ctx.occurred_at, self.committee) - awaited.due_on).days)
        self._receive_state_answer(ctx, answer, summary, awaited.due_on, late)

    @event("StateAnswerReceived")
    def _receive_state_answer(self, ctx: Context, answer: str, summary: str, due_on: date, days_late: int) -> None:
        self.state_answers[answer] = replace(self.state_answers[answer], received_at=ctx.occurred_at,
                                             days_late=days_late, summary=summary)

    def remind_state(self, ctx: Context, *, answer: str, note: str = "") -> None:
        """The State is reminded of an answer it still owes (before or after its due date)."""
        awaited = self._awaited(answer, "the State is reminded")
        self._remind_state(ctx, answer, awaited.due_on, note)

    @event("StateReminded")
    def _remind_state(self, ctx: Context, answer: str, due_on: date, note: str) -> None:
        answered = self.state_answers[answer]
        self.state_answers[answer] = replace(answered, reminded_at=(*answered.reminded_at, ctx.occurred_at))

    def update_recommendation(self, ctx: Context, *, recommendation_id: str, status: str, evidence: str = "") -> None:
        """A recommendation of the adopted report is followed: its implementation status, with
        the evidence, over time."""
        self._require_follow_up("a recommendation is followed")
        if self.report_adopted_at is None:
            raise RuleBroken("recommendations_followed_once_adopted",
                             "the Committee has not adopted the report: its recommendations may still change")
        recommendation = self.recommendations.get(recommendation_id)
        if recommendation is None:
            raise RuleBroken("recommendation_of_the_report",
                             f"the report has no recommendation {recommendation_id!r} "
                             f"(it has {', '.join(sorted(self.recommendations)) or 'none'})")
        if recommendation.status == status:
            raise RuleBroken("recommendation_status_changes", f"{recommendation_id} is already {status}")
        self._update_recommendation(ctx, recommendation_id, status, recommendation.status, evidence)

    @event("RecommendationStatusUpdated")
    def _update_recommendation(self, ctx: Context, recommendation_id: str, status: str, previous_status: str,
                               evidence: str) -> None:
        recommendation = self.recommendations[recommendation_id]
        self.recommendations[recommendation_id] = replace(
            recommendation, status=status,
            history=(*recommendation.history, {"status": status, "evidence": evidence, "at": ctx.occurred_at}))

    def end_follow_up(self, ctx: Context, *, summary: str) -> None:
        """The follow-up ends, after the visit was closed: nothing more is followed or shared."""
        self._require_follow_up("its follow-up ends")
        if self.status != VisitStatus.CLOSED:
            raise RuleBroken("follow_up_ends_after_closure", f"the visit is {self.status}: close it first")
        self._end_follow_up(ctx, summary)

    @event("FollowUpEnded")
    def _end_follow_up(self, ctx: Context, summary: str) -> None:
        self.follow_up_ended_at = ctx.occurred_at

    def cancel(self, ctx: Context, *, reason: str) -> None:
        """A visit not yet conducted can be called off."""
        self._require_open()
        if self.status == VisitStatus.CONDUCTED:
            raise RuleBroken(
                "conducted_visit_cannot_be_cancelled", "the visit took place; close it instead"
            )
        self._cancel(ctx, reason)

    @event("VisitCancelled")
    def _cancel(self, ctx: Context, reason: str) -> None:
        self.status = VisitStatus.CANCELLED
        self.ended_reason = reason

    def postpone(self, ctx: Context, *, reason: str) -> None:
        """A visit not yet started can be put off; its dates are fixed again later. The dates it
        gives up are kept in the event (and ``postponed_dates``)."""
        self._require_open()
        if self.status not in NOT_STARTED:
            raise RuleBroken(
                "postpone_before_start", f"the visit is {self.status}; only a visit not yet started is postponed"
            )
        if self.status == VisitStatus.POSTPONED:
            raise RuleBroken("visit_already_postponed", "the visit is already postponed")
        self._postpone(ctx, reason, self.starts_on, self.ends_on)

    @event("VisitPostponed")
    def _postpone(self, ctx: Context, reason: str, starts_on: date | None, ends_on: date | None) -> None:
        self.postponed_dates.append({"postponed_at": ctx.occurred_at, "reason": reason,
                                     "starts_on": starts_on, "ends_on": ends_on})
        self.starts_on = None
        self.ends_on = None
        self.status = VisitStatus.POSTPONED
        self.postponements += 1

    def reset_due_date(self, ctx: Context, *, awaited: str, due_on: date, organization: str = "") -> None:
        """After a postponement, the date the State's consent or an organization's pre-visit
        information is due by is set again (what was due for the old dates is not overdue for
        the new ones); only for what is still awaited, and not in the past."""
        self._require_open()
        last_postponed = self.postponed_dates[-1]["postponed_at"] if self.postponed_dates else None
        if awaited == "consent":
            if self.consent != ConsentStatus.REQUESTED:
                raise RuleBroken("due_date_of_something_awaited", f"the State's consent is {self.consent}, not awaited")
            asked, previous, organization = self.consent_requested_at, self.consent_due_on, ""
        else:
            organization = self._invited(organization)
            org = self.organizations[organization]
            if org["info_requested_at"] is None or org["info_received_at"] is not None:
                raise RuleBroken("due_date_of_something_awaited",
                                 f"no pre-visit information is awaited from {organization}")
            asked, previous = org["info_requested_at"], org["info_due_on"]
        if last_postponed is None or last_postponed < asked:
            raise RuleBroken("due_dates_reset_after_a_postponement",
                             f"the visit was not postponed since this was asked ({asked:%Y-%m-%d})")
        if due_on < committee_day(ctx.occurred_at, self.committee):
            raise RuleBroken("due_date_not_in_the_past", f"{due_on} is before the day it is set")
        self._reset_due_date(ctx, awaited, organization, due_on, previous)

    @event("DueDateReset")
    def _reset_due_date(self, ctx: Context, awaited: str, organization: str, due_on: date,
                        previous_due_on: date | None) -> None:
        if awaited == "consent":
            self.consent_due_on = due_on
        else:
            self.organizations[organization]["info_due_on"] = due_on

    # -- what it waits for -------------------------------------------------------------------

    def waiting_for(self, today: date) -> list[dict]:
        """What the visit is waiting for, and what of that is past due."""
        waits: list[dict] = []
        if self.status == VisitStatus.CLOSED and self.follow_up_ended_at is None:
            return self._answers_awaited(today)  # the field stage ended, not the follow-up
        if self.status in ENDED:
            return waits
        if self.approved_at is None:
            waits.append({"what": "committee_approval"})
        if self.consent == ConsentStatus.REQUESTED:
            due = self.consent_due_on
            waits.append(
                {"what": "state_consent", "due_on": due, "overdue": bool(due and today > due)}
            )
        for name, org in sorted(self.organizations.items()):
            if org["info_requested_at"] is not None and org["info_received_at"] is None:
                due = org["info_due_on"]
                waits.append(
                    {
                        "what": "pre_visit_info",
                        "organization": name,
                        "due_on": due,
                        "overdue": today > due,
                    }
                )
        if self.approved_at is not None and self.consent == ConsentStatus.NOT_REQUESTED:
            waits.append({"what": "consent_request"})
        if self.status in (VisitStatus.CONSENTED, VisitStatus.POSTPONED) and self.has_consent:
            waits.append({"what": "dates"})
        if self.status == VisitStatus.CONDUCTED:
            waits.append({"what": "follow_up_and_closure"})
        return waits + self._answers_awaited(today)

    def _answers_awaited(self, today: date) -> list[dict]:
        """The answers the State owes on the transmitted report, each with its due date; and the
        recommendations of the adopted report with a due date, not yet implemented."""
        answers = [{"what": "state_answer", "answer": name, "due_on": answer.due_on, "overdue": today > answer.due_on}
                   for name, answer in self.state_answers.items() if answer.received_at is None]
        if self.report_adopted_at is None:
            return answers
        return answers + [{"what": "recommendation", "recommendation_id": r.recommendation_id, "due_on": r.due_on,
                           "overdue": today > r.due_on}
                          for r in self.recommendations.values() if r.due_on is not None and r.open]


class Donor(RecordedAggregate):
    """A registered donor: an interested donor State or organization, with the thematic areas
    that interest it, so that it can be matched to needs."""

    kind = "donor"

    @event("DonorRegistered")
    def __init__(
        self, id: UUID, ctx: Context, name: str, donor_kind: str, thematic_areas: list[str], contact: str
    ) -> None:  # noqa: A002 - the library passes the aggregate id as ``id``
        self.name = name
        self.donor_kind = donor_kind
        self.thematic_areas = list(thematic_areas)
        self.contact = contact
        self.registered_at = ctx.occurred_at

    def update_interests(self, ctx: Context, *, thematic_areas: list[str]) -> None:
        if sorted(thematic_areas) == sorted(self.thematic_areas):
            raise RuleBroken("donor_interests_change", "the donor already has these thematic areas")
        self._update_interests(ctx, list(thematic_areas))

    @event("DonorInterestsUpdated")
    def _update_interests(self, ctx: Context, thematic_areas: list[str]) -> None:
        self.thematic_areas = thematic_areas


ORGANIZATION_IDS = UUID("0c5e7a92-3d1b-4f6a-8e24-b9d1f0a3c7e5")


class RegisteredOrganization(RecordedAggregate):
    """An organization the secretariat added to the directory of organizations a visit may
    invite (``shared.contract.organizations``: those of the 2003 annex are there already)."""

    kind = "organization"

    @staticmethod
    def id_for(name: str) -> UUID:
        """Its id follows from its name (loosely: ``organizations.key``), so that the store itself
        refuses a second registration of one name, two at once included."""
        return uuid5(ORGANIZATION_IDS, organizations.key(name))

    @event("OrganizationRegistered")
    def __init__(self, id: UUID, ctx: Context, name: str, abbreviations: list[str], also_known_as: list[str],
                 organization_kind: str, part_of: str) -> None:  # noqa: A002
        self.name = name
        self.abbreviations = list(abbreviations)
        self.also_known_as = list(also_known_as)
        self.organization_kind = organization_kind
        self.part_of = part_of
        self.registered_at = ctx.occurred_at

    @property
    def entry(self) -> organizations.Organization:
        """As the directory holds it."""
        return organizations.Organization(self.name, tuple(self.abbreviations), self.organization_kind,
                                          tuple(self.also_known_as), self.part_of, "registered")
