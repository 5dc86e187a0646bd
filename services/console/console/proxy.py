"""The console's pages and its same-origin pass-through to the three services, in plain Python
(the nameko entrypoints in ``console.service`` are one-line calls into this).

The console decides nothing about the work: a page's script calls ``/api/<service>/<path>``
on the console, which sends the same request to that service, with the ``Authorization``
header of the person's session (its cookie, after the CSRF check, ``console.signin``) or the
caller's own, and hands back its answer as it is (status, body, content type, file name).
So every rule, role and refusal is the service's own.
"""
from __future__ import annotations

import json
import logging
import mimetypes
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import requests
from werkzeug.wrappers import Request, Response

from shared.errors import FieldworkError, TooLarge
from shared.http import error_response, read_body
from shared.services import names

log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "static"
SERVICES = tuple(names(behind_console=True))  # the services' manifests (shared.services)
# Request headers passed on to a service, and answer headers passed back.
FORWARDED_REQUEST_HEADERS = ("Content-Type", "Accept", "X-Correlation-Id")
FORWARDED_ANSWER_HEADERS = ("Content-Type", "Content-Disposition", "Location", "ETag", "X-Content-SHA256")
# Reports (a PDF of a busy year) take longer than a command.
TIMEOUTS = {"reporting": 120.0}
DEFAULT_TIMEOUT = 20.0

# Everything is served from here; the report HTML shown in a sandboxed frame carries its own
# <style>, hence 'unsafe-inline' for styles only. Scripts only from the console itself.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; frame-src 'self' blob: data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def json_answer(status: int, data: dict) -> Response:
    return Response(json.dumps(data, indent=1) + "\n", status=status, mimetype="application/json",
                    headers={"Cache-Control": "no-store"})


@dataclass
class Console:
    """Where the services are (``{"visits": "http://127.0.0.1:8001", ...}``) and how often the
    pages poll."""

    upstreams: dict[str, str]
    poll_seconds: float = 3.0

    @classmethod
    def from_config(cls, config: dict) -> Console:
        return cls(
            upstreams={name: str(config.get(f"{name.upper()}_URL", "")).rstrip("/") for name in SERVICES},
            poll_seconds=float(config.get("POLL_SECONDS", 3) or 3),
        )

    # -- pages -------------------------------------------------------------------------------

    def page(self) -> Response:
        """The one HTML page; the script draws each view in it (``#/visits``, ``#/reports`` ...)."""
        html = (STATIC / "index.html").read_text(encoding="utf-8")
        html = html.replace("{{POLL_SECONDS}}", f"{self.poll_seconds:g}")
        return Response(html, mimetype="text/html", headers=SECURITY_HEADERS)

    def static(self, name: str) -> Response:
        path = (STATIC / name).resolve()
        if STATIC not in path.parents or not path.is_file():
            return Response("not found\n", status=404, mimetype="text/plain")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Response(path.read_bytes(), mimetype=kind, headers=SECURITY_HEADERS)

    def health(self) -> Response:
        """200 while the console runs; says which services answer their own health check."""
        services = {}
        for name, url in self.upstreams.items():
            try:
                status = requests.get(f"{url}/health", timeout=2).status_code
                services[name] = {"url": url, "status": "ok" if status == 200 else f"unhealthy ({status})"}
            except requests.RequestException as error:
                services[name] = {"url": url, "status": f"unreachable ({type(error).__name__})"}
        return json_answer(200, {"status": "ok", "services": services})

    def config(self, identity_provider: str | None = None) -> Response:
        """What the page needs to know: the services, how often to poll, and the name of the
        organization's identity provider to offer on the sign-in page (None: passwords only)."""
        return json_answer(200, {"services": list(SERVICES), "poll_seconds": self.poll_seconds,
                                 "identity_provider": identity_provider})

    # -- the pass-through ----------------------------------------------------------------------

    def forward(self, request: Request, service: str, path: str, gate) -> Response:
        """Send ``request`` on to ``service`` at ``/path`` (with its query string), signed in as
        ``gate`` says (``console.signin.Gate.upstream_authorization``), and answer what the
        service answered; 502 when it does not answer."""
        base = self.upstreams.get(service)
        if service not in SERVICES or not base:
            return json_answer(404, {"error": "not_found", "message": f"no service {service!r}; one of {', '.join(SERVICES)}"})
        try:  # read as the services read it: never more than their limit
            body = read_body(request) if request.method in ("POST", "PUT") else None
        except TooLarge as error:
            return json_answer(413, error.to_dict())
        headers = {h: request.headers[h] for h in FORWARDED_REQUEST_HEADERS if h in request.headers}
        try:
            authorization = gate.upstream_authorization(request)
        except FieldworkError as error:
            return error_response(error)
        if authorization:
            headers["Authorization"] = authorization
        headers.setdefault("X-Correlation-Id", f"console-{uuid.uuid4()}")
        url = f"{base}/{quote(path, safe='/-_.~')}"
        query = request.query_string.decode("latin-1")
        if query:
            url = f"{url}?{query}"
        try:
            answer = requests.request(request.method, url, data=body, headers=headers,
                                      timeout=TIMEOUTS.get(service, DEFAULT_TIMEOUT), allow_redirects=False)
        except requests.RequestException as error:
            log.warning("%s %s: the %s service did not answer (%s)", request.method, url, service, error)
            return json_answer(502, {
                "error": "service_unavailable",
                "message": f"the {service} service does not answer at {base}; is it running?",
            })
        passed = {h: answer.headers[h] for h in FORWARDED_ANSWER_HEADERS if h in answer.headers}
        passed["Cache-Control"] = "no-store"
        passed["X-Content-Type-Options"] = "nosniff"
        return Response(answer.content, status=answer.status_code, headers=passed)
