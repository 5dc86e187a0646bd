"""The meetings service as the rest of the system knows it (``shared.services``): registered
under the entry points ``fieldwork.services`` in ``pyproject.toml``."""
from __future__ import annotations

from shared.contract import MEETINGS_EXCHANGE
from shared.services import Manifest


def _commands() -> tuple:
    from meetings.commands import TABLES

    return TABLES


def _cli() -> list:
    from meetings.cli import meetings

    return [meetings]


def _load_reference():
    from meetings.service import LOAD_REFERENCE

    return LOAD_REFERENCE


def _api():
    from shared.documents import FILE_TYPES
    from shared.openapi import Description
    from shared.uploads import file_command
    from meetings.commands import MEETINGS
    from meetings.views import BY_GROUP, MeetingFilters

    return Description(
        title="Fieldwork meetings service",
        service_class="meetings.service:MeetingsService",
        reference="docs/api-meetings.md",
        summary="Working groups and their meetings: the published schedule, documents, outcomes "
                "and their approval. docs/api-meetings.md describes each route in prose.",
        tables=_commands(),
        bodies={("POST", "/groups/load-reference"): _load_reference()},
        queries={("GET", "/meetings"): MeetingFilters(), ("GET", "/schedule"): BY_GROUP,
                 ("GET", "/schedule.ics"): BY_GROUP, ("GET", "/outcomes/awaiting-approval"): BY_GROUP,
                 ("POST", "/meetings/{meeting_id}/files"): file_command(MEETINGS["attach-file"].input)},
        media_types={("GET", "/schedule.ics"): ["text/calendar"],
                     ("GET", "/meetings/{meeting_id}/files/{sha256}"): list(FILE_TYPES)},
    )


MANIFEST = Manifest(
    name="meetings", address="127.0.0.1:8002", order=2, exchange=MEETINGS_EXCHANGE,
    default_role="secretariat", commands=_commands, cli=_cli, api=_api,
)
