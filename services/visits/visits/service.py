"""The visits service's nameko entrypoints: HTTP JSON API and RPC. Each reads its input, calls
the application (``self.app``) and answers with a view; the commands run through their table
(``visits.commands``), which says who may run each.

Run: ``nameko run --config services/visits/config.yml visits.service`` (``fieldwork up`` does).
"""
from __future__ import annotations

from urllib.parse import quote

from nameko.rpc import rpc
from werkzeug.wrappers import Response

from shared.auth import DONORS, STAFF
from shared.http import (
    actor_of, identity_of, json_endpoint, json_response, jsonable, load, parse_uuid, read_json,
    require_own_committee, require_sees,
)
from shared import runtime  # not its class by name: `nameko run` would take the base for a service too
from shared.web import http, upload
from shared.uploads import attach, download
from visits.commands import DONORS as DONOR_COMMANDS
from visits.commands import ORGANIZATIONS as ORGANIZATION_COMMANDS
from visits.commands import VISITS
from visits.dependencies import VisitsRuntime
from visits.documents import readable_file, visit_files
from visits.views import (
    VISIT_LISTING, OrganizationQuery, donor_share_view, donor_view, iati_document, list_filters, matches_view, organization_view,
    today, visit_page, visit_summary, visit_view,
)


class VisitsService(runtime.FieldworkService):
    name = "visits"

    app = VisitsRuntime()  # the VisitsApplication, built once per container, its outbox relay beside it

    # -- HTTP ---------------------------------------------------------------------------

    @http("POST", "/visits")
    @json_endpoint(*VISITS.create.roles)
    def http_propose_visit(self, request):
        body = read_json(request)
        require_own_committee(request, body.get("committee"))
        view = self.propose_visit(body, actor_of(request))
        return json_response(201, view, {"Location": f"/visits/{view['id']}"})

    @http("GET", "/visits")
    @json_endpoint(*STAFF)
    def http_list_visits(self, request):
        identity = identity_of(request)
        return 200, [v for v in self.list_visits(request.args.to_dict()) if identity.sees(v["committee"])]

    @http("GET", "/visits/<string:visit_id>")
    @json_endpoint(*STAFF)
    def http_get_visit(self, request, visit_id):
        return 200, visit_page(self._visible(request, visit_id), actor_of(request))

    @http("GET", "/visits/<string:visit_id>/history")
    @json_endpoint(*STAFF)
    def http_visit_history(self, request, visit_id):
        self._visible(request, visit_id)
        return 200, self.visit_history(visit_id)

    @http("POST", "/visits/<string:visit_id>/<string:command>")
    @json_endpoint(VISITS)
    def http_execute(self, request, visit_id, command):
        VISITS.step(command)  # an unknown command is bad input before anything else
        self._visible(request, visit_id)
        return 200, self.execute(visit_id, command, read_json(request), actor_of(request))

    @upload("POST", "/visits/<string:visit_id>/files")
    @json_endpoint(*VISITS["attach-file"].roles)
    def http_attach_file(self, request, visit_id):
        """A document of the visit as a file: the body is the file (a PDF, Word .docx or plain
        text, up to FIELDWORK_MAX_FILE_BYTES), the query string the ``attach-file`` command's fields."""
        self._visible(request, visit_id)
        visit = attach(VISITS, self.app, visit_id, request)
        view = visit_files(visit, identity_of(request))[-1]  # the file just attached
        return json_response(200, view, {"Location": view["url"]})

    @http("GET", "/visits/<string:visit_id>/files")
    @json_endpoint(*STAFF, *DONORS)
    def http_visit_files(self, request, visit_id):
        """The visit's files the caller may read: staff all, a donor what was shared with it."""
        return 200, visit_files(self._readable(request, visit_id), identity_of(request))

    @http("GET", "/visits/<string:visit_id>/files/<string:sha256>")
    @json_endpoint(*STAFF, *DONORS)
    def http_visit_file(self, request, visit_id, sha256):
        """One file's bytes, under its name, if the caller may read it."""
        visit = self._readable(request, visit_id)
        return download(readable_file(visit, identity_of(request), sha256), self.app.file(sha256))

    def _readable(self, request, visit_id: str):
        """The visit, to staff as ``_visible`` gives it; to a donor, as its files' rules say."""
        if identity_of(request).role in DONORS:
            return self.app.get_visit(parse_uuid(visit_id, "visit"))
        return self._visible(request, visit_id)

    def _visible(self, request, visit_id: str):
        """The visit, if the caller's token is for its Committee (else, to it, there is none)."""
        visit = self.app.get_visit(parse_uuid(visit_id, "visit"))
        require_sees(request, visit.committee, "visit", visit_id)
        return visit

    @http("GET", "/donor/shares")
    @json_endpoint(*DONORS)
    def http_donor_shares(self, request):
        donor_id = identity_of(request).donor_id
        shares = self.app.shares_with(parse_uuid(donor_id, "donor")) if donor_id else []
        return 200, jsonable([donor_share_view(visit, share) for visit, share in shares])

    @http("GET", "/whoami")
    @json_endpoint(*STAFF, *DONORS)
    def http_whoami(self, request):
        """Who the token says the caller is (for the web console's sign-in)."""
        identity = identity_of(request)
        return 200, {"user": identity.user, "role": identity.role, "token_id": identity.token_id,
                     "groups": list(identity.groups), "donor_id": identity.donor_id, "committee": identity.committee}

    @http("GET", "/donor/shares/<string:share_id>/iati.xml")
    @json_endpoint(*DONORS)
    def http_donor_share_iati_xml(self, request, share_id):
        body, content_type = self._iati(request, share_id, as_xml=True)
        return Response(body, content_type=content_type)

    @http("GET", "/donor/shares/<string:share_id>/iati.json")
    @json_endpoint(*DONORS)
    def http_donor_share_iati_json(self, request, share_id):
        body, content_type = self._iati(request, share_id, as_xml=False)
        return Response(body, content_type=content_type)

    def _iati(self, request, share_id: str, as_xml: bool) -> tuple[bytes, str]:
        """One share as an IATI 2.03 activity, for the donor it was shared with only."""
        donor_id = identity_of(request).donor_id
        visit, share, donor = self.app.share_with(parse_uuid(donor_id, "donor") if donor_id else None,
                                                  parse_uuid(share_id, "share"))
        return iati_document(visit, share, donor, as_xml)

    @http("GET", "/visits/<string:visit_id>/donor-matches")
    @json_endpoint(*STAFF)
    def http_donor_matches(self, request, visit_id):
        self._visible(request, visit_id)
        return 200, matches_view(*self.app.donor_matches(parse_uuid(visit_id, "visit")))

    @http("GET", "/commands")
    @json_endpoint(*STAFF)
    def http_commands(self, request):
        return 200, VISITS.fields()

    @http("POST", "/donors")
    @json_endpoint(*DONOR_COMMANDS.create.roles)
    def http_register_donor(self, request):
        view = self.register_donor(read_json(request), actor_of(request))
        return json_response(201, view, {"Location": f"/donors/{view['id']}"})

    @http("GET", "/donors")
    @json_endpoint(*STAFF)
    def http_list_donors(self, request):
        return 200, self.list_donors()

    @http("GET", "/donors/<string:donor_id>")
    @json_endpoint(*STAFF)
    def http_get_donor(self, request, donor_id):
        return 200, donor_view(self.app.get_donor(parse_uuid(donor_id, "donor")))

    @http("POST", "/donors/<string:donor_id>/update-interests")
    @json_endpoint(*DONOR_COMMANDS["update-interests"].roles)
    def http_update_donor(self, request, donor_id):
        donor = DONOR_COMMANDS.run(self.app, "update-interests", donor_id, read_json(request), actor_of(request))
        return 200, donor_view(donor)

    @http("POST", "/organizations")
    @json_endpoint(*ORGANIZATION_COMMANDS.create.roles)
    def http_register_organization(self, request):
        organization = ORGANIZATION_COMMANDS.run_create(self.app, read_json(request), actor_of(request))
        return json_response(201, organization_view(organization.entry, organization),
                             {"Location": f"/organizations?name={quote(organization.name)}"})

    @http("GET", "/organizations")
    @json_endpoint(*STAFF)
    def http_list_organizations(self, request):
        return 200, self.list_organizations(request.args.to_dict())

    # -- RPC (and what HTTP shares with it) -----------------------------------------------

    @rpc
    def list_organizations(self, filters=None):
        """The directory of organizations a visit invites from (``name``: the one it names)."""
        query = load(OrganizationQuery(), {k: v for k, v in (filters or {}).items() if v not in (None, "")})
        return [organization_view(*found) for found in self.app.list_organizations(query["name"])]

    @rpc
    def propose_visit(self, body, actor=None):
        return visit_view(VISITS.run_create(self.app, body, actor), today())

    @rpc
    def execute(self, visit_id, command, body, actor=None):
        return visit_view(VISITS.run(self.app, command, visit_id, body, actor), today())

    @rpc
    def get_visit(self, visit_id):
        return visit_page(self.app.get_visit(parse_uuid(visit_id, "visit")), None)

    @rpc
    def visit_history(self, visit_id):
        ident = parse_uuid(visit_id, "visit")
        self.app.get_visit(ident)  # 404 for an unknown visit
        return self.app.history(ident)

    @rpc
    def list_visits(self, filters=None):
        query = list_filters(filters)
        found = {name: query.pop(name) for name in ("q", "from_", "to", "sort")}
        return VISIT_LISTING.refine([visit_summary(v, query["today"]) for v in self.app.list_visits(**query)], found)

    @rpc
    def register_donor(self, body, actor=None):
        return donor_view(DONOR_COMMANDS.run_create(self.app, body, actor))

    @rpc
    def list_donors(self):
        return [donor_view(d) for d in self.app.list_donors()]
