"""The meetings service's nameko entrypoints: HTTP JSON API and RPC, each a call into MeetingsAPI.

Run: ``nameko run --config services/meetings/config.yml meetings.service`` (``fieldwork up`` does).
"""
from __future__ import annotations

from nameko.rpc import rpc
from shared.web import http
from werkzeug.wrappers import Response

from shared.auth import CHAIRS, SECRETARIAT, STAFF
from shared import openapi
from shared.http import actor_of, json_endpoint, json_response, read_json
from meetings.dependencies import MeetingsRuntime


class MeetingsService:
    name = "meetings"

    api = MeetingsRuntime()

    # -- HTTP ---------------------------------------------------------------------------

    @http("GET", "/health")
    def health(self, request):
        healthy, report = self.api.health()
        return json_response(200 if healthy else 503, report)

    @http("GET", "/openapi.json")
    @json_endpoint()
    def http_openapi(self, request):
        """This API's OpenAPI 3.0 description, built from the service's own input schemas."""
        return 200, openapi.document("meetings")

    @http("POST", "/groups")
    @json_endpoint(*SECRETARIAT)
    def http_establish_group(self, request):
        view = self.api.establish_group(read_json(request), actor_of(request))
        return json_response(201, view, {"Location": f"/groups/{view['id']}"})

    @http("POST", "/groups/load-reference")
    @json_endpoint(*SECRETARIAT)
    def http_load_reference_groups(self, request):
        return 200, self.api.load_reference_groups(actor_of(request))

    @http("GET", "/groups")
    @json_endpoint(*STAFF)
    def http_list_groups(self, request):
        return 200, self.api.list_groups()

    @http("GET", "/groups/<string:group_id>")
    @json_endpoint(*STAFF)
    def http_get_group(self, request, group_id):
        return 200, self.api.get_group(group_id)

    @http("POST", "/groups/<string:group_id>/assign-chair")
    @json_endpoint(*SECRETARIAT)
    def http_assign_chair(self, request, group_id):
        return 200, self.api.assign_chair(group_id, read_json(request), actor_of(request))

    @http("POST", "/meetings")
    @json_endpoint(*SECRETARIAT)
    def http_schedule_meeting(self, request):
        view = self.api.schedule_meeting(read_json(request), actor_of(request))
        return json_response(201, view, {"Location": f"/meetings/{view['id']}"})

    @http("GET", "/meetings")
    @json_endpoint(*STAFF)
    def http_list_meetings(self, request):
        return 200, self.api.list_meetings(request.args.to_dict())

    @http("GET", "/meetings/<string:meeting_id>")
    @json_endpoint(*STAFF)
    def http_get_meeting(self, request, meeting_id):
        return 200, self.api.get_meeting(meeting_id)

    @http("GET", "/meetings/<string:meeting_id>/history")
    @json_endpoint(*STAFF)
    def http_meeting_history(self, request, meeting_id):
        return 200, self.api.meeting_history(meeting_id)

    @http("POST", "/meetings/<string:meeting_id>/<string:command>")
    @json_endpoint(*SECRETARIAT, *CHAIRS)
    def http_execute(self, request, meeting_id, command):
        return 200, self.api.execute(meeting_id, command, read_json(request), actor_of(request))

    @http("GET", "/schedule")
    @json_endpoint()
    def http_schedule(self, request):
        return 200, self.api.schedule(request.args.to_dict())

    @http("GET", "/schedule.ics")
    @json_endpoint()
    def http_schedule_ics(self, request):
        return Response(self.api.schedule_ics(request.args.to_dict()), mimetype="text/calendar")

    @http("GET", "/outcomes/awaiting-approval")
    @json_endpoint(*STAFF)
    def http_outcomes_awaiting_approval(self, request):
        return 200, self.api.outcomes_awaiting_approval(request.args.to_dict())

    @http("GET", "/commands")
    @json_endpoint(*STAFF)
    def http_commands(self, request):
        return 200, self.api.commands()

    # -- RPC ----------------------------------------------------------------------------

    @rpc
    def establish_group(self, body, actor=None):
        return self.api.establish_group(body, actor)

    @rpc
    def assign_chair(self, group_id, body, actor=None):
        return self.api.assign_chair(group_id, body, actor)

    @rpc
    def load_reference_groups(self, actor=None):
        return self.api.load_reference_groups(actor)

    @rpc
    def list_groups(self):
        return self.api.list_groups()

    @rpc
    def schedule_meeting(self, body, actor=None):
        return self.api.schedule_meeting(body, actor)

    @rpc
    def execute(self, meeting_id, command, body, actor=None):
        return self.api.execute(meeting_id, command, body, actor)

    @rpc
    def get_meeting(self, meeting_id):
        return self.api.get_meeting(meeting_id)

    @rpc
    def list_meetings(self, filters=None):
        return self.api.list_meetings(filters)

    @rpc
    def schedule(self, filters=None):
        return self.api.schedule(filters)

    @rpc
    def outcomes_awaiting_approval(self, filters=None):
        return self.api.outcomes_awaiting_approval(filters)
