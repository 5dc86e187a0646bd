"""The notifications service's nameko entrypoints: the directory's HTTP API, and the
notifications it recorded and sent. It consumes the other services' events and sends mail in
its runtime (``dependencies.py``), not in an entrypoint.

Run: ``nameko run --config services/notifications/config.yml notifications.service`` (``fieldwork up`` does).
"""
from __future__ import annotations

from nameko.rpc import rpc

from shared.auth import STAFF
from shared.http import (
    actor_of, context_for, identity_of, json_endpoint, json_response, parse_uuid, read_json, require_own_committee,
    require_sees,
)
from shared import runtime  # not its class by name: `nameko run` would take the base for a service too
from shared.web import http
from notifications.commands import CONTACTS
from notifications.dependencies import NotificationsRuntime
from notifications.views import (
    ContactFilters, NotificationFilters, contact_page, contact_view, notification_view, read_filters,
)


class NotificationsService(runtime.FieldworkService):
    name = "notifications"

    app = NotificationsRuntime()

    # -- the directory ------------------------------------------------------------------------

    @http("POST", "/contacts")
    @json_endpoint(*CONTACTS.create.roles)
    def http_list_contact(self, request):
        body = read_json(request)
        require_own_committee(request, body.get("committee"))
        contact = CONTACTS.run_create(self.app, body, actor_of(request))
        return json_response(201, contact_view(contact), {"Location": f"/contacts/{contact.id}"})

    @http("GET", "/contacts")
    @json_endpoint(*STAFF)
    def http_contacts(self, request):
        query = read_filters(ContactFilters(), request.args.to_dict())
        identity = identity_of(request)
        return 200, [contact_view(c) for c in self.app.contacts(**query)
                     if c.committee == "both" or identity.sees(c.committee)]

    @http("GET", "/contacts/<string:contact_id>")
    @json_endpoint(*STAFF)
    def http_contact(self, request, contact_id):
        contact = self._contact(request, contact_id)
        return 200, contact_page(contact, context_for(actor_of(request), None))

    @http("GET", "/contacts/<string:contact_id>/history")
    @json_endpoint(*STAFF)
    def http_contact_history(self, request, contact_id):
        contact = self._contact(request, contact_id)
        return 200, self.app.history(contact.id)

    @http("POST", "/contacts/<string:contact_id>/<string:command>")
    @json_endpoint(CONTACTS)
    def http_contact_step(self, request, contact_id, command):
        CONTACTS.step(command)
        self._contact(request, contact_id)
        return 200, contact_view(CONTACTS.run(self.app, command, contact_id, read_json(request), actor_of(request)))

    def _contact(self, request, contact_id: str):
        contact = self.app.get_contact(parse_uuid(contact_id, "contact"))
        if contact.committee != "both":
            require_sees(request, contact.committee, "contact", contact_id)
        return contact

    # -- notifications -----------------------------------------------------------------------------

    @http("GET", "/notifications")
    @json_endpoint(*STAFF)
    def http_notifications(self, request):
        """Who was told what and when: ``subject_id`` for one visit's or meeting's."""
        query = read_filters(NotificationFilters(), request.args.to_dict())
        identity = identity_of(request)
        return 200, [notification_view(n) for n in self.app.notifications(**query) if identity.sees(n.committee)]

    @http("GET", "/notifications/<string:notification_id>")
    @json_endpoint(*STAFF)
    def http_notification(self, request, notification_id):
        notification = self.app.get_notification(parse_uuid(notification_id, "notification"))
        require_sees(request, notification.committee, "notification", notification_id)
        return 200, notification_view(notification, whole=True)

    @http("GET", "/dead-letters")
    @json_endpoint(*STAFF)
    def http_dead_letters(self, request):
        return 200, self.app.dead_letters()

    # -- RPC ------------------------------------------------------------------------------

    @rpc
    def notifications_of(self, subject_id):
        """Who was told what about one visit or meeting."""
        return [notification_view(n) for n in self.app.notifications(subject_id=parse_uuid(subject_id, "subject"))]

    @http("GET", "/commands")
    @json_endpoint(*STAFF)
    def http_commands(self, request):
        return 200, CONTACTS.fields()

