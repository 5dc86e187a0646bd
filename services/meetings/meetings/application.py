"""The meetings service's use cases and queries: plain Python over WorkingGroup and Meeting."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable
from uuid import UUID, uuid4

from shared.domain import Context, committee_day
from shared.errors import InvalidInput, RuleBroken
from shared.documents import received
from shared.store import AggregateIndex
from shared.store.files import FilesApplication
from meetings.domain import CommitteeMembership, Meeting, MeetingStatus, WorkingGroup
from meetings.domain.model import group_name_key

REFERENCE_GROUPS = Path(__file__).parent / "reference" / "working_groups_1540.json"

class MeetingsApplication(FilesApplication):
    name = "meetings"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.index = AggregateIndex(self)

    # -- working groups -------------------------------------------------------------------

    def establish_group(self, ctx: Context, *, group_id: UUID | None = None, **fields: Any) -> WorkingGroup:
        """A group is set up once under its name: its id follows from the name
        (``WorkingGroup.id_for``), so the store itself refuses a second group of one name, two
        set up at once included; the index check finds the groups set up before ids followed
        from names. A ``group_id`` given must be the one the name gives."""
        name = fields["name"]
        ident = WorkingGroup.id_for(name)
        if group_id is not None and group_id != ident:
            raise InvalidInput({"group_id": [f"a working group's id follows from its name: {ident} for {name!r}"]})
        taken = RuleBroken("working_group_names_unique", f"a group named {name!r} exists")
        if any(group_name_key(g.name) == group_name_key(name) for g in self.index.all(WorkingGroup)):
            raise taken
        group = WorkingGroup(id=ident, ctx=ctx, **fields)
        try:
            self.store(group)
        except RuleBroken as refused:
            if refused.rule == "ids_unique":  # another call stored it first
                raise taken from None
            raise
        return group

    def assign_chair(
        self, ctx: Context, group_id: UUID, *, chair_member_state: str, chair_user: str,
        expected_version: int | None = None,
    ) -> WorkingGroup:
        """The chair must be a member of the Committee the year it takes office, where the
        secretariat recorded that year's membership."""
        return self.update(
            WorkingGroup, group_id, expected_version,
            lambda g: g.assign_chair(ctx, chair_member_state=chair_member_state, chair_user=chair_user,
                                     members=self.membership(g.committee, committee_day(ctx.occurred_at, g.committee).year)),
        )

    # -- the Committees' membership ---------------------------------------------------------------

    def record_membership(self, ctx: Context, *, committee: str, year: int, member_states: list[str]) -> CommitteeMembership:
        """One record a Committee and year (its id follows from both): a second is refused
        (``ids_unique``); a correction is a revision."""
        membership = CommitteeMembership(id=CommitteeMembership.id_for(committee, year), ctx=ctx, committee=committee,
                                         year=year, member_states=member_states)
        self.store(membership)
        return membership

    def revise_membership(self, ctx: Context, membership_id: UUID, *, member_states: list[str],
                          expected_version: int | None = None) -> CommitteeMembership:
        return self.update(CommitteeMembership, membership_id, expected_version,
                           lambda m: m.revise(ctx, member_states=member_states))

    def membership(self, committee: str, year: int) -> CommitteeMembership | None:
        return self.index.find(CommitteeMembership, CommitteeMembership.id_for(committee, year))

    def memberships(self) -> list[CommitteeMembership]:
        return sorted(self.index.all(CommitteeMembership), key=lambda m: (m.committee, m.year))

    def load_reference_groups(self, ctx: Context, path: Path = REFERENCE_GROUPS) -> list[dict]:
        """The four working groups of the 1540 Committee; those already set up are left as
        they are, so loading twice changes nothing."""
        reference = json.loads(path.read_text(encoding="utf-8"))
        existing = {group_name_key(g.name): g for g in self.index.all(WorkingGroup)}
        loaded = []
        for entry in reference["groups"]:
            group = existing.get(group_name_key(entry["name"]))
            if group is None:
                try:
                    created = self.establish_group(ctx, **entry)
                except RuleBroken as refused:  # another load set it up meanwhile
                    if refused.rule != "working_group_names_unique":
                        raise
                    loaded.append({"name": entry["name"], "created": False, "id": str(WorkingGroup.id_for(entry["name"]))})
                    continue
                loaded.append({"name": entry["name"], "created": True, "id": str(created.id)})
            else:
                loaded.append({"name": entry["name"], "created": False, "id": str(group.id)})
        return loaded

    # -- meetings ---------------------------------------------------------------------------

    def schedule_meeting(self, ctx: Context, *, group_id: UUID, meeting_id: UUID | None = None,
                         **fields: Any) -> Meeting:
        group = self.index.find(WorkingGroup, group_id)
        meeting = Meeting.schedule(ctx, meeting_id=meeting_id or uuid4(), group=group, group_id=group_id, **fields)
        self.store(meeting)
        return meeting

    def _step(self, meeting_id: UUID, expected_version: int | None, command: Callable[[Meeting], None]) -> Meeting:
        return self.update(Meeting, meeting_id, expected_version, command)

    def announce(self, ctx: Context, meeting_id: UUID, *, notice: str = "",
                 expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.announce(ctx, notice=notice))

    def circulate_document(self, ctx: Context, meeting_id: UUID, *, title: str, document_id: str | None = None,
                           symbol: str = "", expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.circulate_document(
            ctx, document_id=document_id, title=title, symbol=symbol))

    def attach_file(self, ctx: Context, meeting_id: UUID, *, document_id: str, content: bytes, language: str,
                    symbol: str = "", version: str | None = None, file_name: str = "",
                    expected_version: int | None = None) -> Meeting:
        """A circulated document's file: checked (type, size) before anything, then kept with its
        event in one transaction (``shared.store.files``): both, or neither."""
        file = received(content, symbol=symbol, version=version, file_name=file_name, name_otherwise=document_id)
        return self.update_with_file(Meeting, meeting_id, expected_version, file, lambda meeting, metadata:
                                     meeting.attach_file(ctx, document_id=document_id, language=language, **metadata))

    def hold(self, ctx: Context, meeting_id: UUID, *, delegations: list[str] | None = None,
             organizations: list[str] | None = None, experts: list[str] | None = None,
             expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.hold(
            ctx, delegations=delegations, organizations=organizations, experts=experts))

    def log_outcome(self, ctx: Context, meeting_id: UUID, *, outcome_kind: str, text: str, outcome_id: str | None = None,
                    amends: str | None = None, owner: str = "", due_on: date | None = None,
                    expected_version: int | None = None) -> Meeting:
        """The meeting's group is read for its chair: only the chair logs outcomes."""
        return self._step(meeting_id, expected_version, lambda meeting: meeting.log_outcome(
            ctx, group=self.load(WorkingGroup, meeting.group_id), outcome_id=outcome_id,
            outcome_kind=outcome_kind, text=text, amends=amends, owner=owner, due_on=due_on))

    def correct_outcome(self, ctx: Context, meeting_id: UUID, *, outcome_id: str, text: str, owner: str = "",
                        due_on: date | None = None, expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.correct_outcome(
            ctx, group=self.load(WorkingGroup, meeting.group_id), outcome_id=outcome_id, text=text, owner=owner,
            due_on=due_on))

    def report_to_committee(self, ctx: Context, meeting_id: UUID, *, summary: str, report_symbol: str = "",
                            expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.report_to_committee(
            ctx, summary=summary, report_symbol=report_symbol))

    def approve_outcome(self, ctx: Context, meeting_id: UUID, *, outcome_id: str, note: str = "",
                        expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version,
                          lambda meeting: meeting.approve_outcome(ctx, outcome_id=outcome_id, note=note))

    def decide_outcome(self, ctx: Context, meeting_id: UUID, *, outcome_id: str, decision: str, note: str = "",
                       expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.decide_outcome(
            ctx, outcome_id=outcome_id, decision=decision, note=note))

    def update_action_item(self, ctx: Context, meeting_id: UUID, *, outcome_id: str, status: str, note: str = "",
                           expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.update_action_item(
            ctx, outcome_id=outcome_id, status=status, note=note))

    def communicate_outcome(self, ctx: Context, meeting_id: UUID, *, outcome_id: str, member_states: list[str],
                            expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.communicate_outcome(
            ctx, outcome_id=outcome_id, member_states=member_states))

    def hold_open_meeting(self, ctx: Context, meeting_id: UUID, *, outcome_ids: list[str], summary: str = "",
                          expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.hold_open_meeting(
            ctx, outcome_ids=outcome_ids, summary=summary))

    def cancel(self, ctx: Context, meeting_id: UUID, *, reason: str, expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.cancel(ctx, reason=reason))

    def postpone(self, ctx: Context, meeting_id: UUID, *, reason: str, starts_at: datetime | None = None,
                 ends_at: datetime | None = None, expected_version: int | None = None) -> Meeting:
        return self._step(meeting_id, expected_version, lambda meeting: meeting.postpone(
            ctx, reason=reason, starts_at=starts_at, ends_at=ends_at))

    # -- queries --------------------------------------------------------------------------

    def get_group(self, group_id: UUID) -> WorkingGroup:
        return self.load(WorkingGroup, group_id)

    def find_group(self, group_id: UUID) -> WorkingGroup | None:
        return self.index.find(WorkingGroup, group_id)

    def list_groups(self) -> list[WorkingGroup]:
        return sorted(self.index.all(WorkingGroup), key=lambda g: (g.name, str(g.id)))

    def get_meeting(self, meeting_id: UUID) -> Meeting:
        return self.load(Meeting, meeting_id)

    def meetings(self, *, group_id: UUID | None = None) -> list[Meeting]:
        found = [m for m in self.index.all(Meeting) if group_id is None or m.group_id == group_id]
        return sorted(found, key=lambda m: (m.starts_at or m.scheduled_at, str(m.id)))

    def upcoming(self, *, group_id: UUID | None = None, now: datetime | None = None) -> list[Meeting]:
        """The published schedule: meetings not yet held, cancelled or postponed without dates,
        that have not ended."""
        now = now or datetime.now(timezone.utc)
        return [
            m for m in self.meetings(group_id=group_id)
            if m.status in (MeetingStatus.SCHEDULED, MeetingStatus.ANNOUNCED) and m.ends_at and m.ends_at >= now
        ]

    def awaiting(self, what: str, *, group_id: UUID | None = None) -> list[Meeting]:
        """Meetings awaiting ``report_to_committee``, ``documents``, ``announcement`` or
        ``outcome_approval``."""
        return [m for m in self.meetings(group_id=group_id) if what in m.awaiting()]

    def outcomes_awaiting_approval(self, *, group_id: UUID | None = None) -> list[tuple[Meeting, Any]]:
        return [(m, o) for m in self.meetings(group_id=group_id) for o in m.before_the_committee()]
