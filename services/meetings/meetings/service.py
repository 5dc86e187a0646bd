"""The meetings service's nameko entrypoints: HTTP JSON API and RPC. Each reads its input, calls
the application (``self.app``) and answers with a view; the commands run through their tables
(``meetings.commands``), which say who may run each.

Run: ``nameko run --config services/meetings/config.yml meetings.service`` (``fieldwork up`` does).
"""
from __future__ import annotations

from uuid import UUID

from nameko.rpc import rpc
from werkzeug.wrappers import Response

from shared.auth import STAFF
from shared.commands import CommandFields
from shared.http import (
    actor_of, context_for, identity_of, json_endpoint, json_response, load, parse_uuid, read_json,
    require_own_committee, require_sees,
)
from shared import runtime  # not its class by name: `nameko run` would take the base for a service too
from shared.web import http, upload
from shared.uploads import attach, download, find_file
from meetings.calendar import calendar_of
from meetings.commands import GROUPS, MEETINGS, MEMBERSHIPS
from meetings.dependencies import MeetingsRuntime
from meetings.documents import meeting_files
from meetings.domain import CommitteeMembership
from meetings.views import (
    BY_GROUP, MEETING_LISTING, MeetingFilters, group_view, meeting_page, meeting_summary, meeting_view, membership_view,
    outcome_awaiting_view, read_filters,
)


LOAD_REFERENCE = CommandFields(only=("occurred_at",))  # when the groups loaded now were established


