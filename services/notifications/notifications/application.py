"""The notifications service's use cases and queries: the directory (its command table), and the
notifications, from the events it receives to the messages it sends.

What comes in (``receive``): each event is folded into what the service knows of its visit or
meeting (``domain.subjects``, kept in the side table ``notification_subjects``), and each notice
it causes is recorded as one ``Notification`` per contact of its audience, before anything is
sent; only then is the subject's new state written. A crash between the two records nothing
twice: the event comes again, the same notices follow, and each notification's id (its cause,
notice and contact) is refused by the store the second time. A message that is not an event of
the contract is a dead letter (``notification_dead_letters``), with its reason, alone.

Reminders (``remind``) work the same way over the subjects with a due date near. Sending is the
sender's (``sender.py``), which records each attempt here.
"""
from __future__ import annotations

import hashlib
import json
import logging
from datetime import date, datetime, timezone
from typing import Any, Iterable
from uuid import UUID, uuid4

from shared.contract import ContractViolation, canonical_envelope, decode_message
from shared.domain import Context, committee_day
from shared.errors import RuleBroken
from shared.store import AggregateIndex, FieldworkApplication, SideTables
from notifications.domain import Contact, Notification
from notifications.domain.subjects import (
    SUBJECT_OF, Intent, Settings, mark_reminded, new_state, next_reminder_on, observe, reminders,
)
from notifications.messages import compose

log = logging.getLogger(__name__)

SYSTEM = {"user": "notifications", "role": "system"}
DEAD, RECORDED, IGNORED = "dead_letter", "recorded", "ignored"


def system_context(correlation_id: str, at: datetime | None = None) -> Context:
    return Context(occurred_at=at or datetime.now(timezone.utc), user=SYSTEM["user"], role=SYSTEM["role"],
                   correlation_id=correlation_id[:200] or uuid4().hex)


