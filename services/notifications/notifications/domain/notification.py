"""A notification: one message to one contact, for one cause (an event, or a due date an event
set). It is recorded before it is sent, and its id follows from its cause and its recipient, so
that a cause met twice (a redelivered event, a reminder sweep run again) records nothing twice.
Then each attempt to send it is recorded: sent, deferred (tried again later) or failed.
"""
from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid5

from eventsourcing.domain import event

from shared.domain import Context, RecordedAggregate
from shared.errors import RuleBroken

NOTIFICATION_IDS = UUID("3b0e9d2c-7a41-4f6e-b8d5-5c2a1e9f0d73")


class Notification(RecordedAggregate):
    kind = "notification"

    @staticmethod
    def id_for(cause_event_id: UUID, notice: str, contact_id: UUID) -> UUID:
        """One notification per cause, notice and recipient."""
        return uuid5(NOTIFICATION_IDS, f"{cause_event_id}/{notice}/{contact_id}")

    @event("NotificationRecorded")
    def __init__(self, id: UUID, ctx: Context, cause_event_id: UUID, cause_event_type: str,  # noqa: A002
                 notice: str, subject_kind: str, subject_id: UUID, committee: str, regarding_on: date,
                 contact_id: UUID, role: str, recipient: str, email: str, member_state: str | None,
                 organization: str, subject: str, text: str, html: str, attachments: list[dict]) -> None:
        self.cause_event_id = cause_event_id
        self.cause_event_type = cause_event_type
        self.notice = notice
        self.subject_kind = subject_kind
        self.subject_id = subject_id
        self.committee = committee
        self.regarding_on = regarding_on
        self.contact_id = contact_id
        self.role = role
        self.recipient = recipient
        self.email = email
        self.member_state = member_state
        self.organization = organization
        self.subject = subject
        self.text = text
        self.html = html
        self.attachments = list(attachments)
        self.recorded_at = ctx.occurred_at
        self.status = "recorded"  # recorded, deferred: to send; sent, failed: settled
        self.attempts = 0
        self.answer = ""
        self.next_attempt_at: datetime | None = ctx.occurred_at
        self.settled_at: datetime | None = None

    @property
    def pending(self) -> bool:
        return self.status in ("recorded", "deferred")

    def _require_pending(self) -> None:
        if not self.pending:
            raise RuleBroken("notification_settled_once", f"the notification was {self.status} already")

    def mark_sent(self, ctx: Context, *, attempt: int, answer: str) -> None:
        self._require_pending()
        self._sent(ctx, attempt, answer)

    @event("NotificationSent")
    def _sent(self, ctx: Context, attempt: int, answer: str) -> None:
        self.status, self.attempts, self.answer = "sent", attempt, answer
        self.next_attempt_at, self.settled_at = None, ctx.occurred_at

    def defer(self, ctx: Context, *, attempt: int, answer: str, next_attempt_at: datetime) -> None:
        self._require_pending()
        if next_attempt_at < ctx.occurred_at:
            raise RuleBroken("retry_after_attempt", "a deferred notification is tried again after the attempt")
        self._deferred(ctx, attempt, answer, next_attempt_at)

    @event("NotificationDeferred")
    def _deferred(self, ctx: Context, attempt: int, answer: str, next_attempt_at: datetime) -> None:
        self.status, self.attempts, self.answer, self.next_attempt_at = "deferred", attempt, answer, next_attempt_at

    def fail(self, ctx: Context, *, attempt: int, answer: str) -> None:
        self._require_pending()
        self._failed(ctx, attempt, answer)

    @event("NotificationFailed")
    def _failed(self, ctx: Context, attempt: int, answer: str) -> None:
        self.status, self.attempts, self.answer = "failed", attempt, answer
        self.next_attempt_at, self.settled_at = None, ctx.occurred_at
