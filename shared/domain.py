"""Plain-Python building blocks that every service's domain uses.

Nothing here imports a framework: only the standard library and ``eventsourcing.domain``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
import calendar
import os
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from shared.errors import RuleBroken, VersionConflict


@dataclass(frozen=True)
class Context:
    """Who caused an event, when it happened, and which command (request) caused it.

    Every domain event carries one; it becomes the envelope's ``occurred_at``, ``actor`` and
    ``correlation_id``. ``occurred_at`` is when it happened as the user says, in UTC.
    ``command_id`` is new for each command (made when the context is, never in a mutator) and
    stored with its events, so that their ids (``event_id``) are never made again, even by a
    store restored from a backup that reuses their versions; events stored before it existed
    have none.
    """

    occurred_at: datetime
    user: str
    role: str
    correlation_id: str
    command_id: str = field(default_factory=lambda: uuid4().hex)
    # whether the user said when it happened (``occurred_at`` given), or it is the moment the
    # command came (not stored: it matters only while the command runs)
    stated: bool = field(default=True, compare=False)

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")
        object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(timezone.utc))


# Event ids are uuid5 names in this namespace (published in the contract: shared.contract.docs).
EVENT_ID_NAMESPACE = UUID("6f1c4c2e-5b0c-4f35-9a43-2f6a3c1f0e11")


def event_id(aggregate_id: UUID, version: int, command_id: str = "") -> UUID:
    """The id of the event stored at ``version`` of an aggregate by the command ``command_id``:
    the same on every re-publish (all three are stored), new for a command after a restore
    (which may store another event at a version already published). An event stored before
    command ids (``""``) keeps the id it always had, from the aggregate id and version alone."""
    if command_id:
        return uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}/{version}/{command_id}")
    return uuid5(EVENT_ID_NAMESPACE, f"{aggregate_id}/{version}")


# Meeting documents are circulated "to all Council delegations prior to meetings" (the 1540
# Committee's programme of work), which names no number of hours. One circulated less than the
# notice before its meeting starts counts as circulated late, wherever lateness is shown (a
# meeting's page, the reports, which state the notice they used): derived where it is read, from
# the circulation and the meeting's start as they now stand (a meeting moved later gives its
# documents more notice), never frozen into an event. The notice is a setting of each Committee,
# FIELDWORK_DOCUMENT_NOTICE_HOURS_CTC and FIELDWORK_DOCUMENT_NOTICE_HOURS_1540, 72 hours unless set.
DOCUMENT_NOTICE = timedelta(hours=72)


def document_notice(committee: str | None = None) -> timedelta:
    """The notice a meeting document of ``committee`` needs (its setting, else ``DOCUMENT_NOTICE``)."""
    setting = os.environ.get(f"FIELDWORK_DOCUMENT_NOTICE_HOURS_{(committee or '').upper()}", "").strip()
    return timedelta(hours=float(setting)) if setting else DOCUMENT_NOTICE


# Days (a visit's dates, a report's periods) are placed in the Committee's time zone: New York,
# where both Committees sit, unless FIELDWORK_TIME_ZONE_CTC / FIELDWORK_TIME_ZONE_1540 (or
# FIELDWORK_TIME_ZONE for both) say otherwise.
DEFAULT_TIME_ZONE = "America/New_York"


def committee_zone(committee: str | None = None) -> ZoneInfo:
    name = (os.environ.get(f"FIELDWORK_TIME_ZONE_{(committee or '').upper()}")
            or os.environ.get("FIELDWORK_TIME_ZONE") or DEFAULT_TIME_ZONE)
    return ZoneInfo(name)


def committee_day(moment: datetime, committee: str | None = None) -> date:
    """The day ``moment`` falls on in the Committee's time zone."""
    return moment.astimezone(committee_zone(committee)).date()


# A visit's report transmitted to the State asks for the State's factual observations within 30
# days and for its response on implementation within six months (customary: DOMAIN.md section 5).
# Both are settings of each Committee: FIELDWORK_OBSERVATIONS_DAYS_CTC / _1540 and
# FIELDWORK_RESPONSE_MONTHS_CTC / _1540. The dates follow from the day the report is transmitted
# and are recorded in its event: what the State was asked, whatever the settings become later.
OBSERVATIONS_DAYS = 30
RESPONSE_MONTHS = 6


