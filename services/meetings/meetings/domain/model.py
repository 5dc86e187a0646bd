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

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
import unicodedata
from uuid import UUID, uuid5

from eventsourcing.domain import event

from shared.domain import DOCUMENT_NOTICE, Context, RecordedAggregate, circulated_late, hours_before, next_numbers
from shared.contract.vocabulary import MEETING_KIND_RULES, MeetingKindRules
from shared.documents import Version, admit
from shared.errors import Forbidden, RuleBroken


def _require_dates(ctx: Context, starts_at: datetime, ends_at: datetime) -> None:
    """A meeting's dates: it ends after it starts, and starts no earlier than they are set."""
    if ends_at <= starts_at:
        raise RuleBroken("meeting_ends_after_it_starts", "ends_at is not after starts_at")
    if starts_at < ctx.occurred_at:
        raise RuleBroken(
            "meeting_dates_not_in_the_past",
            f"dates set {ctx.occurred_at:%Y-%m-%d %H:%M} UTC cannot start earlier, {starts_at:%Y-%m-%d %H:%M} UTC",
        )


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

    def assign_chair(self, ctx: Context, *, chair_member_state: str, chair_user: str,
                     members: CommitteeMembership | None = None) -> None:
        """Each working group is chaired by a member of the Committee; a chair may be replaced.
        ``members``: the Committee's membership of the year the chair takes office, where the
        secretariat recorded it (then the chair's State must be one of them)."""
        if (chair_member_state, chair_user) == (self.chair_member_state, self.chair_user):
            raise RuleBroken("chair_assignment_changes_the_chair", f"{chair_user} already chairs {self.name}")
        if members is not None and chair_member_state not in members.member_states:
            raise RuleBroken(
                "chairs_are_members_of_the_committee",
                f"{chair_member_state} is not a member of the {self.committee} Committee in {members.year}",
            )
        self._assign_chair(ctx, chair_member_state, chair_user)

    @event("ChairAssigned")
    def _assign_chair(self, ctx: Context, chair_member_state: str, chair_user: str) -> None:
        self.chair_member_state = chair_member_state
        self.chair_user = chair_user
        self.chairs.append({"member_state": chair_member_state, "user": chair_user, "from": ctx.occurred_at})

    def chair_at(self, moment: datetime) -> dict | None:
        """The chair in office at ``moment`` (the latest assigned by then), or None."""
        in_office = [c for c in self.chairs if c["from"] <= moment]
        return in_office[-1] if in_office else None


class CommitteeMembership(RecordedAggregate):
    """The members of a Committee in one year (its 15 Council members), as the secretariat
    records them: reference data a chair is checked against. One a Committee and year: its id
    follows from both."""

    kind = "committee_membership"

    @staticmethod
    def id_for(committee: str, year: int) -> UUID:
        return uuid5(GROUP_IDS, f"membership/{committee}/{year}")

    @event("CommitteeMembershipRecorded")
    def __init__(self, id: UUID, ctx: Context, committee: str, year: int, member_states: list[str]) -> None:  # noqa: A002
        self.committee = committee
        self.year = year
        self.member_states = list(member_states)

    def revise(self, ctx: Context, *, member_states: list[str]) -> None:
        """The membership recorded for the year is corrected."""
        if sorted(member_states) == sorted(self.member_states):
            raise RuleBroken("membership_revision_changes_it", "the membership is already these States")
        self._revise(ctx, list(member_states))

    @event("CommitteeMembershipRevised")
    def _revise(self, ctx: Context, member_states: list[str]) -> None:
        self.member_states = member_states


