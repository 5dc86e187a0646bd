"""The web console's nameko entrypoints: its page, its static files, signing in
(``/auth/...``, ``console.signin``) and the same-origin pass-through ``/api/<service>/<path>``
to the other services.

Run: ``nameko run --config services/console/config.yml console.service`` (``fieldwork up`` does).
"""
from __future__ import annotations

from nameko.dependency_providers import Config
from shared.web import http, upload

from console.proxy import Console
from console.signin import Gate

_GATE: list[Gate] = []


def gate() -> Gate:
    """The one sign-in gate of this process (it opens the auth store once)."""
    if not _GATE:
        _GATE.append(Gate.from_environ())
    return _GATE[0]


class ConsoleService:
    name = "console"

    config = Config()

    @property
    def console(self) -> Console:
        return Console.from_config(self.config)

    @http("GET", "/health")
    def health(self, request):
        return self.console.health()

    @http("GET", "/")
    def index(self, request):
        return self.console.page()

    @http("GET", "/static/<path:name>")
    def static(self, request, name):
        return self.console.static(name)

    @http("GET", "/config.json")
    def settings(self, request):
        provider = gate().provider
        return self.console.config(provider.name if provider else None)

    @http("GET,POST", "/api/<string:service>/<path:path>")
    def api(self, request, service, path):
        return self.console.forward(request, service, path, gate())

    @upload("POST", "/api/<string:service>/<path:record>/files")
    def api_upload(self, request, service, record):
        """A file uploaded to a record (``POST …/files``): its body read up to the file limit
        (``FIELDWORK_MAX_FILE_BYTES``), not the JSON limit, then passed on like any call."""
        return self.console.forward(request, service, f"{record}/files", gate())

    @http("GET", "/auth/session")
    def auth_session(self, request):
        return gate().session(request)

    @http("POST", "/auth/sign-in")
    def sign_in(self, request):
        return gate().sign_in(request)

    @http("POST", "/auth/sign-out")
    def sign_out(self, request):
        return gate().sign_out(request)

    @http("POST", "/auth/password")
    def own_password(self, request):
        return gate().change_own_password(request)

    @http("GET", "/auth/oidc/start")
    def provider_start(self, request):
        return gate().provider_start(request)

    @http("GET", "/auth/oidc/callback")
    def provider_callback(self, request):
        return gate().provider_callback(request)

    @http("GET", "/auth/users")
    def users(self, request):
        return gate().users(request)

    @http("POST", "/auth/users")
    def add_user(self, request):
        return gate().add_user(request)

    @http("POST", "/auth/users/<string:user>/<string:step>")
    def account_step(self, request, user, step):
        return gate().account_step(request, user, step)

    @http("GET", "/auth/tokens")
    def tokens(self, request):
        return gate().tokens(request)

    @http("POST", "/auth/tokens")
    def issue_token(self, request):
        return gate().issue_token(request)

    @http("POST", "/auth/tokens/<string:token_id>/revoke")
    def revoke_token(self, request, token_id):
        return gate().revoke_token(request, token_id)
