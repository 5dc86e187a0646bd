"""The reporting service's long work, kept off its event loop: a report, a verification of the
projection against its log, a rebuild. Each runs in a worker process where the service has them
(``reporting.worker.Workers``, given by its runtime) and here otherwise (the CLI's local
commands, the unit tests); ``run_job`` is what runs a job, in the worker or here."""
from __future__ import annotations

import base64
from datetime import datetime, timezone
import threading
import time
from typing import Any, Callable

from shared.domain import committee_day
from shared.errors import InvalidInput
from shared.http import load
from reporting.document import file_stem
from reporting.formats import EXTENSIONS, FORMATS, render
from reporting.views import ReportQuery, period_of


def run_job(app: Any, job: str, args: dict, progress: Callable[[int], None] | None = None) -> Any:
    """One of the long jobs on ``app`` (a ReportingApplication), with what JSON carries in and out."""
    if job == "report":
        query = load(ReportQuery(), args)
        period = period_of(query)
        committee = query["committee"] or "both"
        # the date of issue: today in the Committee's time zone unless the query says
        issued_on = query["issued_on"] or committee_day(datetime.now(timezone.utc), None if committee == "both" else committee)
        report = app.report(query["kind"], period, query["as_of"], query["basis"], committee, issued_on, query["symbol"])
        name = f"{file_stem(report)}.{EXTENSIONS[query['format']]}"
        body = render(report, query["format"])
        return {"body": base64.b64encode(body).decode(), "content_type": FORMATS[query["format"]], "name": name}
    if job == "verify":
        return app.projection.verify()
    if job == "rebuild":
        return app.projection.rebuild(progress)
    raise ValueError(f"no job {job!r}")


class LongWork:
    """Reports, verify and rebuild for the service's entrypoints: a query in error is refused
    before any work; one rebuild at a time, its progress readable while it runs."""

    def __init__(self, app: Any, workers: Any = None) -> None:
        self.app = app
        self._workers = workers
        self._rebuild_lock = threading.Lock()
        self.rebuild_progress: dict[str, Any] = {"running": False, "done": 0, "total": 0}

    def _run(self, job: str, args: dict, progress: Callable[[int], None] | None = None) -> Any:
        if self._workers is None:
            return run_job(self.app, job, args, progress)
        return self._workers.run(job, args, progress)

    def report(self, query: dict) -> tuple[bytes, str, str]:
        """(body, content type, file name) of the report the query asks for."""
        cleaned = {k: v for k, v in (query or {}).items() if v not in (None, "")}
        if load(ReportQuery(), cleaned)["committee"] is None:
            raise InvalidInput({"committee": ["whose report: ctc, 1540, or both (both Committees together)"]})
        answer = self._run("report", cleaned)
        return base64.b64decode(answer["body"]), answer["content_type"], answer["name"]

    def verify(self) -> dict:
        differences = self._run("verify", {})
        return {"equal": not differences, "differences": differences[:100], **self.app.projection.provenance()}

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
