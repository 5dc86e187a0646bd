"""The reporting service as the rest of the system knows it (``shared.services``): registered
under the entry points ``fieldwork.services`` in ``pyproject.toml``."""
from __future__ import annotations

from shared.services import Manifest


def _cli() -> list:
    from reporting.cli import reports

    return [reports]


def _api():
    from shared.openapi import Description
    from reporting.views import DeadLetterQuery, ReplayRequest, ReportQuery
    from reporting.formats import FORMATS

    return Description(
        title="Fieldwork reporting service",
        service_class="reporting.service:ReportingService",
        reference="docs/reports.md",
        summary="Reports built from the events of the other services, their projections and "
                "dead letters. docs/reports.md describes each route in prose.",
        queries={("GET", "/reports"): ReportQuery(), ("GET", "/dead-letters"): DeadLetterQuery()},
        bodies={("POST", "/dead-letters/replay"): ReplayRequest()},
        names_in_body=frozenset({("POST", "/dead-letters/replay")}),
        media_types={("GET", "/reports"): sorted(set(FORMATS.values()))},
    )


MANIFEST = Manifest(
    name="reporting", address="127.0.0.1:8003", order=3,
    exchange=None, default_role="reporting_staff", cli=_cli, api=_api,
)
