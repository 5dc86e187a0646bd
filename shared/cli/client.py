"""The HTTP client of the ``fieldwork`` CLI and of the demo: one place that talks to a service
(its address, the caller's token, a correlation id a request) and turns its errors into
messages a person can act on."""
from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import requests

from shared.services import manifest

def service_url(service: str) -> str:
    """``FIELDWORK_<SERVICE>_URL``, else the address its manifest gives (``shared.services``)."""
    return os.environ.get(f"FIELDWORK_{service.upper()}_URL", f"http://{manifest(service).address}").rstrip("/")


def dev_tokens_path() -> Path:
    return Path(os.environ.get("FIELDWORK_DATA_DIR", "data")) / "dev-tokens.json"


def token_for(service: str) -> str | None:
    """``FIELDWORK_TOKEN``; else, on a development machine, the token ``fieldwork up`` issued for
    ``FIELDWORK_ROLE`` (or the service's usual role) in the data folder."""
    if os.environ.get("FIELDWORK_TOKEN"):
        return os.environ["FIELDWORK_TOKEN"]
    try:
        tokens = json.loads(dev_tokens_path().read_text())
    except (OSError, ValueError):
        return None
    return tokens.get(os.environ.get("FIELDWORK_ROLE") or manifest(service).default_role)


# Exit codes: 0 done, 1 refused by a rule or conflict, 2 bad input, 3 not found, 4 unreachable.
EXIT_BY_STATUS = {400: 2, 401: 2, 403: 1, 404: 3, 409: 1}
UNREACHABLE = 4


class ServiceUnreachable(Exception):
    """The service does not answer at its address."""

    def __init__(self, service: str) -> None:
        super().__init__(f"the {service} service does not answer at {service_url(service)}; "
                         "is the system running (`fieldwork up`)?")
        self.exit_code = UNREACHABLE


class ServiceRefused(Exception):
    """The service answered with an error: its status and its JSON answer (``error``, ``rule``,
    ``message``, ``fields``)."""

    def __init__(self, service: str, method: str, path: str, status: int, data: dict) -> None:
        super().__init__(f"{method} {path} was refused by the {service} service (HTTP {status})")
        self.status = status
        self.data = data
        self.exit_code = EXIT_BY_STATUS.get(status, 1)


class Client:
    """The services' HTTP APIs, over one kept-open session. ``token`` says which token a request
    carries (by default the CLI's: ``token_for``); each request has a correlation id of its own
    (``cli-<uuid>`` unless ``correlation`` makes them)."""

    def __init__(self, token: Callable[[str], str | None] = token_for,
                 correlation: Callable[[], str] | None = None) -> None:
        self.session = requests.Session()
        self._token = token
        self._correlation = correlation or (lambda: f"cli-{uuid.uuid4()}")

    def headers(self, service: str, token: str | None = None) -> dict:
        headers = {"X-Correlation-Id": self._correlation()}
        token = token or self._token(service)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def response(self, service: str, method: str, path: str, body: dict | None = None, params: dict | None = None,
                 *, token: str | None = None, timeout: float = 30) -> requests.Response:
        """The service's answer, whatever its status; ``ServiceUnreachable`` if none came."""
        try:
            return self.session.request(method, f"{service_url(service)}{path}", json=body, params=params,
                                        headers=self.headers(service, token), timeout=timeout)
        except requests.ConnectionError:
            raise ServiceUnreachable(service) from None

    def request(self, service: str, method: str, path: str, body: dict | None = None, params: dict | None = None,
                *, token: str | None = None, timeout: float = 30) -> Any:
        """The service's JSON answer; ``ServiceRefused`` for an error status."""
        response = self.response(service, method, path, body, params, token=token, timeout=timeout)
        return answer_of(service, method, path, response)

    def download(self, service: str, path: str, params: dict | None = None, *, token: str | None = None,
                 timeout: float = 300) -> tuple[bytes, str]:
        """A document's bytes and the file name the service gives it (``Content-Disposition``)."""
        response = self.response(service, "GET", path, params=params, token=token, timeout=timeout)
        answer_of(service, "GET", path, response, json_expected=False)
        name = response.headers.get("Content-Disposition", "").split('filename="')[-1].rstrip('"')
        return response.content, name


def answer_of(service: str, method: str, path: str, response: requests.Response, json_expected: bool = True) -> Any:
    if response.status_code < 400 and not json_expected:
        return None
    try:
        data = response.json()
    except ValueError:
        data = {"message": response.text[:500]}
    if response.status_code >= 400:
        raise ServiceRefused(service, method, path, response.status_code,
                             data if isinstance(data, dict) else {"message": str(data)})
    return data


CLIENT = Client()


def call(
    service: str, method: str, path: str, body: dict | None = None, params: dict | None = None,
    timeout: float = 30,
) -> Any:
    """A CLI command's request: its answer, or the service's refusal explained and the process
    ended with the exit code for it."""
    try:
        return CLIENT.request(service, method, path, body, params, timeout=timeout)
    except ServiceUnreachable as unreachable:
        click.echo(f"error: {unreachable}", err=True)
        sys.exit(unreachable.exit_code)
    except ServiceRefused as refused:
        explain(refused.status, refused.data)
        sys.exit(refused.exit_code)


def explain(status: int, data: dict) -> None:
    message = data.get("message", "")
    if status == 401:
        click.echo(f"not signed in ({status}): {message}; set FIELDWORK_TOKEN to a token from "
                   "`fieldwork admin issue-token` (or run `fieldwork up` for development tokens)", err=True)
    elif data.get("rule"):
        click.echo(f"refused ({status}): rule {data['rule']}: {message}", err=True)
    elif data.get("fields"):
        click.echo(f"invalid input ({status}):", err=True)
        for field, problems in data["fields"].items():
            click.echo(f"  {field}: {json.dumps(problems)}", err=True)
    else:
        click.echo(f"error ({status}): {message or data}", err=True)


def show(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))


def print_audit(envelopes: list[dict]) -> None:
    """Who did what and when, one line an event: when it happened, when it was recorded, who
    (user and role), what, and the request it came from."""
    for e in envelopes:
        click.echo(f"v{e['aggregate_version']:<3} {e['occurred_at'][:19]}  recorded {e['recorded_at'][:19]}  "
                   f"{e['actor']['user']} ({e['actor']['role']})  {e['event_type']}  [{e['correlation_id']}]")
