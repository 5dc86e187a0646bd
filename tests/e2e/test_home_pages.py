"""Each person's home page says what awaits them: the coordinator the visits to approve and
those awaiting the State's consent, the secretariat the meetings to announce and this week's,
each list linking to the whole of it."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import sign_in
from fieldwork_testing import group_body, meeting_body


def test_the_coordinator_and_the_secretariat_see_what_awaits_them(page, system):
    coordinator, secretariat = system.dev_token("visit_coordinator"), system.dev_token("secretariat")
    proposed = system.call("visits", "POST", "/visits", coordinator, {"member_state": "CIV", "committee": "ctc"})
    asked = system.call("visits", "POST", "/visits", coordinator, {"member_state": "PER", "committee": "1540"})
    system.call("visits", "POST", f"/visits/{asked['id']}/approve", coordinator, {})
    due = (datetime.now(timezone.utc) + timedelta(days=20)).date().isoformat()
    system.call("visits", "POST", f"/visits/{asked['id']}/request-consent", coordinator, {"due_on": due})

    sign_in(page, system.console, coordinator)
    page.wait_for_selector("[data-panel=to-approve]")
    page.screens("coordinator's home")
    assert page.inner_text("[data-testid=role]") == "visit coordinator"
    to_approve = page.inner_text("[data-panel=to-approve]")
    assert "Côte d'Ivoire" in to_approve and proposed["id"] not in to_approve
    consent = page.inner_text("[data-panel=consent]")
    assert "Peru" in consent and "due" in consent
    assert int(page.inner_text("[data-testid=count-to-approve]")) >= 1
    page.click("[data-panel=to-approve] >> text=Côte d'Ivoire")
    page.wait_for_selector(f"[data-visit-id='{proposed['id']}'], h1:has-text('Côte d')")

    now = datetime.now(timezone.utc)
    group = system.call("meetings", "POST", "/groups", secretariat, group_body("Working Group on the home page"))
    monday = (now - timedelta(days=now.weekday())).replace(hour=14, minute=0, second=0, microsecond=0)
    soon = max(monday + timedelta(days=4), now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    meeting = system.call("meetings", "POST", "/meetings", secretariat,
                          meeting_body(group["id"], "Home page check", soon, hours=1, location="Room 7"))
    page.click("text=Sign out")
    sign_in(page, system.console, secretariat)
    page.wait_for_selector("[data-panel=to-announce]")
    page.screens("secretariat's home")
    assert "Home page check" in page.inner_text("[data-panel=to-announce]")
    if soon.isocalendar()[1] == now.isocalendar()[1]:  # this week in UTC (and so, for most viewers, here)
        assert "Home page check" in page.inner_text("[data-panel=this-week]")
    assert not page.query_selector("[data-panel=to-approve]")  # not the secretariat's
    page.click("[data-panel=to-announce] >> text=Home page check")
    page.wait_for_selector("[data-version]")
    assert meeting["id"] in page.url
