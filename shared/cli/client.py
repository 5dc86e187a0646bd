"""The CLI's HTTP client: one place that talks to a service and turns its errors into
messages a person can act on."""
from __future__ import annotations

import getpass
import json
import os
import sys
import uuid
from typing import Any

import click
import requests

SERVICE_URLS = {
    "visits": ("FIELDWORK_VISITS_URL", "http://127.0.0.1:8001"),
    "meetings": ("FIELDWORK_MEETINGS_URL", "http://127.0.0.1:8002"),
    "reporting": ("FIELDWORK_REPORTING_URL", "http://127.0.0.1:8003"),
}


def service_url(service: str) -> str:
    variable, default = SERVICE_URLS[service]
    return os.environ.get(variable, default).rstrip("/")


def _headers() -> dict:
    return {
        "X-Fieldwork-User": os.environ.get("FIELDWORK_USER") or getpass.getuser(),
        "X-Fieldwork-Role": os.environ.get("FIELDWORK_ROLE", "visit_coordinator"),
        "X-Correlation-Id": f"cli-{uuid.uuid4()}",
    }


# Exit codes: 0 done, 1 refused by a rule or conflict, 2 bad input, 3 not found, 4 unreachable.
EXIT_BY_STATUS = {400: 2, 401: 2, 403: 1, 404: 3, 409: 1}


def call(
    service: str, method: str, path: str, body: dict | None = None, params: dict | None = None,
    timeout: float = 30,
) -> Any:
    url = f"{service_url(service)}{path}"
    try:
        response = requests.request(method, url, json=body, params=params, headers=_headers(), timeout=timeout)
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
    if data.get("rule"):
        click.echo(f"refused ({status}): rule {data['rule']}: {message}", err=True)
    elif data.get("fields"):
        click.echo(f"invalid input ({status}):", err=True)
        for field, problems in data["fields"].items():
            click.echo(f"  {field}: {json.dumps(problems)}", err=True)
    else:
        click.echo(f"error ({status}): {message or data}", err=True)


def show(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))