class NotificationsApplication(FieldworkApplication):
    name = "notifications"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.index = AggregateIndex(self, slim=_without_message)
        self.settings = Settings()  # the runtime's from the service's configuration
        self.sql = SideTables(self)
        self.subjects_table = self.sql.table("notification_subjects")
        self.dead_table = self.sql.table("notification_dead_letters")
        with self.sql.transaction() as c:
            c.execute(f"CREATE TABLE IF NOT EXISTS {self.subjects_table} (subject_id TEXT PRIMARY KEY, "
                      "kind TEXT NOT NULL, remind_on TEXT, state TEXT NOT NULL)")
            c.execute(f"CREATE INDEX IF NOT EXISTS notification_subjects_remind ON {self.subjects_table} (remind_on)")
            c.execute(f"CREATE TABLE IF NOT EXISTS {self.dead_table} (id TEXT PRIMARY KEY, received_at TEXT NOT NULL, "
                      "reason TEXT NOT NULL, detail TEXT NOT NULL, body TEXT NOT NULL)")

    # -- the directory (the command table: notifications.commands) ----------------------------------

    def list_contact(self, ctx: Context, *, contact_id: UUID | None = None, **fields: Any) -> Contact:
        """A contact once in a role: the same address in the same role for the same party and
        Committee, over days that overlap, is refused (``contact_listed_once``)."""
        for other in self.index.all(Contact):
            if (other.role, other.email.lower(), other.member_state, other.organization, other.donor_id,
                    other.committee) == (fields["role"], fields["email"].strip().lower(), fields.get("member_state"),
                                         fields.get("organization", ""), fields.get("donor_id"), fields["committee"]) \
                    and _overlap(other.since, other.until, fields["since"], fields.get("until")):
                raise RuleBroken("contact_listed_once", f"{fields['email']} is listed in this role already ({other.id})")
        contact = Contact.list(ctx, contact_id=contact_id or uuid4(), **fields)
        self.store(contact)
        return contact

    def change_contact(self, ctx: Context, contact_id: UUID, *, name: str, email: str,
                       expected_version: int | None = None) -> Contact:
        return self.update(Contact, contact_id, expected_version, lambda c: c.change(ctx, name=name, email=email))

    def end_contact(self, ctx: Context, contact_id: UUID, *, until: date, reason: str = "",
                    expected_version: int | None = None) -> Contact:
        return self.update(Contact, contact_id, expected_version, lambda c: c.end(ctx, until=until, reason=reason))

    def contacts(self, role: str | None = None, committee: str | None = None, member_state: str | None = None,
                 on: date | None = None) -> list[Contact]:
        found = [c for c in self.index.all(Contact)
                 if (role is None or c.role == role) and (committee is None or c.serves(committee))
                 and (member_state is None or c.member_state == member_state)
                 and (on is None or c.holds_role_on(on))]
        return sorted(found, key=lambda c: (c.role, c.member_state or "", c.organization, c.name.lower(), str(c.id)))

    def get_contact(self, contact_id: UUID) -> Contact:
        return self.load(Contact, contact_id)

    # -- what the service hears -----------------------------------------------------------------

    def receive(self, messages: Iterable[tuple[bytes, str | None]]) -> list[str]:
        """A decision per message: recorded (its notices, if any), ignored (an event the service
        has nothing to say of), or a dead letter. Raises if the store cannot be written: the
        consumer keeps the batch and tries it again."""
        decisions = []
        for body, content_type in messages:
            try:
                envelope = canonical_envelope(decode_message(body, content_type))  # JSON values, UTC
            except ContractViolation as violation:
                self._dead_letter(body, violation.reason, str(violation.detail or ""))
                decisions.append(DEAD)
                continue
            decisions.append(self.take(envelope, body))
        return decisions

    def take(self, envelope: dict, body: bytes = b"") -> str:
        """One event (its canonical JSON form): folded into its subject, its notices recorded.
        An event the fold or the messages cannot make sense of (a bug, not the store) is a dead
        letter with its reason, alone, rather than a message tried again for ever."""
        kind = SUBJECT_OF.get(envelope["event_type"])
        if kind is None:
            return IGNORED
        subject_id = envelope["aggregate_id"]
        try:
            state = self._subject(subject_id) or new_state(kind)
            group = self._subject(state.get("group_id") or envelope["payload"].get("group_id") or "") \
                if kind == "meeting" else None
            intents = observe(state, envelope, group=group, settings=self.settings)
            planned = self.plan(intents)
        except (KeyError, ValueError, TypeError, AttributeError) as error:
            self._dead_letter(body or json.dumps(envelope).encode(), "not_understood",
                              f"{envelope['event_type']} {envelope['event_id']}: {type(error).__name__}: {error}")
            return DEAD
        self.store_planned(planned)
        self._save_subject(subject_id, state)
        return RECORDED

    def record(self, intents: list[Intent], at: datetime | None = None) -> list[Notification]:
        """One notification per intent and contact of its audience, each stored unless it was
        stored before (its id follows from its cause)."""
        return self.store_planned(self.plan(intents, at))

    def plan(self, intents: list[Intent], at: datetime | None = None) -> list[Notification]:
        """The notifications the intents ask for and the store lacks, written but not stored."""
        planned: list[Notification] = []
        for intent in intents:
            for contact in self.audience(intent):
                ident = Notification.id_for(UUID(intent.cause_event_id), intent.notice, contact.id)
                if self.index.find(Notification, ident) is not None:
                    continue
                message = compose(intent.notice, intent.facts, recipient=contact.name, role=contact.role,
                                  subject_id=intent.subject_id)
                planned.append(Notification(
                    id=ident, ctx=system_context(intent.correlation_id, at), cause_event_id=UUID(intent.cause_event_id),
                    cause_event_type=intent.cause_event_type, notice=intent.notice, subject_kind=intent.subject_kind,
                    subject_id=UUID(intent.subject_id), committee=intent.audience.committee,
                    regarding_on=intent.regarding_on, contact_id=contact.id, role=contact.role,
                    recipient=contact.name, email=contact.email, member_state=contact.member_state,
                    organization=contact.organization, subject=message.subject, text=message.text,
                    html=message.html, attachments=message.attachments))
        return planned

    def store_planned(self, planned: list[Notification]) -> list[Notification]:
        made = []
        for notification in planned:
            try:
                self.store(notification)
            except RuleBroken as refused:
                if refused.rule != "ids_unique":
                    raise
                continue  # another replica, or this event before a crash, recorded it
            made.append(notification)
        return made

    def audience(self, intent: Intent) -> list[Contact]:
        a = intent.audience
        found = []
        for contact in self.contacts(role=a.kind, committee=a.committee, on=a.day):
            if a.kind in ("delegation", "secretariat"):
                found.append(contact)
            elif a.kind == "national_contact_point" and contact.member_state in a.states:
                found.append(contact)
            elif a.kind == "organization_focal_point" and contact.for_organization(a.organization):
                found.append(contact)
            elif a.kind == "donor_contact" and str(contact.donor_id) == str(a.donor_id):
                found.append(contact)
        return found

    # -- reminders ------------------------------------------------------------------------------

    def remind(self, now: datetime | None = None) -> int:
        """Record the reminders owed now (each once: its id follows from its due date's cause),
        then mark them reminded. Returns how many notifications were recorded."""
        now = now or datetime.now(timezone.utc)
        made = 0
        for subject_id, state in self._subjects_to_remind(now.date()):
            owed = reminders(state, subject_id, committee_day(now, state.get("committee")), self.settings)
            made += len(self.record([intent for _, _, intent in owed if intent is not None], now))
            self._mark_reminded(subject_id, [(key, when, state["dues"][key]) for key, when, _ in owed])
        return made

    def _mark_reminded(self, subject_id: str, marks: list[tuple[str, str, dict]]) -> None:
        """Mark the reminders recorded on the subject as it stands now, not as the sweep read
        it: an event folded meanwhile (the consent answered) is kept. A due replaced meanwhile
        (a new due date) keeps its own marks."""
        p = self.sql.param
        with self.sql.transaction() as c:
            lock = "" if self.sql.is_sqlite else " FOR UPDATE"
            c.execute(f"SELECT state FROM {self.subjects_table} WHERE subject_id = {p}{lock}", (str(subject_id),))
            row = c.fetchone()
            if row is None:
                return
            state = json.loads(row["state"])
            for key, when, due in marks:
                now_due = state["dues"].get(key)
                if now_due is not None and (now_due["cause"], now_due["due_on"]) == (due["cause"], due["due_on"]):
                    mark_reminded(state, key, when)
            remind_on = next_reminder_on(state, self.settings)
            c.execute(f"UPDATE {self.subjects_table} SET remind_on = {p}, state = {p} WHERE subject_id = {p}",
                      (remind_on.isoformat() if remind_on else None, json.dumps(state, separators=(",", ":")),
                       str(subject_id)))

    # -- the subjects ---------------------------------------------------------------------------

    def _subject(self, subject_id: str) -> dict | None:
        if not subject_id:
            return None
        p = self.sql.param
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT state FROM {self.subjects_table} WHERE subject_id = {p}", (str(subject_id),))
            row = c.fetchone()
        return json.loads(row["state"]) if row else None

    def _save_subject(self, subject_id: str, state: dict) -> None:
        p = self.sql.param
        remind_on = next_reminder_on(state, self.settings)
        with self.sql.transaction() as c:
            c.execute(f"INSERT INTO {self.subjects_table} (subject_id, kind, remind_on, state) VALUES ({p}, {p}, {p}, {p}) "
                      "ON CONFLICT (subject_id) DO UPDATE SET kind = excluded.kind, remind_on = excluded.remind_on, "
                      "state = excluded.state",
                      (str(subject_id), state["kind"], remind_on.isoformat() if remind_on else None,
                       json.dumps(state, separators=(",", ":"))))

    def _subjects_to_remind(self, today: date) -> list[tuple[str, dict]]:
        p = self.sql.param
        # a day ahead: the Committee's day may be tomorrow in UTC's terms
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT subject_id, state FROM {self.subjects_table} WHERE remind_on IS NOT NULL "
                      f"AND remind_on <= {p} ORDER BY subject_id", (date.fromordinal(today.toordinal() + 1).isoformat(),))
            return [(row["subject_id"], json.loads(row["state"])) for row in c.fetchall()]

    def subject(self, subject_id: UUID) -> dict | None:
        return self._subject(str(subject_id))

    # -- dead letters -----------------------------------------------------------------------------

    def _dead_letter(self, body: bytes, reason: str, detail: str) -> None:
        p = self.sql.param
        ident = hashlib.sha256(body).hexdigest()
        with self.sql.transaction() as c:
            c.execute(f"INSERT INTO {self.dead_table} (id, received_at, reason, detail, body) VALUES ({p}, {p}, {p}, {p}, {p}) "
                      "ON CONFLICT (id) DO NOTHING",
                      (ident, datetime.now(timezone.utc).isoformat(), reason, detail[:2000],
                       body.decode("utf-8", "replace")[:100_000]))
        log.warning("dead letter (%s): %s", reason, detail[:200])

    def dead_letters(self) -> list[dict]:
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT id, received_at, reason, detail FROM {self.dead_table} ORDER BY received_at")
            return [dict(row) for row in c.fetchall()]

    # -- notifications ------------------------------------------------------------------------------

    def notifications(self, subject_id: UUID | None = None, status: str | None = None,
                      notice: str | None = None, contact_id: UUID | None = None) -> list[Notification]:
        found = [n for n in self.index.all(Notification)
                 if (subject_id is None or n.subject_id == subject_id) and (status is None or n.status == status)
                 and (notice is None or n.notice == notice) and (contact_id is None or n.contact_id == contact_id)]
        return sorted(found, key=lambda n: (n.recorded_at, n.notice, n.recipient, str(n.id)))

    def get_notification(self, notification_id: UUID) -> Notification:
        return self.load(Notification, notification_id)

    def due(self, now: datetime, limit: int = 100) -> list[Notification]:
        """The notifications to try now (recorded, or deferred until now or before), whole: read
        from the store, their messages with them."""
        waiting = [n for n in self.index.all(Notification) if n.pending and n.next_attempt_at <= now]
        chosen = sorted(waiting, key=lambda n: (n.next_attempt_at, str(n.id)))[:limit]
        return [self.load(Notification, n.id) for n in chosen]

    def settle(self, notification_id: UUID, outcome: str, *, attempt: int, answer: str,
               next_attempt_at: datetime | None = None, at: datetime | None = None) -> Notification:
        """Record an attempt's outcome: ``sent``, ``deferred`` (until ``next_attempt_at``) or ``failed``."""
        def attempt_outcome(n: Notification) -> None:
            ctx = system_context(f"send-{n.id}", at)
            if outcome == "sent":
                n.mark_sent(ctx, attempt=attempt, answer=answer[:10_000])
            elif outcome == "deferred":
                n.defer(ctx, attempt=attempt, answer=answer[:10_000], next_attempt_at=next_attempt_at)
            else:
                n.fail(ctx, attempt=attempt, answer=answer[:10_000])
        return self.update(Notification, notification_id, None, attempt_outcome)


def _without_message(aggregate: Any) -> None:
    """A notification in the index keeps what the queries and the sender's choice need, not its
    message (``get_notification``, the sender: from the store), so that years of notifications
    hold little memory."""
    if isinstance(aggregate, Notification):
        aggregate.text = aggregate.html = ""
        aggregate.attachments = []


def _overlap(since: date, until: date | None, other_since: date, other_until: date | None) -> bool:
    return (other_until is None or since <= other_until) and (until is None or other_since <= until)

