"""What the reporting service offers reporting staff, in plain Python."""
from __future__ import annotations

import base64
import threading
import time
from typing import Any, Callable

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.commands import ServiceAPI
from shared.contract import fields as f
from shared.errors import InvalidInput, NotFound
from shared.http import load, parse_uuid
from reporting.application import BASES, ReportingApplication
from reporting.formats import FORMATS, render
from reporting.intake import LETTER_STATUSES
from reporting.reports import KINDS, Period, annual, semi_annual


class ReportQuery(Schema):
    """A report: its kind and period (``year`` with ``half`` for semi-annual; ``year`` with
    ``starts_in_month`` for annual, e.g. 6 for the 1540 programme year; or ``start``/``end``),
    format, and optionally as of a moment, by when things were recorded or happened."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    year = fields.Integer(load_default=None, validate=validate.Range(min=1945, max=2200))
    half = fields.Integer(load_default=None, validate=validate.OneOf([1, 2]))
    starts_in_month = fields.Integer(load_default=1, validate=validate.Range(min=1, max=12))
    start = f.date(required=False, load_default=None)
    end = f.date(required=False, load_default=None)
    format = fields.String(load_default="json", validate=validate.OneOf(list(FORMATS)))
    as_of = f.when(required=False, load_default=None)
    basis = fields.String(load_default="recorded", validate=validate.OneOf(BASES))

    @validates_schema
    def _period(self, data, **kwargs):
        if data.get("start") or data.get("end"):
            if not (data.get("start") and data.get("end")):
                raise ValidationError("give both start and end", "end")
            if data["end"] < data["start"]:
                raise ValidationError("end is before start", "end")
        elif data.get("year") is None:
            raise ValidationError("give year (and half for a semi-annual report), or start and end", "year")
        elif data["kind"] == "semi-annual" and data.get("half") is None:
            raise ValidationError("a semi-annual report needs half: 1 (January-June) or 2 (July-December)", "half")


class DeadLetterQuery(Schema):
    """Which dead letters to list, newest first."""

    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=10_000),
                           metadata={"description": "how many dead letters, newest first"})
    status = fields.String(load_default=None, validate=validate.OneOf(LETTER_STATUSES),
                           metadata={"description": "open (not yet dealt with) or dealt_with (a replay recorded it)"})
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                           metadata={"description": "only the letters of this reason"})


class ReplayRequest(Schema):
    """Which open dead letters to replay through the intake: one (``id``), all of one reason
    (``reason``), or all (``all``: true); exactly one of the three."""

    id = fields.UUID(load_default=None, metadata={"description": "one dead letter, by its id"})
    reason = fields.String(load_default=None, validate=validate.Length(min=1, max=100),
                           metadata={"description": "every open dead letter of this reason"})
    all = fields.Boolean(load_default=False, metadata={"description": "every open dead letter"})

    @validates_schema
    def _one(self, data, **kwargs):
        given = [name for name in ("id", "reason") if data.get(name) is not None] + (["all"] if data.get("all") else [])
        if len(given) != 1:
            raise ValidationError("give exactly one of id, reason or all: true", "body")


def period_of(query: dict) -> Period:
    if query.get("start"):
        return Period(query["start"], query["end"])
    if query["kind"] == "semi-annual":
        return semi_annual(query["year"], query["half"])
    return annual(query["year"], query["starts_in_month"])


class ReportingAPI(ServiceAPI):
    app: ReportingApplication

    def __init__(self, app: ReportingApplication, health: Callable[[], tuple[bool, dict]] | None = None,
                 status: Callable[[], dict] | None = None, workers: Any = None) -> None:
        super().__init__(app, health)
        self._status = status
        # where reports, verify and rebuild run: worker processes (reporting.worker.Workers)
        # in the service, so that they never hold its event loop; in process without them
        self._workers = workers
        self._rebuild_lock = threading.Lock()
        self.rebuild_progress: dict[str, Any] = {"running": False, "done": 0, "total": 0}

    # -- long work: in a worker process where the service has them ---------------------------

    def _run(self, job: str, args: dict, progress: Callable[[int], None] | None = None) -> Any:
        if self._workers is None:
            return self.run_job(job, args, progress)
        return self._workers.run(job, args, progress)

    def run_job(self, job: str, args: dict, progress: Callable[[int], None] | None = None) -> Any:
        """One of the long jobs, here, with what JSON carries in and out (reporting.worker)."""
        if job == "report":
            body, content_type, name = self._report_here(args)
            return {"body": base64.b64encode(body).decode(), "content_type": content_type, "name": name}
        if job == "verify":
            return self._verify_here()
        if job == "rebuild":
            return self.app.projection.rebuild(progress)
        raise ValueError(f"no job {job!r}")

    def _verify_here(self) -> list[str]:
        return self.app.projection.verify()

    def report(self, query: dict) -> tuple[bytes, str, str]:
        """(body, content type, file name) of the report the query asks for, built off the
        event loop; a query in error is refused here, before any work."""
        cleaned = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        load(ReportQuery(), cleaned)
        answer = self._run("report", cleaned)
        return base64.b64decode(answer["body"]), answer["content_type"], answer["name"]

    def _report_here(self, query: dict) -> tuple[bytes, str, str]:
        q = load(ReportQuery(), query)
        period = period_of(q)
        report = self.app.report(q["kind"], period, q["as_of"], q["basis"])
        name = f"{q['kind']}-report-{period.start.isoformat()}-{period.end.isoformat()}.{q['format']}"
        return render(report, q["format"]), FORMATS[q["format"]], name

    def status(self) -> dict:
        projection = self.app.projection
        stored = self.app.recorder.max_notification_id() or 0
        report = {
            "events_recorded": stored,
            "projection": {**projection.provenance(), "behind": max(0, stored - projection.position)},
            "intake": dict(self.app.intake.counts),
            "dead_letters": self.app.dead_letters.count_by_reason(),
            "open_dead_letters": self.app.dead_letters.count_by_reason(status="open"),
            "last_event_by_source": self.last_events(),
        }
        if self._status:
            report.update(self._status())
        return report

    def last_events(self) -> dict:
        """The newest recorded event of each source exchange (``Projection.latest``)."""
        return self.app.projection.latest()

    def dead_letters(self, query: dict) -> list[dict]:
        q = load(DeadLetterQuery(), {k: v for k, v in (query or {}).items() if v not in (None, "")})
        return self.app.dead_letters.list(q["limit"], status=q["status"], reason=q["reason"])

    def dead_letter(self, letter_id: str) -> dict:
        """One dead letter, its whole body and each replay's outcome."""
        letter = self.app.dead_letters.find(str(parse_uuid(letter_id, "dead letter")))
        if letter is None:
            raise NotFound("dead letter", letter_id)
        raw = base64.b64decode(letter.pop("body_base64"))
        return {**letter, "body": raw.decode("utf-8", errors="replace"), "body_bytes": len(raw),
                "replays": self.app.dead_letters.replays_of(letter["id"])}

    def replay_dead_letters(self, body: dict, by: str) -> dict:
        """Replay open dead letters through the normal intake (once their cause is fixed)."""
        q = load(ReplayRequest(), body)
        ident = str(q["id"]) if q["id"] else None
        if ident and self.app.dead_letters.find(ident) is None:
            raise NotFound("dead letter", ident)
        result = self.app.intake.replay(ident, q["reason"], by)
        self.app.projection.catch_up()
        return result

    def rebuild(self) -> dict:
        """Rebuild the projections from the reporting store; one at a time."""
        if not self._rebuild_lock.acquire(blocking=False):
            raise InvalidInput({"rebuild": ["a rebuild is already running"]})
        try:
            total = self.app.recorder.max_notification_id() or 0
            self.rebuild_progress.update(running=True, done=0, total=total)

            def advance(n: int) -> None:
                self.rebuild_progress["done"] += n
                time.sleep(0)  # in process: let a progress request be answered between batches

            applied = self._run("rebuild", {}, advance)
            return {"rebuilt_from_events": applied, **self.app.projection.provenance()}
        finally:
            self.rebuild_progress["running"] = False
            self._rebuild_lock.release()

    def verify(self) -> dict:
        differences = self._run("verify", {})
        return {"equal": not differences, "differences": differences[:100], **self.app.projection.provenance()}

