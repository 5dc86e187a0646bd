"""A working-group chair finds the meeting on the calendar and its page (documents and their
circulation dates), logs an outcome through the web console, and sees what awaits a report to
the Committee or its approval; another group's chair is refused with the rule."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from conftest import fill_step, refused, sign_in

NEW_YORK = ZoneInfo("America/New_York")  # where both Committees sit: the console's days and times


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_chair_logs_an_outcome(page, system, browser):
    secretariat = system.dev_token("secretariat")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    groups = system.call("meetings", "POST", "/groups/load-reference", secretariat,
                         {"occurred_at": iso(now - timedelta(days=60))})
    group, other_group = groups[0], groups[1]
    system.call("meetings", "POST", f"/groups/{group['id']}/assign-chair", secretariat,
                {"chair_member_state": "ZAF", "chair_user": "chair.za", "occurred_at": iso(now - timedelta(days=30))})
    system.call("meetings", "POST", f"/groups/{other_group['id']}/assign-chair", secretariat,
                {"chair_member_state": "FRA", "chair_user": "chair.fr", "occurred_at": iso(now - timedelta(days=30))})
    # a meeting held two days ago, recorded with the dates it really had
    starts = now - timedelta(days=2)
    held = system.call("meetings", "POST", "/meetings", secretariat, {
        "group_id": group["id"], "meeting_kind": "working_group", "title": "Matrices review",
        "starts_at": iso(starts), "ends_at": iso(starts + timedelta(hours=2)), "location": "Conference Room 7",
        "occurred_at": iso(now - timedelta(days=20))})
    meeting = held["id"]
    system.call("meetings", "POST", f"/meetings/{meeting}/announce", secretariat, {"occurred_at": iso(now - timedelta(days=19))})
    system.call("meetings", "POST", f"/meetings/{meeting}/circulate-document", secretariat, {
        "document_id": "WG1-1", "title": "Draft matrix", "occurred_at": iso(now - timedelta(days=10))})
    system.call("meetings", "POST", f"/meetings/{meeting}/hold", secretariat,
                {"occurred_at": iso(starts + timedelta(hours=2))})
    # and one to come, on the published schedule
    ahead = (now + timedelta(days=35)).replace(hour=15, minute=0, second=0)
    upcoming = system.call("meetings", "POST", "/meetings", secretariat, {
        "group_id": group["id"], "meeting_kind": "working_group", "title": "Assistance requests",
        "starts_at": iso(ahead), "ends_at": iso(ahead + timedelta(hours=3)), "location": "Conference Room 4"})
    system.call("meetings", "POST", f"/meetings/{upcoming['id']}/announce", secretariat, {})

    sign_in(page, system.console, system.token("chair.za", "working_group_chair"))
    assert page.inner_text("[data-testid=role]") == "working-group chair"
    page.screens("home")

    # the published schedule as a month grid: the meeting to come, in its month
    page.click("nav >> text=Schedule")
    page.wait_for_selector("[data-testid=calendar]")
    page.goto(f"{system.console}/#/schedule?month={ahead:%Y-%m}")
    page.wait_for_selector(f"[data-date='{ahead:%Y-%m-%d}'] >> text=Assistance requests")
    assert ahead.strftime("%B %Y") in page.inner_text("[data-testid=month]")
    page.screens("calendar")
    held_day = starts.astimezone(NEW_YORK)  # the calendar places a meeting on its day in New York
    page.goto(f"{system.console}/#/schedule?month={held_day:%Y-%m}&all=1")
    page.wait_for_selector(f"[data-date='{held_day:%Y-%m-%d}'] >> text=Matrices review")
    page.screens("calendar with held meetings")

    # what awaits the Committee: the held meeting, not yet reported
    page.click("nav >> text=Awaiting")
    page.wait_for_selector("[data-testid=awaiting-report] >> text=Matrices review")
    page.screens("awaiting report")

    # the meeting's page: its documents with their circulation dates; log an outcome
    page.click("[data-testid=awaiting-report] >> text=Matrices review")
    page.wait_for_selector("[data-status='held']")
    documents = page.inner_text("main table")
    circulated = (now - timedelta(days=10)).astimezone(NEW_YORK)
    assert "WG1-1" in documents and "Draft matrix" in documents
    assert f"{circulated.day} {circulated:%b}" in documents.replace("Sept", "Sep") and "New York time" in documents
    page.screens("meeting")
    # no outcome id to type: the meeting numbers it
    fill_step(page, "log-outcome", {"text": "Update the matrices", "owner": "the experts",
                                    "due_on": f"{now + timedelta(days=30):%Y-%m-%d}"}, {"outcome_kind": "action_item"})
    page.wait_for_selector("dialog[open]", state="detached")
    page.wait_for_selector("[data-testid=outcomes] >> text=Update the matrices")
    assert "O1" in page.inner_text("[data-testid=outcomes]")
    assert "by chair.za" in page.inner_text("[data-testid=outcomes]")
    assert page.locator("[data-testid=timeline] li[data-event=outcome_logged]").count() == 1
    page.screens("outcome logged")

    # another group's chair is refused, with the rule
    other = browser.new_context()
    try:
        other_page = other.new_page()
        sign_in(other_page, system.console, system.token("chair.fr", "working_group_chair"))
        other_page.goto(f"{system.console}/#/meetings/{meeting}")
        other_page.wait_for_selector("[data-status='held']")
        error = refused(other_page, "log-outcome", {"text": "Not mine to log"}, {"outcome_kind": "decision"},
                        shot=page.screens.folder / "other-chair-refused.png")
        assert error.startswith("This is not yours to do:") and "rule: only_the_chair_logs_outcomes" in error
    finally:
        other.close()

    # reported to the Committee (by the secretariat, elsewhere): the open page follows, live
    page.click("nav >> text=Awaiting")
    page.wait_for_selector("[data-testid=awaiting-report] >> text=Matrices review")
    system.call("meetings", "POST", f"/meetings/{meeting}/report-to-committee", secretariat, {"summary": "Matrices reviewed"})
    page.wait_for_selector("[data-testid=awaiting-approval] >> text=Update the matrices")
    assert "Matrices review" not in page.inner_text("[data-testid=awaiting-report]")
    page.screens("awaiting approval")
