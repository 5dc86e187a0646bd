"""The visits service as the rest of the system knows it (``shared.services``): registered
under the entry points ``fieldwork.services`` in ``pyproject.toml``."""
from __future__ import annotations

from shared.contract import VISITS_EXCHANGE
from shared.services import Manifest


def _cli() -> list:
    from visits.cli import donors, visits

    return [visits, donors]


def _api():
    from shared.openapi import Description
    from visits.api import COMMAND_INPUTS, PROPOSE, REGISTER_DONOR, UPDATE_DONOR, ListFilters

    return Description(
        title="Fieldwork visits service",
        service_class="visits.service:VisitsService",
        summary="Country visits of the committees: proposals, consent, scheduling, needs "
                "assessments, donors and sharing. docs/api.md describes each route in prose.",
        bodies={("POST", "/visits"): PROPOSE, ("POST", "/donors"): REGISTER_DONOR,
                ("POST", "/donors/{donor_id}/update-interests"): UPDATE_DONOR},
        commands={("POST", "/visits/{visit_id}/{command}"): COMMAND_INPUTS},
        queries={("GET", "/visits"): ListFilters()},
        creates=frozenset({("POST", "/visits"), ("POST", "/donors")}),
    )


MANIFEST = Manifest(
    name="visits", address="127.0.0.1:8001", order=1,
    exchange=VISITS_EXCHANGE, default_role="visit_coordinator", cli=_cli, api=_api,
)