def _setting(name: str, committee: str | None, default: int) -> int:
    value = os.environ.get(f"{name}_{(committee or '').upper()}", "").strip()
    return int(value) if value else default


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day where it is shorter: 31 August + 6
    months is 28 or 29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def state_answers_due(committee: str | None, transmitted_on: date) -> tuple[date, date]:
    """When the State's factual observations and its response on implementation are due, for a
    visit report of ``committee`` transmitted on ``transmitted_on``."""
    return (transmitted_on + timedelta(days=_setting("FIELDWORK_OBSERVATIONS_DAYS", committee, OBSERVATIONS_DAYS)),
            add_months(transmitted_on, _setting("FIELDWORK_RESPONSE_MONTHS", committee, RESPONSE_MONTHS)))


def next_numbers(prefix: str, taken, count: int = 1) -> list[str]:
    """``count`` ids a record gives the things a user did not name (``N4``, ``O2``): the
    prefix and the numbers after the highest it already gave (``taken``: every id in use or
    used before), so that an id never comes back meaning something else."""
    pattern = re.compile(rf"{re.escape(prefix)}(\d+)\Z")
    highest = max((int(m.group(1)) for m in map(pattern.match, taken) if m), default=0)
    return [f"{prefix}{highest + n}" for n in range(1, count + 1)]


def hours_before(moment: datetime, starts_at: datetime) -> float:
    """Hours from ``moment`` to ``starts_at``, to the hundredth (negative: after it)."""
    return round((starts_at - moment).total_seconds() / 3600, 2)


def circulated_late(circulated_at: datetime, starts_at: datetime, notice: timedelta = DOCUMENT_NOTICE) -> bool:
    """A document circulated less than ``notice`` before its meeting starts."""
    return hours_before(circulated_at, starts_at) < notice.total_seconds() / 3600


def _step_name(event_class_name: str) -> str:
    """``ConsentGranted`` -> ``consent_granted`` (the event's name on the wire)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", event_class_name).lower()


def _moment(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


class RecordedAggregate(Aggregate):
    """An aggregate whose every event carries a :class:`Context` as ``ctx``, and whose steps are
    kept in the order they happened: a step dated before the record's latest step is refused
    (rule ``steps_in_order``), whatever the step, so that no answer precedes its request and no
    duration a report measures is negative. ``latest_step_at`` and ``latest_step`` say when the
    latest step happened and which it was."""

    kind = "record"
    latest_step_at = None  # when the latest step happened (a datetime; None before the first)
    latest_step = ""  # which step it was (its event's name)

    class Event(Aggregate.Event):
        def apply(self, aggregate: RecordedAggregate) -> None:
            super().apply(aggregate)
            ctx = getattr(self, "ctx", None)
            if ctx is not None and (aggregate.latest_step_at is None or ctx.occurred_at >= aggregate.latest_step_at):
                aggregate.latest_step_at = ctx.occurred_at
                aggregate.latest_step = _step_name(type(self).__name__)

    def trigger_event(self, event_class: type, **kwargs: object) -> None:
        """Every new step of the record passes here (a replay does not): one dated before the
        latest step is refused, naming both."""
        ctx = kwargs.get("ctx")
        if isinstance(ctx, Context) and self.latest_step_at is not None and ctx.occurred_at < self.latest_step_at:
            if not ctx.stated:
                # "now", taken as the request came, but another command on the record was
                # stored first (they raced): this step happened now, after that one
                kwargs["ctx"] = replace(ctx, occurred_at=self.latest_step_at)
                return super().trigger_event(event_class, **kwargs)
            raise RuleBroken(
                "steps_in_order",
                f"{_step_name(event_class.__name__)} is dated {_moment(ctx.occurred_at)}, before the {self.kind}'s "
                f"latest step, {self.latest_step} of {_moment(self.latest_step_at)}",
            )
        super().trigger_event(event_class, **kwargs)

    def require_version(self, expected: int | None) -> None:
        """Optimistic concurrency asked for by the client: it read ``expected``."""
        if expected is not None and expected != self.version:
            raise VersionConflict(self.kind, self.id, expected, self.version)

