"""The visits service's nameko entrypoints: HTTP JSON API and RPC, each a call into VisitsAPI.

Run: ``nameko run --config services/visits/config.yml visits.service`` (``fieldwork up`` does).
"""
from __future__ import annotations

from nameko.rpc import rpc
from shared.web import http
from werkzeug.wrappers import Response

from shared.auth import COORDINATION, DONORS, STAFF
from shared import openapi
from shared.http import actor_of, identity_of, json_endpoint, json_response, read_json
from visits.dependencies import VisitsRuntime


class VisitsService:
    name = "visits"

    api = VisitsRuntime()

    # -- HTTP ---------------------------------------------------------------------------

    @http("GET", "/health")
    def health(self, request):
        healthy, report = self.api.health()
        return json_response(200 if healthy else 503, report)

    @http("GET", "/openapi.json")
    @json_endpoint()
    def http_openapi(self, request):
        """This API's OpenAPI 3.0 description, built from the service's own input schemas."""
        return 200, openapi.document("visits")

    @http("POST", "/visits")
    @json_endpoint(*COORDINATION)
    def http_propose_visit(self, request):
        view = self.api.propose_visit(read_json(request), actor_of(request))
        return json_response(201, view, {"Location": f"/visits/{view['id']}"})

    @http("GET", "/visits")
    @json_endpoint(*STAFF)
    def http_list_visits(self, request):
        return 200, self.api.list_visits(request.args.to_dict())

    @http("GET", "/visits/<string:visit_id>")
    @json_endpoint(*STAFF)
    def http_get_visit(self, request, visit_id):
        return 200, self.api.get_visit(visit_id)

    @http("GET", "/visits/<string:visit_id>/history")
    @json_endpoint(*STAFF)
    def http_visit_history(self, request, visit_id):
        return 200, self.api.visit_history(visit_id)

    @http("POST", "/visits/<string:visit_id>/<string:command>")
    @json_endpoint(*COORDINATION)
    def http_execute(self, request, visit_id, command):
        return 200, self.api.execute(visit_id, command, read_json(request), actor_of(request))

    @http("GET", "/donor/shares")
    @json_endpoint(*DONORS)
    def http_donor_shares(self, request):
        return 200, self.api.donor_view(identity_of(request).donor_id)

    @http("GET", "/whoami")
    @json_endpoint(*STAFF, *DONORS)
    def http_whoami(self, request):
        """Who the token says the caller is (for the web console's sign-in)."""
        identity = identity_of(request)
        return 200, {"user": identity.user, "role": identity.role, "token_id": identity.token_id,
                     "groups": list(identity.groups), "donor_id": identity.donor_id}

    @http("GET", "/donor/shares/<string:share_id>/iati.xml")
    @json_endpoint(*DONORS)
    def http_donor_share_iati_xml(self, request, share_id):
        body, content_type = self.api.donor_share_iati(identity_of(request).donor_id, share_id, True)
        return Response(body, content_type=content_type)

    @http("GET", "/donor/shares/<string:share_id>/iati.json")
    @json_endpoint(*DONORS)
    def http_donor_share_iati_json(self, request, share_id):
        body, content_type = self.api.donor_share_iati(identity_of(request).donor_id, share_id, False)
        return Response(body, content_type=content_type)

    @http("GET", "/visits/<string:visit_id>/donor-matches")
    @json_endpoint(*STAFF)
    def http_donor_matches(self, request, visit_id):
        return 200, self.api.donor_matches(visit_id)

    @http("GET", "/commands")
    @json_endpoint(*STAFF)
    def http_commands(self, request):
        return 200, self.api.commands()

    @http("POST", "/donors")
    @json_endpoint(*COORDINATION)
    def http_register_donor(self, request):
        view = self.api.register_donor(read_json(request), actor_of(request))
        return json_response(201, view, {"Location": f"/donors/{view['id']}"})

    @http("GET", "/donors")
    @json_endpoint(*STAFF)
    def http_list_donors(self, request):
        return 200, self.api.list_donors()

    @http("GET", "/donors/<string:donor_id>")
    @json_endpoint(*STAFF)
    def http_get_donor(self, request, donor_id):
        return 200, self.api.get_donor(donor_id)

    @http("POST", "/donors/<string:donor_id>/update-interests")
    @json_endpoint(*COORDINATION)
    def http_update_donor(self, request, donor_id):
        return 200, self.api.update_donor_interests(donor_id, read_json(request), actor_of(request))

    # -- RPC ----------------------------------------------------------------------------

    @rpc
    def propose_visit(self, body, actor=None):
        return self.api.propose_visit(body, actor)

    @rpc
    def execute(self, visit_id, command, body, actor=None):
        return self.api.execute(visit_id, command, body, actor)

    @rpc
    def get_visit(self, visit_id):
        return self.api.get_visit(visit_id)

    @rpc
    def visit_history(self, visit_id):
        return self.api.visit_history(visit_id)

    @rpc
    def list_visits(self, filters=None):
        return self.api.list_visits(filters)

    @rpc
    def register_donor(self, body, actor=None):
        return self.api.register_donor(body, actor)

    @rpc
    def list_donors(self):
        return self.api.list_donors()
