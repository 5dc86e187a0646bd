"""The secretariat keeps the directory of contacts in the web console (the notifications
service's), and sees on a meeting's page who was told of it: the delegation it put in the
directory, at the address it changed, the mail sent (with no MAIL_URL the service writes it to
the data folder and records it as sent). A visit nobody was told of says so; a notifications
service that does not answer leaves the rest of a meeting's page working."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from conftest import refused, sign_in
from shared.contract.vocabulary import written

NAME = "Permanent Mission of Ghana"
OLD, NEW = "ghana.mission@example.org", "un.ghana@example.org"


def _row(page, name: str):
    return page.locator("[data-testid=contacts] tr", has=page.locator(f"a:text-is('{name}')"))


def _filter(page, **choices: str) -> None:
    """Choose filters and apply them, then wait until the list was drawn again for them: the
    list drawn before (its "No contact." too) is gone, so nothing of it is read as the answer."""
    drawn = page.query_selector("[data-testid=contacts]")
    for name, value in choices.items():
        page.select_option(f"#filter-{name}", value)
    page.click("#directory-filters button[type=submit]")
    drawn.wait_for_element_state("hidden")  # detached: the view for the new filters replaced it


def test_the_secretariat_keeps_the_directory_and_sees_who_was_told(page, system):
    secretariat = system.dev_token("secretariat")
    system.call("meetings", "POST", "/groups/load-reference", secretariat)  # once; again changes nothing
    today = datetime.now(timezone.utc).date()

    sign_in(page, system.console, secretariat)
    page.click("nav >> text=Directory")
    page.wait_for_selector("h1:text('Directory of contacts')")

    # the form asks only what the chosen role names: a State for a delegation, an organization
    # for a focal point, a donor for a donor's contact
    page.click("#add-contact")
    page.wait_for_selector("dialog[open] form")
    for role, asked in (("organization_focal_point", "organization"), ("donor_contact", "donor_id"),
                        ("secretariat", None), ("delegation", "member_state")):
        page.select_option("dialog #f-role", role)
        for field in ("member_state", "organization", "donor_id"):
            assert page.is_visible(f"dialog #f-{field}") == (field == asked), (role, field)
    assert page.input_value("dialog #f-since") == today.isoformat()  # from today, unless told otherwise
    page.select_option("dialog #f-committee", "1540")
    page.fill("dialog #f-name", NAME)
    page.fill("dialog #f-email", OLD)
    page.select_option("dialog #f-member_state", "GHA")
    page.screens("add a contact")
    page.click("dialog button[type=submit]")
    row = _row(page, NAME)
    row.wait_for()
    assert [c.strip() for c in row.locator("td").all_inner_texts()] == \
        ["delegation", "1540", NAME, "Ghana", "-", OLD, written(today), "-"]
    page.screens("the directory")

    # the same contact twice in one role is refused, with the service's rule, in the form
    page.click("#add-contact")
    page.select_option("dialog #f-committee", "1540")
    page.fill("dialog #f-name", NAME)
    page.fill("dialog #f-email", OLD)
    page.select_option("dialog #f-member_state", "GHA")
    page.click("dialog button[type=submit]")
    assert "rule: contact_listed_once" in page.wait_for_selector("dialog [data-testid=form-error]:not([hidden])").inner_text()
    page.click("dialog >> text=Cancel")

    # the filters: by role, by Committee (a contact of 1540 is not the CTC's)
    _filter(page, role="national_contact_point")
    page.wait_for_selector("[data-testid=contacts] >> text=No contact.")
    _filter(page, role="delegation", committee="ctc")
    page.wait_for_selector("[data-testid=contacts] >> text=No contact.")
    _filter(page, committee="1540")
    _row(page, NAME).wait_for()
    assert "role=delegation" in page.url and "committee=1540" in page.url

    # its page: the change and end steps; the secretariat changes its address
    _row(page, NAME).locator("a").click()
    page.wait_for_selector("[data-contact][data-version='1']")
    assert page.locator("[data-testid=next-steps] button").all_inner_texts() == ["change contact", "end contact"]
    page.click("button[data-command='change-contact']")
    assert (page.input_value("dialog #f-name"), page.input_value("dialog #f-email")) == (NAME, OLD)  # as it is now
    page.fill("dialog #f-email", NEW)
    page.screens("change contact")
    page.click("dialog button[type=submit]")
    page.wait_for_selector("[data-contact][data-version='2']")
    assert page.inner_text("[data-testid=email]") == NEW
    assert "Contact changed by dev.secretariat (secretariat)." in page.inner_text("[data-testid=timeline]")
    assert "Nothing has been sent to this contact yet." in page.inner_text("[data-testid=sent-to-contact]")
    page.screens("the contact changed")

    # a meeting of the 1540 Committee's Working Group 4, scheduled and announced (over the API):
    # the delegation is told, at its new address
    group = next(g for g in system.call("meetings", "GET", "/groups", secretariat) if g["name"].startswith("Working Group 4"))
    starts = (datetime.now(timezone.utc) + timedelta(days=30)).replace(hour=15, minute=0, second=0, microsecond=0)
    meeting = system.call("meetings", "POST", "/meetings", secretariat, {
        "group_id": group["id"], "meeting_kind": "working_group", "title": "Outreach to delegations",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()})
    page.goto(f"{system.console}/#/meetings/{meeting['id']}")
    page.wait_for_selector("[data-meeting][data-status='scheduled']")
    assert page.inner_text("[data-testid=who-was-told] [data-testid=told-none]") == "No one has been notified yet."
    system.call("meetings", "POST", f"/meetings/{meeting['id']}/announce", secretariat, {})
    # the page's polling brings the notification, and then its being sent
    told = page.locator("[data-testid=who-was-told] tr[data-notice='meeting_announced'][data-status='sent']")
    told.wait_for()
    page.wait_for_selector("[data-meeting][data-status='announced']")
    cells = told.locator("td").all_inner_texts()
    assert cells[1] == "meeting announced"
    assert NAME in cells[2] and "delegation (Ghana)" in cells[2] and NEW in cells[2] and OLD not in cells[2]
    assert cells[3].startswith("sent ") and cells[4] == "1"
    page.screens("who was told of the meeting")

    # the contact's page lists what was sent to it
    page.goto(f"{system.console}/#/directory")
    _row(page, NAME).locator("a").click()
    page.wait_for_selector("[data-testid=sent-to-contact] tr[data-status='sent'] >> text=meeting announced")

    # its last day: today (the form's default); ending it again is refused by its rule
    page.click("button[data-command='end-contact']")
    assert page.input_value("dialog #f-until") == today.isoformat()
    page.fill("dialog #f-reason", "left the Council")
    page.click("dialog button[type=submit]")
    page.wait_for_selector("[data-contact][data-version='3']")
    assert f"until\n{written(today)}" in page.inner_text("[data-testid=contact]")
    assert "left the Council" in page.inner_text("[data-testid=contact]")
    assert "rule: contact_ended_once" in refused(page, "end-contact", {"reason": "again"})
    page.wait_for_selector("[data-contact][data-version='3']")

    # a visit nobody was told of says so
    visit = system.call("visits", "POST", "/visits", system.dev_token("visit_coordinator"),
                        {"member_state": "GHA", "committee": "1540"})
    page.goto(f"{system.console}/#/visits/{visit['id']}")
    page.wait_for_selector("[data-visit][data-status='proposed']")
    assert page.inner_text("[data-testid=who-was-told] [data-testid=told-none]") == "No one has been notified yet."

    # the notifications service does not answer (as the console passes it on: a 502 naming
    # it): the section says so, the meeting's page works
    page.route("**/api/notifications/**", lambda route: route.fulfill(status=502, content_type="application/json", body=(
        '{"error": "service_unavailable", "message": "the notifications service does not answer at '
        'http://127.0.0.1:9; is it running?"}')))
    page.goto(f"{system.console}/#/meetings/{meeting['id']}")
    page.wait_for_selector("[data-testid=told-unavailable]")
    assert "the notifications service does not answer" in page.inner_text("[data-testid=told-unavailable]")
    assert page.inner_text("[data-testid=meeting-status]") == "announced"
    assert page.locator("[data-testid=next-steps] button[data-command='circulate-document']").count() == 1
    page.screens("notifications service unreachable")
    page.unroute("**/api/notifications/**")
    page.problems[:] = [p for p in page.problems if "status of 502" not in p]  # the browser logs the 502 it was given

    # reporting staff read the directory and who was told, and change nothing
    page.click("#who button")
    sign_in(page, system.console, system.dev_token("reporting_staff"))
    page.click("nav >> text=Directory")
    _row(page, NAME).wait_for()
    assert page.locator("#add-contact").count() == 0
    _row(page, NAME).locator("a").click()
    page.wait_for_selector("[data-testid=sent-to-contact] tr[data-status='sent']")
    assert page.locator("main button").count() == 0  # no step, no add
    page.goto(f"{system.console}/#/meetings/{meeting['id']}")
    page.wait_for_selector("[data-testid=who-was-told] tr[data-status='sent']")
