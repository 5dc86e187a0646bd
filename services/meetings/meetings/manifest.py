"""The meetings service as the rest of the system knows it (``shared.services``): registered
under the entry points ``fieldwork.services`` in ``pyproject.toml``."""
from __future__ import annotations

from shared.contract import MEETINGS_EXCHANGE
from shared.services import Manifest


def _cli() -> list:
    from meetings.cli import meetings

    return [meetings]


def _api():
    from shared.openapi import Description
    from meetings.api import ASSIGN_CHAIR, COMMAND_INPUTS, ESTABLISH, SCHEDULE, MeetingFilters

    by_group = MeetingFilters(only=("group_id",))
    return Description(
        title="Fieldwork meetings service",
        service_class="meetings.service:MeetingsService",
        summary="Working groups and their meetings: the published schedule, documents, outcomes "
                "and their approval. docs/api-meetings.md describes each route in prose.",
        bodies={("POST", "/groups"): ESTABLISH, ("POST", "/groups/{group_id}/assign-chair"): ASSIGN_CHAIR,
                ("POST", "/meetings"): SCHEDULE},
        commands={("POST", "/meetings/{meeting_id}/{command}"): COMMAND_INPUTS},
        queries={("GET", "/meetings"): MeetingFilters(), ("GET", "/schedule"): by_group,
                 ("GET", "/schedule.ics"): by_group, ("GET", "/outcomes/awaiting-approval"): by_group},
        creates=frozenset({("POST", "/groups"), ("POST", "/meetings")}),
        media_types={("GET", "/schedule.ics"): ["text/calendar"]},
    )


MANIFEST = Manifest(
    name="meetings", address="127.0.0.1:8002", order=2,
    exchange=MEETINGS_EXCHANGE, default_role="secretariat", cli=_cli, api=_api,
)
