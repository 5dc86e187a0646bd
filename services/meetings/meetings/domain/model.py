"""Working groups and their meetings: the WorkingGroup and Meeting aggregates.

The rules come from the 1540 Committee's programme of work (``shared/DOMAIN.md`` section 2):
a schedule of periodic meetings is published; "all working group meetings will be open to and
announced to all Council delegations"; "all meetings documents will be circulated to all
Council delegations prior to meetings"; each group is "chaired by a member of the Committee"
and reports "to the Committee after each meeting"; open meetings are held, and outcomes
communicated to national contact points, only on "working group outcomes approved by the
Committee".
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
import unicodedata
from uuid import UUID, uuid5

from eventsourcing.domain import event

from shared.domain import Context, RecordedAggregate, circulated_late, hours_before
from shared.errors import Forbidden, RuleBroken


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    ANNOUNCED = "announced"
    POSTPONED = "postponed"  # sine die: off the schedule until new dates are set
    HELD = "held"
    REPORTED = "reported"
    CANCELLED = "cancelled"


# The namespace of working groups' ids (``WorkingGroup.id_for``).
GROUP_IDS = UUID("6b0f3c1e-52d4-4b8e-9a57-0d6f1c2a9e41")


def group_name_key(name: str) -> str:
    """A group's name as it is compared with another: Unicode NFKC, case folded, spaces
    collapsed (``WG 1``, ``wg  1`` and ``ＷＧ 1`` are one name)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


class WorkingGroup(RecordedAggregate):
    """A working group (or another body that meets: the Committee's plenary, special meetings
    with organizations, donor forums …), chaired by a Committee member."""

    kind = "working_group"

    @staticmethod
    def id_for(name: str) -> UUID:
        """A group's id follows from its name (``group_name_key``): a second group of one name
        would be the same aggregate again, which the store refuses, whatever checks ran
        before (two ``establish`` or ``load-groups`` calls at once included)."""
        return uuid5(GROUP_IDS, group_name_key(name))

    @event("WorkingGroupEstablished")
    def __init__(self, id: UUID, ctx: Context, name: str, committee: str, mandate_area: str) -> None:  # noqa: A002
        self.name = name
        self.committee = committee
        self.mandate_area = mandate_area
        self.established_at = ctx.occurred_at
        self.chair_member_state: str | None = None
        self.chair_user: str | None = None
        self.chairs: list[dict] = []

    def assign_chair(self, ctx: Context, *, chair_member_state: str, chair_user: str) -> None:
        """Each working group is chaired by a member of the Committee; a chair may be replaced."""
        if (chair_member_state, chair_user) == (self.chair_member_state, self.chair_user):
            raise RuleBroken("chair_assignment_changes_the_chair", f"{chair_user} already chairs {self.name}")
        self._assign_chair(ctx, chair_member_state, chair_user)

    @event("ChairAssigned")
    def _assign_chair(self, ctx: Context, chair_member_state: str, chair_user: str) -> None:
        self.chair_member_state = chair_member_state
        self.chair_user = chair_user
        self.chairs.append({"member_state": chair_member_state, "user": chair_user, "from": ctx.occurred_at})


@dataclass
class Outcome:
    outcome_id: str
    outcome_kind: str  # decision | recommendation | action_item
    text: str
    amends: str | None
    logged_at: datetime
    logged_by: str
    approved_at: datetime | None = None
    communicated_at: datetime | None = None
    taken_to_open_meeting_at: datetime | None = None


