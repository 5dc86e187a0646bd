"""The web console's nameko entrypoints: its page, its static files, and the same-origin
pass-through ``/api/<service>/<path>`` to the visits, meetings and reporting services.

Run: ``nameko run --config services/console/config.yml console.service`` (``fieldwork up`` does).
"""
from __future__ import annotations

from nameko.dependency_providers import Config
from shared.web import http

from console.proxy import Console


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
        return self.console.config()

    @http("GET,POST", "/api/<string:service>/<path:path>")
    def api(self, request, service, path):
        return self.console.forward(request, service, path)
