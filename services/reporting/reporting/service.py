"""The reporting service's nameko entrypoints: HTTP and RPC, each a call into the application
(``self.app``; its long work in worker processes). Events arrive through the queue consumer
that ReportingRuntime runs beside them.

Run: ``nameko run --config services/reporting/config.yml reporting.service`` (``fieldwork up`` does).
"""
from __future__ import annotations

from nameko.rpc import rpc
from werkzeug.wrappers import Response

from shared.auth import REPORTING
from shared.errors import Forbidden
from shared.http import identity_of, json_endpoint, load, parse_uuid, read_json, require_own_committee
from shared import runtime  # not its class by name: `nameko run` would take the base for a service too
from shared.web import http
from reporting.dependencies import ReportingRuntime
from reporting.views import DeadLetterQuery, ReplayRequest, letter_view


def require_both_committees(request) -> None:
    """The dead letters (raw messages of either Committee's work) and the projection's rebuild
    and verification are the work of reporting staff of both Committees."""
    committee = identity_of(request).committee
    if committee is not None:
        raise Forbidden("both_committees_only",
                        f"this token is for the {committee} Committee's work; dead letters and the projection "
                        "are for a token of both Committees")


class ReportingService(runtime.FieldworkService):
    name = "reporting"

    app = ReportingRuntime()  # the ReportingApplication, its intake, projection and worker processes

    @http("GET", "/status")
    @json_endpoint(*REPORTING)
    def http_status(self, request):
        return 200, self.app.status()

    @http("GET", "/reports")
    @json_endpoint(*REPORTING)
    def http_report(self, request):
        query = request.args.to_dict()
        identity = identity_of(request)
        if identity.committee is not None:  # a token limited to one Committee: its own report only
            query.setdefault("committee", identity.committee)
            require_own_committee(request, query["committee"])
        body, content_type, name = self.app.long_work.report(query)
        disposition = "inline" if content_type.startswith(("application/json", "text/html")) else "attachment"
        return Response(body, content_type=content_type,
                        headers={"Content-Disposition": f'{disposition}; filename="{name}"'})

    @http("GET", "/dead-letters")
    @json_endpoint(*REPORTING)
    def http_dead_letters(self, request):
        require_both_committees(request)
        query = load(DeadLetterQuery(), {k: v for k, v in request.args.to_dict().items() if v not in (None, "")})
        return 200, self.app.dead_letters.list(query["limit"], status=query["status"], reason=query["reason"])

    @http("GET", "/dead-letters/<letter_id>")
    @json_endpoint(*REPORTING)
    def http_dead_letter(self, request, letter_id):
        require_both_committees(request)
        return 200, letter_view(*self.app.dead_letter(str(parse_uuid(letter_id, "dead letter"))))

    @http("POST", "/dead-letters/replay")
    @json_endpoint(*REPORTING)
    def http_replay_dead_letters(self, request):
        """Replay open dead letters through the intake; each replay's outcome is kept."""
        require_both_committees(request)
        query = load(ReplayRequest(), read_json(request))
        return 200, self.app.replay_dead_letters(str(query["id"]) if query["id"] else None, query["reason"],
                                                 identity_of(request).user)

    @http("POST", "/projections/rebuild")
    @json_endpoint(*REPORTING)
    def http_rebuild(self, request):
        require_both_committees(request)
        return 200, self.app.long_work.rebuild()

    @http("GET", "/projections/rebuild")
    @json_endpoint(*REPORTING)
    def http_rebuild_progress(self, request):
        return 200, self.app.long_work.rebuild_progress

    @http("GET", "/projections/verify")
    @json_endpoint(*REPORTING)
    def http_verify(self, request):
        require_both_committees(request)
        return 200, self.app.long_work.verify()

    @rpc
    def status(self):
        return self.app.status()

    @rpc
    def report(self, query):
        body, content_type, name = self.app.long_work.report(query)
        text = content_type.startswith(("application/json", "text/"))
        return {"content_type": content_type, "name": name, "body": body.decode() if text else None}