class MeetingsService(runtime.FieldworkService):
    name = "meetings"

    app = MeetingsRuntime()  # the MeetingsApplication, built once per container, its outbox relay beside it

    def _groups(self) -> dict:
        return {g.id: g for g in self.app.list_groups()}

    def _view(self, meeting) -> dict:
        return meeting_view(meeting, self.app.find_group(meeting.group_id))

    # -- HTTP ---------------------------------------------------------------------------

    @http("POST", "/groups")
    @json_endpoint(*GROUPS.create.roles)
    def http_establish_group(self, request):
        body = read_json(request)
        require_own_committee(request, body.get("committee"))
        view = self.establish_group(body, actor_of(request))
        return json_response(201, view, {"Location": f"/groups/{view['id']}"})

    @http("POST", "/groups/load-reference")
    @json_endpoint(*GROUPS.create.roles)
    def http_load_reference_groups(self, request):
        require_own_committee(request, "1540")  # the 1540 Committee's four working groups
        return 200, self.load_reference_groups(actor_of(request), read_json(request))

    @http("GET", "/groups")
    @json_endpoint(*STAFF)
    def http_list_groups(self, request):
        identity = identity_of(request)
        return 200, [g for g in self.list_groups() if identity.sees(g["committee"])]

    @http("GET", "/groups/<string:group_id>")
    @json_endpoint(*STAFF)
    def http_get_group(self, request, group_id):
        return 200, group_view(self._visible_group(request, group_id))

    @http("POST", "/groups/<string:group_id>/assign-chair")
    @json_endpoint(*GROUPS["assign-chair"].roles)
    def http_assign_chair(self, request, group_id):
        self._visible_group(request, group_id)
        return 200, self.assign_chair(group_id, read_json(request), actor_of(request))

    @http("POST", "/meetings")
    @json_endpoint(*MEETINGS.create.roles)
    def http_schedule_meeting(self, request):
        body = read_json(request)
        try:  # a group_id that is no UUID is the input's field error, below
            group = self.app.find_group(UUID(str(body.get("group_id"))))
        except ValueError:
            group = None
        if group is not None:  # a group of another Committee: to this caller, no group
            require_sees(request, group.committee, "working_group", group.id)
        view = self.schedule_meeting(body, actor_of(request))
        return json_response(201, view, {"Location": f"/meetings/{view['id']}"})

    @http("GET", "/meetings")
    @json_endpoint(*STAFF)
    def http_list_meetings(self, request):
        identity = identity_of(request)
        return 200, [m for m in self.list_meetings(request.args.to_dict()) if identity.sees(m["committee"])]

    @http("GET", "/meetings/<string:meeting_id>")
    @json_endpoint(*STAFF)
    def http_get_meeting(self, request, meeting_id):
        meeting, group = self._visible_meeting(request, meeting_id)
        return 200, meeting_page(meeting, group, actor_of(request))

    @http("GET", "/meetings/<string:meeting_id>/history")
    @json_endpoint(*STAFF)
    def http_meeting_history(self, request, meeting_id):
        meeting, _ = self._visible_meeting(request, meeting_id)  # 404 for an unknown meeting
        return 200, self.app.history(meeting.id)

    @upload("POST", "/meetings/<string:meeting_id>/files")
    @json_endpoint(*MEETINGS["attach-file"].roles)
    def http_attach_file(self, request, meeting_id):
        """A circulated document's file: the body is the file (a PDF, Word .docx or plain text, up
        to FIELDWORK_MAX_FILE_BYTES), the query string the ``attach-file`` command's fields."""
        self._visible_meeting(request, meeting_id)
        meeting = attach(MEETINGS, self.app, meeting_id, request)
        view = meeting_files(meeting)[-1]  # the file just attached
        return json_response(200, view, {"Location": view["url"]})

    @http("GET", "/meetings/<string:meeting_id>/files")
    @json_endpoint(*STAFF)
    def http_meeting_files(self, request, meeting_id):
        meeting, _ = self._visible_meeting(request, meeting_id)
        return 200, meeting_files(meeting)

    @http("GET", "/meetings/<string:meeting_id>/files/<string:sha256>")
    @json_endpoint(*STAFF)
    def http_meeting_file(self, request, meeting_id, sha256):
        """One file's bytes, under its name (who may read the meeting may read its files)."""
        meeting, _ = self._visible_meeting(request, meeting_id)
        return download(find_file(meeting.files, sha256, "meeting", meeting_id), self.app.file(sha256))

    @http("POST", "/meetings/<string:meeting_id>/<string:command>")
    @json_endpoint(MEETINGS)
    def http_execute(self, request, meeting_id, command):
        MEETINGS.step(command)  # an unknown command is bad input before anything else
        self._visible_meeting(request, meeting_id)
        return 200, self.execute(meeting_id, command, read_json(request), actor_of(request))

    def _visible_group(self, request, group_id: str):
        """The group, if the caller's token is for its Committee (else, to it, there is none)."""
        group = self.app.get_group(parse_uuid(group_id, "working_group"))
        require_sees(request, group.committee, "working_group", group_id)
        return group

    def _visible_meeting(self, request, meeting_id: str):
        """The meeting and its group, if the caller's token is for the group's Committee."""
        meeting = self.app.get_meeting(parse_uuid(meeting_id, "meeting"))
        group = self.app.find_group(meeting.group_id)
        require_sees(request, group.committee if group else None, "meeting", meeting_id)
        return meeting, group

    @http("GET", "/schedule")
    @json_endpoint()
    def http_schedule(self, request):
        return 200, self.schedule(request.args.to_dict())

    @http("GET", "/schedule.ics")
    @json_endpoint()
    def http_schedule_ics(self, request):
        wanted = read_filters(BY_GROUP, request.args.to_dict())
        return Response(calendar_of(self.app, wanted["group_id"], wanted["committee"]), mimetype="text/calendar")

    @http("GET", "/outcomes/awaiting-approval")
    @json_endpoint(*STAFF)
    def http_outcomes_awaiting_approval(self, request):
        identity = identity_of(request)
        return 200, [o for o in self.outcomes_awaiting_approval(request.args.to_dict()) if identity.sees(o["committee"])]

    @http("POST", "/memberships")
    @json_endpoint(*MEMBERSHIPS.create.roles)
    def http_record_membership(self, request):
        body = read_json(request)
        require_own_committee(request, body.get("committee"))
        view = membership_view(MEMBERSHIPS.run_create(self.app, body, actor_of(request)))
        return json_response(201, view, {"Location": f"/memberships/{view['id']}"})

    @http("GET", "/memberships")
    @json_endpoint(*STAFF)
    def http_memberships(self, request):
        identity = identity_of(request)
        return 200, [membership_view(m) for m in self.app.memberships() if identity.sees(m.committee)]

    @http("POST", "/memberships/<string:membership_id>/<string:command>")
    @json_endpoint(MEMBERSHIPS)
    def http_membership_step(self, request, membership_id, command):
        MEMBERSHIPS.step(command)
        membership = self.app.load(CommitteeMembership, parse_uuid(membership_id, "committee_membership"))
        require_sees(request, membership.committee, "committee_membership", membership_id)
        return 200, membership_view(MEMBERSHIPS.run(self.app, command, membership_id, read_json(request),
                                                    actor_of(request)))

    @http("GET", "/commands")
    @json_endpoint(*STAFF)
    def http_commands(self, request):
        return 200, MEETINGS.fields()

    # -- RPC (and what HTTP shares with it) -----------------------------------------------

    @rpc
    def establish_group(self, body, actor=None):
        return group_view(GROUPS.run_create(self.app, body, actor))

    @rpc
    def assign_chair(self, group_id, body, actor=None):
        return group_view(GROUPS.run(self.app, "assign-chair", group_id, body, actor))

    @rpc
    def load_reference_groups(self, actor=None, body=None):
        """The four working groups of the 1540 Committee (loading again changes nothing); those
        established now are dated ``occurred_at`` if the body gives one."""
        when = load(LOAD_REFERENCE, body or {})["occurred_at"]
        return self.app.load_reference_groups(context_for(actor, when))

    @rpc
    def list_groups(self):
        return [group_view(g) for g in self.app.list_groups()]

    @rpc
    def schedule_meeting(self, body, actor=None):
        return self._view(MEETINGS.run_create(self.app, body, actor))

    @rpc
    def execute(self, meeting_id, command, body, actor=None):
        return self._view(MEETINGS.run(self.app, command, meeting_id, body, actor))

    @rpc
    def get_meeting(self, meeting_id):
        return self._view(self.app.get_meeting(parse_uuid(meeting_id, "meeting")))

    @rpc
    def list_meetings(self, filters=None):
        wanted = read_filters(MeetingFilters(), filters)
        groups = self._groups()
        found = (self.app.awaiting(wanted["awaiting"], group_id=wanted["group_id"]) if wanted["awaiting"]
                 else self.app.meetings(group_id=wanted["group_id"]))
        views = [meeting_summary(m, groups.get(m.group_id), wanted["today"]) for m in found
                 if _of(groups.get(m.group_id), wanted["committee"])]
        return MEETING_LISTING.refine([v for v in views if v["action_items_overdue"]] if wanted["overdue"] else views,
                                      wanted)

    @rpc
    def schedule(self, filters=None):
        """The published schedule: upcoming meetings, per group or across groups."""
        groups = self._groups()
        wanted = read_filters(BY_GROUP, filters)
        upcoming = self.app.upcoming(group_id=wanted["group_id"])
        return [meeting_summary(m, groups.get(m.group_id)) for m in upcoming if _of(groups.get(m.group_id), wanted["committee"])]

    @rpc
    def outcomes_awaiting_approval(self, filters=None):
        wanted = read_filters(BY_GROUP, filters)
        groups = self._groups()
        awaiting = self.app.outcomes_awaiting_approval(group_id=wanted["group_id"])
        return [outcome_awaiting_view(meeting, outcome, groups.get(meeting.group_id)) for meeting, outcome in awaiting
                if _of(groups.get(meeting.group_id), wanted["committee"])]


def _of(group, committee: str | None) -> bool:
    """A meeting of that group is one of ``committee``'s (any, without one)."""
    return committee is None or (group is not None and group.committee == committee)
