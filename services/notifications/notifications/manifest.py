"""The notifications service as the rest of the system knows it (``shared.services``):
registered under the entry points ``fieldwork.services`` in ``pyproject.toml``."""
from __future__ import annotations

from shared.contract import NOTIFICATIONS_EXCHANGE
from shared.services import Manifest


def _commands() -> tuple:
    from notifications.commands import TABLES

    return TABLES


def _cli() -> list:
    from notifications.cli import contacts, notifications

    return [contacts, notifications]


def _api():
    from shared.openapi import Description
    from notifications.views import ContactFilters, NotificationFilters

    return Description(
        title="Fieldwork notifications service",
        service_class="notifications.service:NotificationsService",
        reference="docs/api-notifications.md",
        summary="The directory of contacts (delegations, national contact points, focal points, donors' "
                "contacts, secretariats) and the notifications sent to them. docs/api-notifications.md "
                "describes each route in prose.",
        tables=_commands(),
        queries={("GET", "/contacts"): ContactFilters(), ("GET", "/notifications"): NotificationFilters()},
    )


MANIFEST = Manifest(
    name="notifications", address="127.0.0.1:8004", order=4, exchange=NOTIFICATIONS_EXCHANGE,
    default_role="secretariat", commands=_commands, cli=_cli, api=_api,
)
