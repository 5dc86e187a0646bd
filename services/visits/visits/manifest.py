"""The visits service as the rest of the system knows it (``shared.services``): registered
under the entry points ``fieldwork.services`` in ``pyproject.toml``."""
from __future__ import annotations

from shared.contract import VISITS_EXCHANGE
from shared.services import Manifest


def _commands() -> tuple:
    from visits.commands import TABLES

    return TABLES


def _cli() -> list:
    from visits.cli import donors, organizations, visits

    return [visits, donors, organizations]


def _api():
    from shared.documents import FILE_TYPES
    from shared.openapi import Description
    from shared.uploads import file_command
    from visits.commands import VISITS
    from visits.views import ListFilters, OrganizationQuery

    return Description(
        title="Fieldwork visits service",
        service_class="visits.service:VisitsService",
        reference="docs/api.md",
        summary="Country visits of the committees: proposals, consent, scheduling, needs "
                "assessments, donors and sharing. docs/api.md describes each route in prose.",
        tables=_commands(),
        queries={("GET", "/visits"): ListFilters(), ("GET", "/organizations"): OrganizationQuery(),
                 ("POST", "/visits/{visit_id}/files"): file_command(VISITS["attach-file"].input)},
        media_types={("GET", "/donor/shares/{share_id}/iati.xml"): ["application/xml"],
                     ("GET", "/visits/{visit_id}/files/{sha256}"): list(FILE_TYPES)},
    )


MANIFEST = Manifest(
    name="visits", address="127.0.0.1:8001", order=1, exchange=VISITS_EXCHANGE,
    default_role="visit_coordinator", commands=_commands, cli=_cli, api=_api,
)
