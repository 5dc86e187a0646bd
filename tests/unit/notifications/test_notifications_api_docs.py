"""docs/api-notifications.md stays true to the code: every route has its section, every command
its section, every rule the service raises and every notice it sends are named, every key of
its views is shown, every CLI command is in its CLI section; its settings are in the config."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from doc_checks import MarkdownDoc, declared_routes
from shared.contract.vocabulary import NOTICES
from notifications.cli import contacts, notifications
from notifications.commands import CONTACTS
from notifications.service import NotificationsService

ROOT = Path(__file__).resolve().parents[3]
DOC = MarkdownDoc(ROOT / "docs" / "api-notifications.md")
TEXT = (ROOT / "docs" / "api-notifications.md").read_text()
PACKAGE = ROOT / "services" / "notifications" / "notifications"
ROUTES = declared_routes(NotificationsService)
RULES = sorted({m for path in (*PACKAGE.glob("domain/*.py"), PACKAGE / "application.py")
                for m in re.findall(r'RuleBroken\(\s*"(\w+)"', path.read_text())})


def test_the_readers_find_what_is_there():
    assert len(ROUTES) >= 10 and len(RULES) >= 5 and "contact_listed_once" in RULES


@pytest.mark.parametrize("method, path", ROUTES)
def test_every_route_has_its_own_section(method, path):
    assert DOC.section(f"`{method} {path.replace('<string:', '{').replace('>', '}')}`")


@pytest.mark.parametrize("command", [c.name for c in CONTACTS])
def test_every_command_has_its_own_section(command):
    assert DOC.section(f"`{command}`")


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_the_service_raises_is_named(rule):
    assert f"`{rule}`" in TEXT


@pytest.mark.parametrize("notice", NOTICES)
def test_every_notice_is_in_the_table_of_what_is_told(notice):
    assert f"`{notice}`" in DOC.section("What is told, to whom, when")


def test_the_views_shown_have_every_key_the_service_answers(tmp_path):
    from datetime import date, datetime, timezone

    from event_builders import Events, wire
    from shared.domain import Context
    from shared.store import StoreSettings
    from notifications.application import NotificationsApplication
    from notifications.views import contact_view, notification_view

    app = NotificationsApplication(env=StoreSettings(data_dir=tmp_path).environment("notifications"))
    ctx = Context(occurred_at=datetime.now(timezone.utc), user="sam", role="secretariat", correlation_id="t")
    contact = app.list_contact(ctx, role="delegation", committee="both", name="Kenya", email="k@example.org",
                               member_state="KEN", since=date(2020, 1, 1))
    events = Events()
    group, established = events.group()
    meeting, scheduled = events.meeting(group)
    app.receive(wire([established, scheduled,
                      events.event("meeting_announced", meeting, {"announced_to": "all_council_delegations"})]))
    for view, title in ((contact_view(contact), "The contact view"),
                        (notification_view(app.notifications()[0]), "The notification view")):
        shown = DOC.section(title)
        assert [key for key in view if f'"{key}"' not in shown] == []


def test_every_cli_command_is_in_the_cli_section():
    section = DOC.section("The CLI")
    for group in (contacts, notifications):
        for name in group.commands:
            if name in ("show", "history", "audit") and group is contacts:
                continue
            assert f"fieldwork {group.name} {name}" in section, name


@pytest.mark.parametrize("setting", ["MAIL_URL", "MAIL_FROM", "MAIL_PASSWORD_FILE", "MAIL_PASSWORD", "MAIL_CA_FILE",
                                     "MAIL_RETRY_FIRST", "MAIL_RETRY_MAX", "MAIL_GIVE_UP_HOURS",
                                     "NOTIFY_SWEEP_SECONDS", "NOTIFY_REMIND_BEFORE_DAYS", "NOTIFY_OVERDUE_WINDOW_DAYS",
                                     "NOTIFY_MEETING_REPORT_DAYS"])
def test_every_setting_is_in_the_config_and_documented(setting):
    assert f"{setting}: ${{{setting}:" in (ROOT / "services" / "notifications" / "config.yml").read_text()
    assert setting in (ROOT / "docs" / "operations.md").read_text() + TEXT
