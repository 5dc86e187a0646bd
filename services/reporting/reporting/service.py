"""The reporting service's nameko entrypoints: HTTP and RPC over ReportingAPI. Events arrive
through the queue consumer that ReportingRuntime runs beside them.

Run: ``nameko run --config services/reporting/config.yml reporting.service`` (``fieldwork up`` does).
"""
from __future__ import annotations

from nameko.rpc import rpc
from shared.web import http
from werkzeug.wrappers import Response

from shared.auth import REPORTING
from shared import openapi
from shared.http import identity_of, json_endpoint, json_response, read_json
from reporting.dependencies import ReportingRuntime


class ReportingService:
    name = "reporting"

    api = ReportingRuntime()

    @http("GET", "/health")
    def health(self, request):
        healthy, report = self.api.health()
        return json_response(200 if healthy else 503, report)

    @http("GET", "/openapi.json")
    @json_endpoint()
    def http_openapi(self, request):
        """This API's OpenAPI 3.0 description, built from the service's own input schemas."""
        return 200, openapi.document("reporting")

    @http("GET", "/status")
    @json_endpoint(*REPORTING)
    def http_status(self, request):
        return 200, self.api.status()

    @http("GET", "/reports")
    @json_endpoint(*REPORTING)
    def http_report(self, request):
        body, content_type, name = self.api.report(request.args.to_dict())
        disposition = "inline" if content_type.startswith(("application/json", "text/html")) else "attachment"
        return Response(body, content_type=content_type,
                        headers={"Content-Disposition": f'{disposition}; filename="{name}"'})

    @http("GET", "/dead-letters")
    @json_endpoint(*REPORTING)
    def http_dead_letters(self, request):
        return 200, self.api.dead_letters(request.args.to_dict())

    @http("GET", "/dead-letters/<letter_id>")
    @json_endpoint(*REPORTING)
    def http_dead_letter(self, request, letter_id):
        return 200, self.api.dead_letter(letter_id)

    @http("POST", "/dead-letters/replay")
    @json_endpoint(*REPORTING)
    def http_replay_dead_letters(self, request):
        """Replay open dead letters through the intake; each replay's outcome is kept."""
        return 200, self.api.replay_dead_letters(read_json(request), identity_of(request).user)

    @http("POST", "/projections/rebuild")
    @json_endpoint(*REPORTING)
    def http_rebuild(self, request):
        return 200, self.api.rebuild()

    @http("GET", "/projections/rebuild")
    @json_endpoint(*REPORTING)
    def http_rebuild_progress(self, request):
        return 200, self.api.rebuild_progress

    @http("GET", "/projections/verify")
    @json_endpoint(*REPORTING)
    def http_verify(self, request):
        return 200, self.api.verify()

    @rpc
    def status(self):
        return self.api.status()

    @rpc
    def report(self, query):
        body, content_type, name = self.api.report(query)
        return {"content_type": content_type, "name": name,
                "body": body.decode() if not content_type.startswith("application/pdf") else None}
