"""Finding on the visits board and in the meetings list: a search in words (a State's name
with or without its accent, a meeting's title), a date range and an order, kept in the
address so that a found list can be bookmarked."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import sign_in
from fieldwork_testing import group_body, meeting_body


def cards(page) -> list[str]:
    return page.locator("[data-visit] a").evaluate_all("links => links.map(a => a.textContent)")


def test_a_coordinator_finds_visits_and_meetings_by_words_dates_and_order(page, system):
    coordinator, secretariat = system.dev_token("visit_coordinator"), system.dev_token("secretariat")
    for code, committee in (("CIV", "ctc"), ("KAZ", "1540"), ("KEN", "ctc")):
        system.call("visits", "POST", "/visits", coordinator, {"member_state": code, "committee": committee})

    sign_in(page, system.console, coordinator)
    page.click("nav >> text=Visits")
    page.wait_for_selector("#filters")
    page.fill("#filter-q", "cote")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#filter-q[value=cote]")  # the board drawn again for the search
    assert set(cards(page)) == {"Côte d'Ivoire"}
    assert "q=cote" in page.url
    page.screens("searched")

    page.fill("#filter-q", "k")
    page.select_option("#filter-sort", "-state")
    page.click("#filters button[type=submit]")
    page.wait_for_selector("#filter-sort >> option[value='-state'][selected]", state="attached")
    found = cards(page)
    assert {"Kenya", "Kazakhstan"} <= set(found) and "Côte d'Ivoire" not in found

    now = datetime.now(timezone.utc)
    group = system.call("meetings", "POST", "/groups", secretariat, group_body("Working Group on finding"))
    for days, title in ((40, "Border controls review"), (70, "Export licensing briefing")):
        starts = (now + timedelta(days=days)).replace(hour=14, minute=0, second=0, microsecond=0)
        system.call("meetings", "POST", "/meetings", secretariat, meeting_body(group["id"], title, starts))
    page.click("nav >> text=Meetings")
    page.wait_for_selector("#meeting-filters")
    page.fill("#filter-q", "finding")  # the group's name
    page.fill("#filter-from", (now + timedelta(days=60)).date().isoformat())
    page.click("#meeting-filters button[type=submit]")
    page.wait_for_selector("#filter-q[value=finding]")
    listed = page.inner_text("main table")
    assert "Export licensing briefing" in listed and "Border controls review" not in listed
    page.screens("meetings found")
