"""The ``@http`` entrypoint every service uses: nameko's, on a web server that answers a path
no route has (404) or a method a route does not take (405) in JSON, like every other error of
the API, instead of werkzeug's HTML page.

    from shared.web import http

Every entrypoint of a service must come from here: nameko shares one web server per server
class, and two classes would try to listen on the same address.

Two guards against clients that hold a service: every connection has a read timeout
(``FIELDWORK_HTTP_READ_TIMEOUT``, 30 s: a client silent that long is answered ``408`` and
closed), and a request's body is read whole in the connection's own green thread **before** the
request takes one of the service's workers, so that clients sending half a body and nothing
more hold only their own connections, never the workers that answer everyone else (before,
10 of them blocked a whole service, ``/health`` included).
"""
from __future__ import annotations

import os

import eventlet
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException

from shared.errors import FieldworkError
from shared.http import error_response, json_response, read_body
from shared.uploads import read_file_body

READ_TIMEOUT = float(os.environ.get("FIELDWORK_HTTP_READ_TIMEOUT", "30"))

ERRORS = {404: "not_found", 405: "method_not_allowed"}


class JsonErrorsApp(WsgiApp):
    def __call__(self, environ, start_response):
        try:
            self.url_map.bind_to_environ(environ).match()
        except HTTPException as error:
            if error.code not in ERRORS:
                return error(environ, start_response)
            method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
            message = (f"no such route: {path}" if error.code == 404
                       else f"{path} does not take {method}; it takes {', '.join(error.valid_methods or [])}")
            headers = {k: v for k, v in error.get_headers(environ) if k.lower() == "allow"}
            return json_response(error.code, {"error": ERRORS[error.code], "message": message},
                                 headers)(environ, start_response)
        return super().__call__(environ, start_response)


class JsonErrorsWebServer(WebServer):
    """Also wakes eventlet's hub every ``WAKE_SECONDS`` while it serves, so that SIGTERM stops
    a service that has nothing to do. ``nameko run`` handles SIGTERM by spawning the stop in
    a greenlet, which runs only when the hub next wakes; after the signal handler Python goes
    back to the hub's wait (PEP 475), and the web console, with no timer and no broker
    connection, waited for the next request: it never stopped and ``fieldwork up`` killed it."""

    def start(self):
        if not self._starting:  # the container kills the waker with its other managed threads
            self.container.spawn_managed_thread(_wake_forever, identifier="hub-waker")
        super().start()

    def get_wsgi_app(self):
        return JsonErrorsApp(self)

    def get_wsgi_server(self, sock, wsgi_app, *args, **kwargs):
        server = super().get_wsgi_server(sock, wsgi_app, *args, **kwargs)
        server.socket_timeout = READ_TIMEOUT  # each accepted connection's (WebServer.run)
        return server


WAKE_SECONDS = 0.5


def _wake_forever() -> None:
    while True:
        eventlet.sleep(WAKE_SECONDS)


class HttpEntrypoint(HttpRequestHandler):
    server = JsonErrorsWebServer()

    @staticmethod
    def read(request) -> bytes:
        """The body, up to the JSON limit (``read_body`` keeps it for the handler)."""
        return read_body(request)

    def handle_request(self, request):
        """The body first, here in the connection's green thread; only a whole request takes a
        worker."""
        request.shallow = False  # as nameko's own handle_request does before reading the request
        try:
            self.read(request)
        except FieldworkError as error:
            return error_response(error)
        return super().handle_request(request)


class UploadEntrypoint(HttpEntrypoint):
    """The entrypoint of a route whose body is a file (``shared.uploads``): the body read up to
    the file limit (``FIELDWORK_MAX_FILE_BYTES``) instead of the JSON limit, and beyond it
    refused ``413`` naming the limit, before anything is stored."""

    @staticmethod
    def read(request) -> bytes:
        return read_file_body(request)


http = HttpEntrypoint.decorator
upload = UploadEntrypoint.decorator
