"""The CLI's HTTP client: one place that talks to a service and turns its errors into
messages a person can act on."""
from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path
from typing import Any

import click
import requests

from shared.services import manifest

SERVICE_URLS = {
    "visits": ("FIELDWORK_VISITS_URL", "http://127.0.0.1:8001"),
    "meetings": ("FIELDWORK_MEETINGS_URL", "http://127.0.0.1:8002"),
    "reporting": ("FIELDWORK_REPORTING_URL", "http://127.0.0.1:8003"),
}


def service_url(service: str) -> str:
    variable, default = SERVICE_URLS[service]
    return os.environ.get(variable, default).rstrip("/")


# The role the CLI acts in for each service when no token is given (development tokens).


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


def headers(service: str) -> dict:
    headers = {"X-Correlation-Id": f"cli-{uuid.uuid4()}"}
    token = token_for(service)
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


# Exit codes: 0 done, 1 refused by a rule or conflict, 2 bad input, 3 not found, 4 unreachable.
EXIT_BY_STATUS = {400: 2, 401: 2, 403: 1, 404: 3, 409: 1}


def call(
    service: str, method: str, path: str, body: dict | None = None, params: dict | None = None,
    timeout: float = 30,
) -> Any:
    url = f"{service_url(service)}{path}"
    try:
        response = requests.request(method, url, json=body, params=params, headers=headers(service), timeout=timeout)
    except requests.ConnectionError:
        click.echo(
            f"error: the {service} service does not answer at {service_url(service)}; "
            "is the system running (`fieldwork up`)?",
            err=True,
        )
        sys.exit(4)
    try:
        data = response.json()
    except ValueError:
        data = {"message": response.text}
    if response.status_code >= 400:
        explain(response.status_code, data)
        sys.exit(EXIT_BY_STATUS.get(response.status_code, 1))
    return data


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
