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


# Exit codes, apart from click's own (1: aborted or a general error, 2: a usage error, caught
# before any request): what the service answered. docs/operations.md#the-cli lists them.
BAD_INPUT = 3      # 400, 408, 413, 415, 422: the input was refused, its field named
REFUSED = 4        # 409: a rule refused the step (or someone else changed the record)
NOT_FOUND = 5      # 404
NOT_ALLOWED = 6    # 401 not signed in, 403 not this role's or this user's to do
UNREACHABLE = 7    # no answer, or 502/503/504: the service (or the broker) is not there
SERVICE_FAILED = 8  # 500: the service failed (its log has the reference)
EXIT_BY_STATUS = {400: BAD_INPUT, 408: BAD_INPUT, 413: BAD_INPUT, 415: BAD_INPUT, 422: BAD_INPUT, 409: REFUSED,
                  404: NOT_FOUND, 401: NOT_ALLOWED, 403: NOT_ALLOWED, 502: UNREACHABLE, 503: UNREACHABLE,
                  504: UNREACHABLE}
EXIT_CODES = {0: "done", 1: "aborted, or an error of the CLI itself (click)",
              2: "usage error: an option missing or of the wrong type (nothing was sent)",
              BAD_INPUT: "bad input: the service refused a field (HTTP 400/422), named in the message",
              REFUSED: "refused by a rule (HTTP 409), named in the message",
              NOT_FOUND: "not found (HTTP 404)", NOT_ALLOWED: "not signed in or not allowed (HTTP 401/403)",
              UNREACHABLE: "the service does not answer (or answers 502/503/504)",
              SERVICE_FAILED: "the service failed (HTTP 500; its log has the reference)"}


def exit_code_for(status: int) -> int:
    return EXIT_BY_STATUS.get(status, SERVICE_FAILED if status >= 500 else BAD_INPUT)


class ServiceUnreachable(Exception):
    """The service does not answer at its address."""

    def __init__(self, service: str, within: float | None = None) -> None:
        if within is None:
            super().__init__(f"the {service} service does not answer at {service_url(service)}; "
                             "is the system running (`fieldwork up`)?")
        else:  # a write may have been done: reading the record again says
            super().__init__(f"the {service} service at {service_url(service)} did not answer within {within:g} s; "
                             "it may be overloaded: look at the record before trying again")
        self.exit_code = UNREACHABLE


class ServiceRefused(Exception):
    """The service answered with an error: its status and its JSON answer (``error``, ``rule``,
    ``message``, ``fields``)."""

    def __init__(self, service: str, method: str, path: str, status: int, data: dict) -> None:
        super().__init__(f"{method} {path} was refused by the {service} service (HTTP {status})")
        self.status = status
        self.data = data
        self.exit_code = exit_code_for(status)


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
        except requests.Timeout:
            raise ServiceUnreachable(service, within=timeout) from None

    def request(self, service: str, method: str, path: str, body: dict | None = None, params: dict | None = None,
                *, token: str | None = None, timeout: float = 30) -> Any:
        """The service's JSON answer; ``ServiceRefused`` for an error status."""
        response = self.response(service, method, path, body, params, token=token, timeout=timeout)
        return answer_of(service, method, path, response)

    def upload(self, service: str, path: str, content: bytes, params: dict | None = None, *,
               token: str | None = None, timeout: float = 300) -> Any:
        """POST a file's bytes as the body (a record's ``…/files`` route), its fields in the query
        string; the service's JSON answer, ``ServiceRefused`` for an error status."""
        headers = {**self.headers(service, token), "Content-Type": "application/octet-stream"}
        try:
            response = self.session.post(f"{service_url(service)}{path}", data=content, params=params,
                                         headers=headers, timeout=timeout)
        except requests.ConnectionError:
            raise ServiceUnreachable(service) from None
        except requests.Timeout:
            raise ServiceUnreachable(service, within=timeout) from None
        return answer_of(service, "POST", path, response)

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
    return answered(lambda: CLIENT.request(service, method, path, body, params, timeout=timeout))


def upload(service: str, path: str, content: bytes, params: dict | None = None) -> Any:
    """A CLI command's file upload (the bytes as the body of a record's ``…/files``), as ``call``."""
    return answered(lambda: CLIENT.upload(service, path, content, params))