@dataclass
class Outcome:
    """A decision, recommendation or action item a group logged, and what became of it: the
    report that carried it to the Committee, the Committee's decisions on it (``decisions``,
    the latest in ``decision``: approved, rejected, returned, deferred), the amendment that
    superseded it, its communication to the States' contact points; an action item's owner,
    due date and status over time."""

    outcome_id: str
    outcome_kind: str  # decision | recommendation | action_item
    text: str
    amends: str | None
    logged_at: datetime
    logged_by: str
    owner: str = ""
    due_on: date | None = None
    approved_at: datetime | None = None
    communicated_at: datetime | None = None
    communicated_to: list[str] = field(default_factory=list)
    taken_to_open_meeting_at: datetime | None = None
    reported_at: datetime | None = None  # carried to the Committee by a report (the latest that did)
    decision: str | None = None  # the Committee's latest: approved | rejected | returned | deferred
    decisions: list[dict] = field(default_factory=list)
    superseded_by: str | None = None
    corrected_at: datetime | None = None
    status: str | None = None  # an action item's: open | done | dropped
    status_history: list[dict] = field(default_factory=list)


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
        _require_dates(ctx, starts_at, ends_at)
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
        self.announced_at: datetime | None = None  # the announcement in force (made since the latest move)
        self.announcements: list[dict] = []  # every announcement: when, and the start it announced
        self.moved_at: datetime | None = None  # when it last moved to new dates
        self.held_at: datetime | None = None
        self.reported_at: datetime | None = None  # its first report to the Committee
        self.reports: list[dict] = []  # every report: when, and the outcomes it carried
        self.cancelled_at: datetime | None = None
        self.postponed_sine_die = False
        self.moves = 0  # times it moved or was postponed: the calendar's SEQUENCE
        self.documents: dict[str, dict] = {}
        self.files: list[dict] = []  # each file of its documents (shared.documents), as its event recorded it
        self.outcomes: dict[str, Outcome] = {}
        self.open_meetings: list[dict] = []
        self.attendance: dict[str, list[str]] = {"delegations": [], "organizations": [], "experts": []}
        self.ended_reason = ""

    @property
    def rules(self) -> MeetingKindRules:
        """What this kind of meeting owes: a report to the Committee, outcomes, documents."""
        return MEETING_KIND_RULES[self.meeting_kind]

    @property
    def outcomes_go_to_the_committee(self) -> bool:
        """Its outcomes await the Committee's approval: once reported to it, or, for a kind not
        reported to the Committee (the plenary, a special meeting), once held."""
        return self.reported_at is not None if self.rules.reports_to_committee else self.held_at is not None

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
        """All working group meetings are open to and announced to all Council delegations; a
        meeting moved to new dates is announced again. An announcement made once the meeting
        started is recorded and flagged (``announced_after_start_hours``), not refused: the
        reports must show it."""
        self._require_not_held("announce_before_the_meeting", "it can no longer be announced")
        if self.announced_at is not None:
            raise RuleBroken("meeting_announced_once", "the meeting is already announced for its present dates")
        self._announce(ctx, "all_council_delegations", notice)

    @event("MeetingAnnounced")
    def _announce(self, ctx: Context, announced_to: str, notice: str) -> None:
        self.announced_at = ctx.occurred_at
        self.announcements.append({"announced_at": ctx.occurred_at, "starts_at": self.starts_at})

    @property
    def announced_after_start_hours(self) -> float | None:
        """How many hours after the start the announcement in force came, if it came after it."""
        if self.announced_at is None or self.announced_at <= self.starts_at:
            return None
        return hours_before(self.starts_at, self.announced_at)

    def circulate_document(self, ctx: Context, *, document_id: str | None = None, title: str, symbol: str = "") -> None:
        """All meeting documents are circulated to all Council delegations prior to meetings: a
        document circulated once the meeting started breaks that, and is recorded and flagged
        (negative ``hours_before_meeting``), not refused: the reports must show it. Once the
        meeting was recorded as held, a paper is no longer its circulation. A document without
        an id is numbered by the meeting (D1, D2, ...)."""
        self._require_not_cancelled()
        document_id = document_id or next_numbers("D", self.documents)[0]
        if self.held_at is not None:
            raise RuleBroken(
                "documents_circulated_before_the_meeting_is_held",
                "the meeting was held: a paper sent now is not its pre-meeting circulation",
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
        """No document circulated, for a kind of meeting that needs them."""
        return not self.documents and self.rules.needs_documents

    def notice_of(self, document_id: str, notice: timedelta = DOCUMENT_NOTICE) -> tuple[float, bool]:
        """The hours between a document's circulation and the meeting's start as it now stands
        (negative: after it started), and whether that is short of ``notice`` (the Committee's:
        ``shared.domain.document_notice``)."""
        circulated_at = self.documents[document_id]["circulated_at"]
        return hours_before(circulated_at, self.starts_at), circulated_late(circulated_at, self.starts_at, notice)

    # -- its documents as files -------------------------------------------------------------

    def attach_file(self, ctx: Context, *, document_id: str, version: str, language: str, symbol: str,
                    file_name: str, media_type: str, size: int, sha256: str) -> None:
        """A circulated document's text, as a file: one version (the original, a revision that
        replaces it, a corrigendum that corrects it) in one official language, under the
        document's symbol (``shared.documents.admit``: one file a version and language, versions
        in order). A file attaches to the document circulated, never beside it
        (``file_of_a_circulated_document``); it may come after the meeting (a revision), not to a
        cancelled meeting."""
        self._require_not_cancelled()
        if document_id not in self.documents:
            raise RuleBroken("file_of_a_circulated_document",
                             f"no document {document_id} was circulated for this meeting: circulate it first")
        parsed = Version.parse(version)
        symbol = admit(self.files, document=document_id, version=parsed, language=language, symbol=symbol,
                       known_symbol=self.documents[document_id]["symbol"])
        self._attach_file(ctx, document_id, symbol, parsed.label, language, file_name, media_type, size, sha256)

    @event("DocumentFileAttached")
    def _attach_file(self, ctx: Context, document_id: str, symbol: str, version: str, language: str,
                     file_name: str, media_type: str, size: int, sha256: str) -> None:
        self.files.append({"document": document_id, "symbol": symbol, "version": version, "language": language,
                           "file_name": file_name, "media_type": media_type, "size": size, "sha256": sha256,
                           "attached_at": ctx.occurred_at})
        if symbol and not self.documents[document_id]["symbol"]:  # the file gave the document its symbol
            self.documents[document_id]["symbol"] = symbol

    # -- the meeting --------------------------------------------------------------------

    def hold(self, ctx: Context, *, delegations: list[str] | None = None, organizations: list[str] | None = None,
             experts: list[str] | None = None) -> None:
        """A meeting is held at or after its start, only after it was announced to all
        delegations (again, if it moved since)."""
        self._require_not_cancelled()
        if self.held_at is not None:
            raise RuleBroken("meeting_held_once", "the meeting was already held")
        if self.postponed_sine_die:
            raise RuleBroken("postponed_meeting_needs_new_dates", "the meeting is postponed without dates")
        if self.announced_at is None:
            raise RuleBroken(
                "held_only_after_announcement",
                "the meeting was not announced to all Council delegations"
                + (" since it moved to its present dates" if self.moved_at is not None and self.announcements else ""),
            )
        if ctx.occurred_at < self.starts_at:
            raise RuleBroken(
                "held_at_or_after_its_start",
                f"the meeting starts {self.starts_at:%Y-%m-%d %H:%M} UTC; it cannot be held {ctx.occurred_at:%Y-%m-%d %H:%M} UTC",
            )
        self._hold(ctx, sorted(set(delegations or [])), list(dict.fromkeys(organizations or [])),
                   list(dict.fromkeys(experts or [])))

    @event("MeetingHeld")
    def _hold(self, ctx: Context, delegations: list[str], organizations: list[str], experts: list[str]) -> None:
        self.held_at = ctx.occurred_at
        self.attendance = {"delegations": delegations, "organizations": organizations, "experts": experts}

    def log_outcome(
        self, ctx: Context, *, group: WorkingGroup, outcome_kind: str, text: str, outcome_id: str | None = None,
        amends: str | None = None, owner: str = "", due_on: date | None = None,
    ) -> None:
        """Decisions, recommendations and action items (with their owner and due date) are
        logged by the group's chair, once the meeting was held. An outcome the Committee took up
        is never edited: an amendment is a new outcome that names the one it amends, which it
        supersedes (the original stays, never approved nor communicated again). An outcome
        without an id is numbered by the meeting (O1, O2, ...)."""
        self._require_not_cancelled()
        outcome_id = outcome_id or next_numbers("O", self.outcomes)[0]
        if not self.rules.logs_outcomes:
            raise RuleBroken("meeting_kind_logs_outcomes", f"a {self.meeting_kind} meeting logs no outcomes")
        self._require_chair(ctx, group, "logs outcomes")
        if self.held_at is None:
            raise RuleBroken("outcomes_logged_after_the_meeting_is_held", "the meeting has not been held")
        if outcome_id in self.outcomes:
            raise RuleBroken(
                "approved_outcomes_are_never_edited" if self.outcomes[outcome_id].approved_at else "outcome_ids_unique",
                f"outcome {outcome_id} exists; log an amendment with a new outcome_id and amends={outcome_id}",
            )
        if amends is not None and amends not in self.outcomes:
            raise RuleBroken("amendments_name_an_existing_outcome", f"no outcome {amends} to amend")
        if amends is not None and self.outcomes[amends].superseded_by:
            raise RuleBroken("amend_the_outcome_in_force",
                             f"{amends} was superseded by {self.outcomes[amends].superseded_by}: amend that one")
        owner, due_on = self._action_item_fields(outcome_kind, owner, due_on)
        self._log_outcome(ctx, outcome_id, outcome_kind, text, amends, owner, due_on)

    @event("OutcomeLogged")
    def _log_outcome(self, ctx: Context, outcome_id: str, outcome_kind: str, text: str, amends: str | None,
                     owner: str, due_on: date | None) -> None:
        self.outcomes[outcome_id] = Outcome(
            outcome_id=outcome_id, outcome_kind=outcome_kind, text=text, amends=amends,
            logged_at=ctx.occurred_at, logged_by=ctx.user, owner=owner, due_on=due_on,
            status="open" if outcome_kind == "action_item" else None,
        )
        if amends is not None:  # the amendment replaces it: never approved nor communicated again
            self.outcomes[amends].superseded_by = outcome_id

    def _require_chair(self, ctx: Context, group: WorkingGroup, step: str) -> None:
        """Only the group's chair in office when the meeting started acts on its outcomes."""
        chair = group.chair_at(self.starts_at)
        if chair is None or ctx.user != chair["user"]:
            raise Forbidden(
                "only_the_chair_logs_outcomes",
                f"{ctx.user} did not chair {group.name} when the meeting started ({self.starts_at:%Y-%m-%d})"
                + (f": {chair['user']} did" if chair else ": it had no chair") + f"; only that chair {step}",
            )

    @staticmethod
    def _action_item_fields(outcome_kind: str, owner: str, due_on: date | None) -> tuple[str, date | None]:
        """An action item has an owner and a due date; other outcomes have neither."""
        if outcome_kind != "action_item":
            if owner or due_on is not None:
                raise RuleBroken("only_action_items_have_an_owner", f"a {outcome_kind} has no owner or due date")
            return "", None
        if not owner.strip() or due_on is None:
            raise RuleBroken("action_items_have_an_owner_and_a_due_date",
                             "an action item names its owner and its due date")
        return owner, due_on

    def correct_outcome(self, ctx: Context, *, group: WorkingGroup, outcome_id: str, text: str, owner: str = "",
                        due_on: date | None = None) -> None:
        """The chair corrects a draft outcome until a report carries it to the Committee, or
        after the Committee returned it to the group; then it awaits a report again."""
        self._require_not_cancelled()
        outcome = self._outcome(outcome_id)
        self._require_chair(ctx, group, "corrects outcomes")
        self._require_in_force(outcome)
        draft = outcome.decision is None and outcome.reported_at is None
        if not (draft or outcome.decision == "returned"):
            raise RuleBroken("outcomes_corrected_until_reported",
                             f"{outcome_id} went to the Committee; correct it only if the Committee returns it "
                             "(else log an amendment)")
        owner, due_on = self._action_item_fields(outcome.outcome_kind, owner, due_on)
        self._correct_outcome(ctx, outcome_id, text, owner, due_on)

    @event("OutcomeCorrected")
    def _correct_outcome(self, ctx: Context, outcome_id: str, text: str, owner: str, due_on: date | None) -> None:
        outcome = self.outcomes[outcome_id]
        outcome.text, outcome.owner, outcome.due_on, outcome.corrected_at = text, owner, due_on, ctx.occurred_at
        if outcome.decision == "returned":  # corrected, it awaits a report to the Committee again
            outcome.reported_at, outcome.decision = None, None

    # -- after the meeting ----------------------------------------------------------------

    def report_to_committee(self, ctx: Context, *, summary: str, report_symbol: str = "") -> None:
        """Every working group reports to the Committee after each meeting (other kinds of
        meeting are not reported to the Committee: ``MEETING_KIND_RULES``)."""
        self._require_not_cancelled()
        if not self.rules.reports_to_committee:
            raise RuleBroken("meeting_kind_reports_to_the_committee",
                             f"a {self.meeting_kind} meeting is not reported to the Committee")
        if self.held_at is None:
            raise RuleBroken("report_after_the_meeting", "the meeting has not been held")
        carried = self.awaiting_report()
        if self.reported_at is not None and not carried:
            raise RuleBroken("meeting_reported_once", "the meeting was already reported to the Committee, and no "
                             "outcome logged or corrected since awaits a report")
        self._report(ctx, summary, report_symbol, carried)

    def before_the_committee(self) -> list[Outcome]:
        """The outcomes in force awaiting the Committee's decision: carried by a report (for a
        kind not reported to the Committee, once the meeting was held), or deferred."""
        if not self.outcomes_go_to_the_committee or self.cancelled_at is not None:
            return []
        return [o for o in self.outcomes.values() if o.superseded_by is None and o.decision in (None, "deferred")
                and (o.reported_at is not None or not self.rules.reports_to_committee)]

    def action_items_overdue(self, today: date) -> list[Outcome]:
        """Its action items in force still open after their due date (``today`` in the
        Committee's time zone)."""
        return [o for o in self.outcomes.values() if o.outcome_kind == "action_item" and o.superseded_by is None
                and o.status == "open" and o.due_on is not None and today > o.due_on]

    def awaiting_report(self) -> list[str]:
        """The outcomes in force that no report carried to the Committee yet (or that it returned
        and the chair corrected)."""
        return [o.outcome_id for o in self.outcomes.values()
                if o.superseded_by is None and o.reported_at is None and o.decision is None]

    @event("MeetingReportedToCommittee")
    def _report(self, ctx: Context, summary: str, report_symbol: str, outcome_ids: list[str]) -> None:
        self.reported_at = self.reported_at or ctx.occurred_at
        self.reports.append({"at": ctx.occurred_at, "summary": summary, "outcome_ids": list(outcome_ids)})
        for outcome_id in outcome_ids:
            self.outcomes[outcome_id].reported_at = ctx.occurred_at

    def _outcome(self, outcome_id: str) -> Outcome:
        try:
            return self.outcomes[outcome_id]
        except KeyError:
            raise RuleBroken("outcome_exists", f"the meeting has no outcome {outcome_id}") from None

    def _require_in_force(self, outcome: Outcome) -> None:
        if outcome.superseded_by is not None:
            raise RuleBroken("superseded_outcomes_stay_as_they_were",
                             f"{outcome.outcome_id} was superseded by the amendment {outcome.superseded_by}")

    def _before_the_committee(self, outcome: Outcome, step: str) -> None:
        """The Committee decides on an outcome in force that a report carried to it (for a kind
        not reported to the Committee, once the meeting was held), and not yet finally."""
        self._require_in_force(outcome)
        if not self.outcomes_go_to_the_committee:
            raise RuleBroken("outcomes_approved_after_report_to_committee",
                             "the group has not reported this meeting to the Committee")
        if outcome.decision == "approved":
            raise RuleBroken("outcome_approved_once", f"outcome {outcome.outcome_id} is already approved")
        if outcome.decision == "rejected":
            raise RuleBroken("outcome_decided_once", f"the Committee rejected {outcome.outcome_id}")
        if outcome.decision == "returned" or (self.rules.reports_to_committee and outcome.reported_at is None):
            raise RuleBroken("outcomes_decided_once_reported",
                             f"no report carried {outcome.outcome_id} to the Committee"
                             + (" since it was returned to the group" if outcome.decision == "returned" else "")
                             + f"; {step} once the group reports it")

    def approve_outcome(self, ctx: Context, *, outcome_id: str, note: str = "") -> None:
        """The Committee approves an outcome the group reported to it."""
        self._before_the_committee(self._outcome(outcome_id), "it is approved")
        self._approve(ctx, outcome_id, note)

    @event("OutcomeApproved")
    def _approve(self, ctx: Context, outcome_id: str, note: str) -> None:
        outcome = self.outcomes[outcome_id]
        outcome.approved_at, outcome.decision = ctx.occurred_at, "approved"
        outcome.decisions.append({"decision": "approved", "note": note, "at": ctx.occurred_at})

    def decide_outcome(self, ctx: Context, *, outcome_id: str, decision: str, note: str = "") -> None:
        """The Committee rejects an outcome, returns it to the group (which corrects it and
        reports it again) or defers it (it stays before the Committee)."""
        self._before_the_committee(self._outcome(outcome_id), f"it is {decision}")
        self._decide(ctx, outcome_id, decision, note)

    @event("OutcomeDecided")
    def _decide(self, ctx: Context, outcome_id: str, decision: str, note: str) -> None:
        outcome = self.outcomes[outcome_id]
        outcome.decision = decision
        outcome.decisions.append({"decision": decision, "note": note, "at": ctx.occurred_at})

    def update_action_item(self, ctx: Context, *, outcome_id: str, status: str, note: str = "") -> None:
        """An action item is open until done or dropped (and may be reopened)."""
        outcome = self._outcome(outcome_id)
        if outcome.outcome_kind != "action_item":
            raise RuleBroken("only_action_items_have_a_status", f"{outcome_id} is a {outcome.outcome_kind}")
        self._require_in_force(outcome)
        current = outcome.status or "open"
        if status == current:
            raise RuleBroken("action_item_status_changes", f"{outcome_id} is already {status}")
        self._update_action_item(ctx, outcome_id, status, current, note)

    @event("ActionItemStatusChanged")
    def _update_action_item(self, ctx: Context, outcome_id: str, status: str, previous_status: str, note: str) -> None:
        outcome = self.outcomes[outcome_id]
        outcome.status = status
        outcome.status_history.append({"status": status, "note": note, "at": ctx.occurred_at})

    def communicate_outcome(self, ctx: Context, *, outcome_id: str, member_states: list[str]) -> None:
        """Only outcomes approved by the Committee, and in force, are communicated, to the
        national contact points of the States named."""
        outcome = self._outcome(outcome_id)
        self._require_in_force(outcome)
        if outcome.approved_at is None:
            raise RuleBroken("only_approved_outcomes_are_communicated", f"outcome {outcome_id} is not approved")
        if outcome.communicated_at is not None:
            raise RuleBroken("outcome_communicated_once", f"outcome {outcome_id} was already communicated")
        self._communicate(ctx, outcome_id, "national_contact_points", sorted(set(member_states)))

    @event("OutcomeCommunicated")
    def _communicate(self, ctx: Context, outcome_id: str, recipients: str, member_states: list[str]) -> None:
        self.outcomes[outcome_id].communicated_at = ctx.occurred_at
        self.outcomes[outcome_id].communicated_to = list(member_states)

    def hold_open_meeting(self, ctx: Context, *, outcome_ids: list[str], summary: str = "") -> None:
        """Open meetings are held on working group outcomes approved by the Committee."""
        if not outcome_ids:
            raise RuleBroken("open_meetings_only_on_approved_outcomes", "name the approved outcomes")
        unapproved = [o for o in outcome_ids
                      if self._outcome(o).approved_at is None or self._outcome(o).superseded_by is not None]
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
        if starts_at is not None:
            _require_dates(ctx, starts_at, ends_at)
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
        self.moved_at = ctx.occurred_at
        self.announced_at = None  # the new dates are announced again (the old announcement stays in ``announcements``)

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
            if not self.documents and self.rules.needs_documents:
                waits.append("documents")
        elif self.rules.reports_to_committee and (self.reported_at is None or self.awaiting_report()):
            waits.append("report_to_committee")  # after the meeting, or for outcomes logged or corrected since
        if self.before_the_committee():
            waits.append("outcome_approval")
        return waits
