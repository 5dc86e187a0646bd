"""The secretariat puts a meeting on the published schedule through the web console, announces
it and circulates a document before it; the calendar shows it on its day."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import sign_in


def test_the_secretariat_schedules_announces_and_circulates(page, system):
    secretariat = system.dev_token("secretariat")
    system.call("meetings", "POST", "/groups/load-reference", secretariat)  # once; again changes nothing
    starts = (datetime.now(timezone.utc) + timedelta(days=50)).replace(hour=10, minute=0, second=0, microsecond=0)

    sign_in(page, system.console, secretariat)
    page.click("nav >> text=Meetings")
    page.click("#schedule-meeting")
    page.select_option("dialog #f-group_id", label="Working Group 4: Transparency and media outreach")
    page.select_option("dialog #f-meeting_kind", "working_group")
    page.fill("dialog #f-title", "Outreach plan")
    page.fill("dialog #f-starts_at", f"{starts:%Y-%m-%dT%H:%M}")
    page.fill("dialog #f-ends_at", f"{starts + timedelta(hours=2):%Y-%m-%dT%H:%M}")
    page.fill("dialog #f-location", "Conference Room 2")
    page.screens("schedule a meeting")
    page.click("dialog button[type=submit]")
    page.wait_for_selector("[data-status='scheduled']")
    assert f"{starts:%Y-%m-%d} 10:00 UTC" in page.inner_text("main")  # the time entered is UTC
    page.screens("scheduled")

    for command, fields, status in (("announce", {}, "announced"),
                                    ("circulate-document", {"document_id": "WG4-1", "title": "Draft outreach plan"}, "announced")):
        version = int(page.get_attribute("[data-version]", "data-version"))
        page.click(f"button[data-command='{command}']")
        for name, value in fields.items():
            page.fill(f"dialog #f-{name}", value)
        page.click("dialog button[type=submit]")
        page.wait_for_selector(f"[data-version='{version + 1}'][data-status='{status}']")
    assert "Draft outreach plan" in page.inner_text("main table")
    assert "no documents" not in page.inner_text("main")
    page.screens("announced with a document")

    # logging outcomes is the chair's: not offered to the secretariat
    assert page.locator("button[data-command='log-outcome']").count() == 0

    page.goto(f"{system.console}/#/schedule?month={starts:%Y-%m}")
    page.wait_for_selector(f"[data-date='{starts:%Y-%m-%d}'] >> text=10:00 Outreach plan")
    page.screens("calendar")