def answered(ask: Callable[[], Any]) -> Any:
    """``ask()``'s answer, or its refusal explained and the process ended with its exit code."""
    try:
        return ask()
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
    """The whole answer, as the service gave it (``--json``)."""
    click.echo(json.dumps(data, indent=2))


# -- what a person reads ------------------------------------------------------------------


def _words(key: str) -> str:
    return key.replace("_", " ")


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _inline(value: Any) -> str:
    """A value on one line: lists joined, a mapping as "key value" pairs, nothing empty."""
    if isinstance(value, dict):
        return ", ".join(f"{_words(k)} {_inline(v)}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list):
        return "; ".join(_inline(v) for v in value)
    return _scalar(value)


def print_record(record: Any, indent: int = 0) -> None:
    """A record as indented "key: value" lines, what is empty left out (``--json`` has it all)."""
    pad = " " * indent
    if not isinstance(record, dict):
        click.echo(f"{pad}{_inline(record)}")
        return
    for key, value in record.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, dict):
            click.echo(f"{pad}{_words(key)}:")
            print_record(value, indent + 2)
        elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
            click.echo(f"{pad}{_words(key)}:")
            for item in value:
                click.echo(f"{pad}  - {_inline(item)}")
        else:
            click.echo(f"{pad}{_words(key)}: {_inline(value)}")


def print_table(rows: list[dict], columns: list[tuple[str, Callable[[dict], Any]]], noun: str | None = None) -> None:
    """Rows under a header line, each column as wide as its widest cell; then how many."""
    cells = [[("" if (v := get(row)) in (None, "", []) else _inline(v)) for _, get in columns] for row in rows]
    widths = [max([len(header), *(len(line[i]) for line in cells)]) for i, (header, _) in enumerate(columns)]
    if rows:
        for line in [[header for header, _ in columns], *cells]:
            click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())
    if noun:
        click.echo(f"{len(rows)} {noun}{'' if len(rows) == 1 else 's'}")


def _waiting(record: dict) -> str:
    """What a record waits for, in words (a visit's ``waiting_for``, a meeting's ``awaiting``)."""
    parts = []
    for w in record.get("waiting_for") or []:
        part = _words(w.get("what", ""))
        part += f" from {w['organization']}" if w.get("organization") else ""
        part += f", due {w['due_on']}" if w.get("due_on") else ""
        part += " (OVERDUE)" if w.get("overdue") else ""
        parts.append(part)
    parts += [_words(a) for a in record.get("awaiting") or []]
    return "; ".join(parts)


def print_written(command: str, kind: str, record: Any) -> None:
    """What a write did, in a line or two: the command, the record (its id, what names it, its
    status) and what it waits for next."""
    if not isinstance(record, dict):
        click.echo(f"{command}: done")
        return
    label = record.get("title") or record.get("name") or record.get("country") or record.get("member_state")
    if record.get("committee") and label:
        label = f"{label}, {record['committee']}"
    line = f"{command}: {kind} {record.get('id', '')}"
    line += f" ({label})" if label else ""
    if record.get("starts_on"):
        line += f" {record['starts_on']} to {record.get('ends_on')}"
    elif record.get("starts_at"):
        line += f" at {record['starts_at']}"
    line += f", status {_words(record['status'])}" if record.get("status") else ""
    click.echo(line)
    waiting = _waiting(record)
    if waiting:
        click.echo(f"  waiting for: {waiting}")


def print_history(envelopes: list[dict]) -> None:
    """Each event on a line: version, when it happened, what, by whom, and its payload in words."""
    for e in envelopes:
        click.echo(f"v{e['aggregate_version']:<3} {e['occurred_at'][:19]}  {e['event_type']}  "
                   f"by {e['actor']['user']}  {_inline(e.get('payload') or {})}")


def print_audit(envelopes: list[dict]) -> None:
    """Who did what and when, one line an event: when it happened, when it was recorded, who
    (user and role), what, and the request it came from."""
    for e in envelopes:
        click.echo(f"v{e['aggregate_version']:<3} {e['occurred_at'][:19]}  recorded {e['recorded_at'][:19]}  "
                   f"{e['actor']['user']} ({e['actor']['role']})  {e['event_type']}  [{e['correlation_id']}]")
