"""The secretariat puts a meeting on the published schedule through the web console, announces
it and circulates a document before it; the calendar shows it on its day."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

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
    # dates and times are typed and shown in the Committee's time zone (New York)
    assert "(New York time)" in page.inner_text("dialog label[for=f-starts_at]")
    page.fill("dialog #f-starts_at", f"{starts:%Y-%m-%dT%H:%M}")
    page.fill("dialog #f-ends_at", f"{starts + timedelta(hours=2):%Y-%m-%dT%H:%M}")
    page.fill("dialog #f-location", "Conference Room 2")
    page.screens("schedule a meeting")
    page.click("dialog button[type=submit]")
    page.wait_for_selector("[data-status='scheduled']")
    assert "10:00 New York time" in page.inner_text("main")  # the time entered is New York's
    meeting = system.call("meetings", "GET", "/" + page.url.split("#/")[1], secretariat)
    assert datetime.fromisoformat(meeting["starts_at"]) == starts.replace(tzinfo=ZoneInfo("America/New_York"))
    page.screens("scheduled")

    for command, fields, status in (("announce", {}, "announced"),
                                    ("circulate-document", {"title": "Draft outreach plan"}, "announced")):
        version = int(page.get_attribute("[data-version]", "data-version"))
        page.click(f"button[data-command='{command}']")
        page.wait_for_selector("dialog[open] form")
        assert page.locator("dialog #f-document_id").count() == 0
        for name, value in fields.items():
            page.fill(f"dialog #f-{name}", value)
        page.click("dialog button[type=submit]")
        page.wait_for_selector(f"[data-version='{version + 1}'][data-status='{status}']")
    documents = page.inner_text("main table")  # numbered by the meeting: no id to type
    assert "D1" in documents and "Draft outreach plan" in documents
    assert "no documents" not in page.inner_text("main")
    page.screens("announced with a document")

    # logging outcomes is the chair's: not offered to the secretariat
    assert page.locator("button[data-command='log-outcome']").count() == 0

    page.goto(f"{system.console}/#/schedule?month={starts:%Y-%m}")
    page.wait_for_selector(f"[data-date='{starts:%Y-%m-%d}'] >> text=10:00 Outreach plan")
    page.screens("calendar")