class Meeting(RecordedAggregate):
    """One meeting on the published schedule, from scheduling to the open meeting on its
    approved outcomes."""

    kind = "meeting"

    @classmethod
    def schedule(
        cls,
        ctx: Context,
        *,
        meeting_id: UUID,
        group: WorkingGroup | None,
        group_id: UUID,
        meeting_kind: str,
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        location: str = "",
    ) -> Meeting:
        """A meeting is put on the published schedule of an established group."""
        if group is None:
            raise RuleBroken("meetings_belong_to_an_established_group", f"no working group with id {group_id}")
        if ends_at <= starts_at:
            raise RuleBroken("meeting_ends_after_it_starts", "ends_at is not after starts_at")
        return cls(
            id=meeting_id, ctx=ctx, group_id=group_id, meeting_kind=meeting_kind, title=title,
            starts_at=starts_at, ends_at=ends_at, location=location,
        )

    @event("MeetingScheduled")
    def __init__(
        self, id: UUID, ctx: Context, group_id: UUID, meeting_kind: str, title: str,  # noqa: A002
        starts_at: datetime, ends_at: datetime, location: str,
    ) -> None:
        self.group_id = group_id
        self.meeting_kind = meeting_kind
        self.title = title
        self.starts_at = starts_at
        self.ends_at = ends_at
        self.location = location
        self.scheduled_at = ctx.occurred_at
        self.announced_at: datetime | None = None
        self.held_at: datetime | None = None
        self.reported_at: datetime | None = None
        self.cancelled_at: datetime | None = None
        self.postponed_sine_die = False
        self.moves = 0  # times it moved or was postponed: the calendar's SEQUENCE
        self.documents: dict[str, dict] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.open_meetings: list[dict] = []
        self.ended_reason = ""

    @property
    def status(self) -> MeetingStatus:
        if self.cancelled_at is not None:
            return MeetingStatus.CANCELLED
        if self.reported_at is not None:
            return MeetingStatus.REPORTED
        if self.held_at is not None:
            return MeetingStatus.HELD
        if self.postponed_sine_die:
            return MeetingStatus.POSTPONED
        if self.announced_at is not None:
            return MeetingStatus.ANNOUNCED
        return MeetingStatus.SCHEDULED

    def _require_not_cancelled(self) -> None:
        if self.cancelled_at is not None:
            raise RuleBroken("cancelled_meeting_cannot_change", f"the meeting {self.title!r} was cancelled")

    def _require_not_held(self, rule: str, step: str) -> None:
        self._require_not_cancelled()
        if self.held_at is not None:
            raise RuleBroken(rule, f"the meeting was held; {step}")

    # -- before the meeting ---------------------------------------------------------------

    def announce(self, ctx: Context, *, notice: str = "") -> None:
        """All working group meetings are open to and announced to all Council delegations."""
        self._require_not_held("announce_before_the_meeting", "it can no longer be announced")
        if self.announced_at is not None:
            raise RuleBroken("meeting_announced_once", "the meeting is already announced")
        self._announce(ctx, "all_council_delegations", notice)

    @event("MeetingAnnounced")
    def _announce(self, ctx: Context, announced_to: str, notice: str) -> None:
        self.announced_at = ctx.occurred_at

    def circulate_document(self, ctx: Context, *, document_id: str, title: str, symbol: str = "") -> None:
        """All meeting documents are circulated to all Council delegations prior to meetings:
        a document circulated once the meeting started is not pre-meeting circulation."""
        self._require_not_cancelled()
        if self.held_at is not None or ctx.occurred_at >= self.starts_at:
            raise RuleBroken(
                "documents_circulated_before_the_meeting",
                "the meeting has started or was held: this is not pre-meeting circulation",
            )
        if document_id in self.documents:
            raise RuleBroken("document_circulated_once", f"document {document_id} was already circulated")
        if self.postponed_sine_die:
            raise RuleBroken("postponed_meeting_needs_new_dates", "the meeting is postponed without dates")
        self._circulate(ctx, document_id, title, symbol, hours_before(ctx.occurred_at, self.starts_at))

    @event("DocumentCirculated")
    def _circulate(self, ctx: Context, document_id: str, title: str, symbol: str, hours_before_meeting: float) -> None:
        self.documents[document_id] = {"title": title, "symbol": symbol, "circulated_at": ctx.occurred_at}

    @property
    def missing_documents(self) -> bool:
        return not self.documents

    def notice_of(self, document_id: str) -> tuple[float, bool]:
        """The hours between a document's circulation and the meeting's start as it now stands,
        and whether that is short of the notice (``shared.domain.circulated_late``)."""
        circulated_at = self.documents[document_id]["circulated_at"]
        return hours_before(circulated_at, self.starts_at), circulated_late(circulated_at, self.starts_at)

    # -- the meeting --------------------------------------------------------------------

    def hold(self, ctx: Context, *, attendance: list[str] | None = None) -> None:
        """A meeting is held only after it was announced to all delegations."""
        self._require_not_cancelled()
        if self.held_at is not None:
            raise RuleBroken("meeting_held_once", "the meeting was already held")
        if self.postponed_sine_die:
            raise RuleBroken("postponed_meeting_needs_new_dates", "the meeting is postponed without dates")
        if self.announced_at is None:
            raise RuleBroken(
                "held_only_after_announcement", "the meeting was not announced to all Council delegations"
            )
        self._hold(ctx, list(attendance or []))

    @event("MeetingHeld")
    def _hold(self, ctx: Context, attendance: list[str]) -> None:
        self.held_at = ctx.occurred_at

    def log_outcome(
        self, ctx: Context, *, group: WorkingGroup, outcome_id: str, outcome_kind: str, text: str,
        amends: str | None = None,
    ) -> None:
        """Decisions, recommendations and action items are logged by the group's chair, once
        the meeting was held. An approved outcome is never edited: an amendment is a new
        outcome that names the one it amends, and the original stays."""
        self._require_not_cancelled()
        if group.chair_user is None or ctx.user != group.chair_user:
            raise Forbidden(
                "only_the_chair_logs_outcomes",
                f"{ctx.user} does not chair {group.name}"
                + (f" (the chair is {group.chair_user})" if group.chair_user else " (it has no chair)"),
            )
        if self.held_at is None:
            raise RuleBroken("outcomes_logged_after_the_meeting_is_held", "the meeting has not been held")
        if outcome_id in self.outcomes:
            raise RuleBroken(
                "approved_outcomes_are_never_edited" if self.outcomes[outcome_id].approved_at else "outcome_ids_unique",
                f"outcome {outcome_id} exists; log an amendment with a new outcome_id and amends={outcome_id}",
            )
        if amends is not None and amends not in self.outcomes:
            raise RuleBroken("amendments_name_an_existing_outcome", f"no outcome {amends} to amend")
        self._log_outcome(ctx, outcome_id, outcome_kind, text, amends)

    @event("OutcomeLogged")
    def _log_outcome(self, ctx: Context, outcome_id: str, outcome_kind: str, text: str, amends: str | None) -> None:
        self.outcomes[outcome_id] = Outcome(
            outcome_id=outcome_id, outcome_kind=outcome_kind, text=text, amends=amends,
            logged_at=ctx.occurred_at, logged_by=ctx.user,
        )

    # -- after the meeting ----------------------------------------------------------------

    def report_to_committee(self, ctx: Context, *, summary: str, report_symbol: str = "") -> None:
        """Every working group reports to the Committee after each meeting."""
        self._require_not_cancelled()
        if self.held_at is None:
            raise RuleBroken("report_after_the_meeting", "the meeting has not been held")
        if self.reported_at is not None:
            raise RuleBroken("meeting_reported_once", "the meeting was already reported to the Committee")
        self._report(ctx, summary, report_symbol)

    @event("MeetingReportedToCommittee")
    def _report(self, ctx: Context, summary: str, report_symbol: str) -> None:
        self.reported_at = ctx.occurred_at

    def _outcome(self, outcome_id: str) -> Outcome:
        try:
            return self.outcomes[outcome_id]
        except KeyError:
            raise RuleBroken("outcome_exists", f"the meeting has no outcome {outcome_id}") from None

    def approve_outcome(self, ctx: Context, *, outcome_id: str) -> None:
        """The Committee approves outcomes once the group reported to it."""
        outcome = self._outcome(outcome_id)
        if self.reported_at is None:
            raise RuleBroken(
                "outcomes_approved_after_report_to_committee",
                "the group has not reported this meeting to the Committee",
            )
        if outcome.approved_at is not None:
            raise RuleBroken("outcome_approved_once", f"outcome {outcome_id} is already approved")
        self._approve(ctx, outcome_id)

    @event("OutcomeApproved")
    def _approve(self, ctx: Context, outcome_id: str) -> None:
        self.outcomes[outcome_id].approved_at = ctx.occurred_at

    def communicate_outcome(self, ctx: Context, *, outcome_id: str) -> None:
        """Only outcomes approved by the Committee are communicated to national contact points."""
        outcome = self._outcome(outcome_id)
        if outcome.approved_at is None:
            raise RuleBroken("only_approved_outcomes_are_communicated", f"outcome {outcome_id} is not approved")
        if outcome.communicated_at is not None:
            raise RuleBroken("outcome_communicated_once", f"outcome {outcome_id} was already communicated")
        self._communicate(ctx, outcome_id, "national_contact_points")

    @event("OutcomeCommunicated")
    def _communicate(self, ctx: Context, outcome_id: str, recipients: str) -> None:
        self.outcomes[outcome_id].communicated_at = ctx.occurred_at

    def hold_open_meeting(self, ctx: Context, *, outcome_ids: list[str], summary: str = "") -> None:
        """Open meetings are held on working group outcomes approved by the Committee."""
        if not outcome_ids:
            raise RuleBroken("open_meetings_only_on_approved_outcomes", "name the approved outcomes")
        unapproved = [o for o in outcome_ids if self._outcome(o).approved_at is None]
        if unapproved:
            raise RuleBroken(
                "open_meetings_only_on_approved_outcomes", f"not approved: {', '.join(unapproved)}"
            )
        self._hold_open_meeting(ctx, list(outcome_ids), summary)

    @event("OpenMeetingHeld")
    def _hold_open_meeting(self, ctx: Context, outcome_ids: list[str], summary: str) -> None:
        for outcome_id in outcome_ids:
            self.outcomes[outcome_id].taken_to_open_meeting_at = ctx.occurred_at
        self.open_meetings.append({"outcome_ids": outcome_ids, "summary": summary, "held_at": ctx.occurred_at})

    # -- cancel, postpone --------------------------------------------------------------------

    def cancel(self, ctx: Context, *, reason: str) -> None:
        """A meeting not yet held can be cancelled; subscribers' calendars show it cancelled."""
        self._require_not_held("held_meeting_cannot_be_cancelled", "it cannot be cancelled")
        self._cancel(ctx, reason)

    @event("MeetingCancelled")
    def _cancel(self, ctx: Context, reason: str) -> None:
        self.cancelled_at = ctx.occurred_at
        self.ended_reason = reason
        self.moves += 1

    def postpone(
        self, ctx: Context, *, reason: str, starts_at: datetime | None = None, ends_at: datetime | None = None
    ) -> None:
        """A meeting not yet held moves to new dates, or is postponed without dates (off the
        schedule until it is postponed again with dates)."""
        self._require_not_held("postpone_before_the_meeting", "it cannot be postponed")
        if (starts_at is None) != (ends_at is None):
            raise RuleBroken("new_dates_give_start_and_end", "give both starts_at and ends_at, or neither")
        if starts_at is not None and ends_at <= starts_at:
            raise RuleBroken("meeting_ends_after_it_starts", "ends_at is not after starts_at")
        if starts_at is None and self.postponed_sine_die:
            raise RuleBroken("meeting_already_postponed", "the meeting is already postponed without dates")
        self._postpone(ctx, reason, starts_at, ends_at)

    @event("MeetingPostponed")
    def _postpone(self, ctx: Context, reason: str, starts_at: datetime | None, ends_at: datetime | None) -> None:
        if starts_at is not None:  # without new dates, the old ones are kept for the record
            self.starts_at = starts_at
            self.ends_at = ends_at
        self.postponed_sine_die = starts_at is None
        self.moves += 1

    # -- what it waits for --------------------------------------------------------------

    def awaiting(self) -> list[str]:
        waits = []
        if self.status in (MeetingStatus.CANCELLED,):
            return waits
        if self.held_at is None and self.postponed_sine_die:
            # off the schedule: it waits for new dates, not yet for what comes before them
            waits.append("new_dates")
        elif self.held_at is None:
            if self.announced_at is None:
                waits.append("announcement")
            if not self.documents:
                waits.append("documents")
        elif self.reported_at is None:
            waits.append("report_to_committee")
        if any(o.approved_at is None for o in self.outcomes.values()) and self.reported_at is not None:
            waits.append("outcome_approval")
        return waits
