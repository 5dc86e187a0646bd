"""The reporting service: what it recorded, its projections, and the reports built from them."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Callable

from shared.store import FieldworkApplication
from eventsourcing.persistence import Transcoder

from reporting.domain import ReceivedTranscoder
from shared.domain import committee_zone
from shared.errors import NotFound
from reporting.intake import DeadLetters, Intake
from reporting.projection import Projection
from reporting.long_work import LongWork
from reporting.reports import BASES, Period, build_report


class ReportingApplication(FieldworkApplication):
    name = "reporting"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.projection = Projection(self)
        self.dead_letters = DeadLetters(self)
        self.intake = Intake(self, self.dead_letters)
        # What only a running service has, given by its runtime (reporting.dependencies): the
        # worker processes its long work runs in, and the broker's and consumers' state.
        self.long_work = LongWork(self)
        self.runtime_status: Callable[[], dict] = dict

    def construct_transcoder(self) -> Transcoder:
        """The library's seam for how states are written: ``ReceivedTranscoder`` (unless the
        store's settings name another, ``TRANSCODER_TOPIC``), with the usual transcodings."""
        if self.env.get("TRANSCODER_TOPIC"):
            return super().construct_transcoder()
        transcoder = ReceivedTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def report(self, kind: str, period: Period, as_of: datetime | None = None, basis: str = "recorded",
               committee: str = "both", issued_on: date | None = None, symbol: str | None = None) -> dict:
        """The report from the projection; ``as_of`` rebuilds the record as it stood then: by
        when events were recorded (what the secretariat knew then) or by when they happened."""
        # the Committee's days (its time zone: New York unless set), both Committees' in the
        # system's zone
        period = replace(period, zone=committee_zone(None if committee == "both" else committee).key)
        # only the records of the period (and of the year before, which an annual report
        # compares with): by the day index, not every record
        periods = (period, period.previous_year()) if kind == "annual" else (period,)
        if as_of is None:
            self.projection.catch_up()
            provenance = {"as_of": None, "basis": "recorded", **self.projection.provenance()}
            return build_report(self.projection.records_for(*periods), kind, period, provenance, committee,
                                issued_on, symbol)
        if basis not in BASES:
            raise ValueError(f"basis is one of {BASES}")
        records, used = self.projection.as_of(periods, as_of, basis)
        return build_report(records, kind, period, {"as_of": as_of.isoformat(), "basis": basis, **used}, committee,
                            issued_on, symbol)

    # -- what the reporting staff read and do -------------------------------------------------

    def status(self) -> dict:
        """Events recorded, the projection's provenance and lag, the intake's counts, the dead
        letters by reason, the newest event of each source, and the runtime's state."""
        projection = self.projection
        stored = self.recorder.max_notification_id() or 0
        return {
            "events_recorded": stored,
            "projection": {**projection.provenance(), "behind": max(0, stored - projection.position)},
            "intake": dict(self.intake.counts),
            "dead_letters": self.dead_letters.count_by_reason(),
            "open_dead_letters": self.dead_letters.count_by_reason(status="open"),
            "last_event_by_source": self.last_events(),
            **self.runtime_status(),
        }

    def last_events(self) -> dict:
        """The newest recorded event of each source exchange (``Projection.latest``)."""
        return self.projection.latest()

    def dead_letter(self, letter_id: str) -> tuple[dict, list[dict]]:
        """One dead letter and each replay's outcome."""
        letter = self.dead_letters.find(letter_id)
        if letter is None:
            raise NotFound("dead letter", letter_id)
        return letter, self.dead_letters.replays_of(letter["id"])

    def replay_dead_letters(self, letter_id: str | None, reason: str | None, by: str) -> dict:
        """Replay open dead letters (one, all of one reason, or all) through the normal intake,
        once their cause is fixed; each replay's outcome is kept."""
        if letter_id and self.dead_letters.find(letter_id) is None:
            raise NotFound("dead letter", letter_id)
        result = self.intake.replay(letter_id, reason, by)
        self.projection.catch_up()
        return result
