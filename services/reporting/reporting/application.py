"""The reporting service: what it recorded, its projections, and the reports built from them."""
from __future__ import annotations

from datetime import datetime

from shared.store import FieldworkApplication
from eventsourcing.persistence import Transcoder

from reporting.domain import ReceivedTranscoder
from reporting.intake import DeadLetters, Intake
from reporting.projection import Projection
from reporting.reports import Period, build_report


# "recorded": as the record stood (what the secretariat knew then); "occurred": as things were.
BASES = ("recorded", "occurred")


class ReportingApplication(FieldworkApplication):
    name = "reporting"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env=env)
        self.projection = Projection(self)
        self.dead_letters = DeadLetters(self)
        self.intake = Intake(self, self.dead_letters)

    def construct_transcoder(self) -> Transcoder:
        """The library's seam for how states are written: ``ReceivedTranscoder`` (unless the
        store's settings name another, ``TRANSCODER_TOPIC``), with the usual transcodings."""
        if self.env.get("TRANSCODER_TOPIC"):
            return super().construct_transcoder()
        transcoder = ReceivedTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def report(self, kind: str, period: Period, as_of: datetime | None = None, basis: str = "recorded") -> dict:
        """The report from the projection; ``as_of`` rebuilds the record as it stood then: by
        when events were recorded (what the secretariat knew then) or by when they happened."""
        # only the records of the period (and of the year before, which an annual report
        # compares with): by the day index, not every record
        periods = (period, period.previous_year()) if kind == "annual" else (period,)
        if as_of is None:
            self.projection.catch_up()
            provenance = {"as_of": None, "basis": "recorded", **self.projection.provenance()}
            return build_report(self.projection.records_for(*periods), kind, period, provenance)
        if basis not in BASES:
            raise ValueError(f"basis is one of {BASES}")
        records, used = self.projection.as_of(periods, as_of, basis)
        return build_report(records, kind, period, {"as_of": as_of.isoformat(), "basis": basis, **used})
