"""A visit coordinator drives a visit from proposal to closure through the web console; a
refused step shows the rule; the donor then sees what was shared with them, and nothing else."""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

from conftest import fill_step, refused, sign_in

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def step(page, command: str, fields: dict | None = None, selects: dict | None = None, expect_status: str | None = None):
    """A step that is accepted: the dialog closes and the page shows the visit's next version."""
    version = int(page.get_attribute("[data-version]", "data-version"))
    fill_step(page, command, fields, selects)
    page.wait_for_selector("dialog[open]", state="detached")
    page.wait_for_selector(f"[data-version='{version + 1}']")
    if expect_status:
        page.wait_for_selector(f"[data-status='{expect_status}']")
    page.screens(f"after {command}")


def need_row(page, n: int, area: str, priority: str, description: str) -> None:
    """Fill the needs form's row ``n``: the area and the priority picked, the description typed."""
    page.select_option(f"dialog #f-needs-{n}-thematic_area", area)
    page.select_option(f"dialog #f-needs-{n}-priority", priority)
    page.fill(f"dialog #f-needs-{n}-description", description)


def test_a_coordinator_drives_a_visit_from_proposal_to_closure(page, system, browser):
    today = date.today()
    sign_in(page, system.console, system.dev_token("visit_coordinator"))
    assert page.inner_text("[data-testid=role]") == "visit coordinator"
    page.screens("home")

    # the donor registry: register a donor
    page.click("nav >> text=Donors")
    page.click("#register-donor")
    page.fill("dialog #f-name", "Norway")
    page.select_option("dialog #f-donor_kind", "state")
    page.select_option("dialog #f-thematic_areas", ["border_control"])
    assert page.inner_text("dialog #f-donor_kind >> option[value=international_organization]") == "international organization"
    page.screens("register donor form")
    page.click("dialog button[type=submit]")
    page.wait_for_selector("main table >> text=Norway")
    page.screens("donors")
    # another donor of the same name: the picker tells the two apart
    system.call("visits", "POST", "/donors", system.dev_token("visit_coordinator"), {
        "name": "Norway", "donor_kind": "other", "contact": "norad@example.org", "thematic_areas": ["legislation"]})

    # the directory of organizations: the 2003 annex's, by every name; add one it lacks
    page.click("nav >> text=Organizations")
    page.wait_for_selector("[data-testid=organizations] >> text=United Nations Office on Drugs and Crime")
    assert "UNODC, Office on Drugs and Crime" in page.inner_text("[data-testid=organizations]")
    page.click("#register-organization")
    page.fill("dialog #f-name", "United Nations Office of Counter-Terrorism")
    page.fill("dialog #f-abbreviations", "UNOCT")
    page.select_option("dialog #f-organization_kind", "un_body")
    page.click("dialog button[type=submit]")
    page.wait_for_selector("[data-testid=organizations] >> text=United Nations Office of Counter-Terrorism")
    page.screens("organizations")

    # propose a visit from the board
    page.click("nav >> text=Visits")
    page.click("#propose")
    # the States by name: the 193 Member States and the two observer States, not every ISO code
    states = page.locator("dialog #f-member_state option").all_inner_texts()
    assert len(states) == 195 and "Kenya" in states and "Holy See" in states and "Türkiye" in states
    assert "Antarctica" not in states and "Puerto Rico" not in states
    assert page.inner_text("dialog #f-origin >> option[value=committee_selection]") == "selected by the Committee"
    page.select_option("dialog #f-member_state", "KEN")
    page.select_option("dialog #f-committee", "ctc")
    page.fill("dialog #f-purpose", "1373 assessment")
    page.click("dialog button[type=submit]")
    page.wait_for_selector("[data-status='proposed']")
    visit_url = page.url
    page.screens("proposed")

    # the buttons offered are the steps the visit's rules allow now; the others name their rule
    offered = page.locator("[data-testid=next-steps] button").evaluate_all("bs => bs.map(b => b.dataset.command)")
    assert sorted(offered) == ["approve", "cancel", "postpone"]
    assert "only_approved_visits_are_prepared" in page.text_content("[data-testid=refused-steps]")
    # a step the rules forbid is refused with the rule's name, and nothing changes
    dates = {"starts_on": str(today), "ends_on": str(today + timedelta(days=4))}
    refusal = refused(page, "schedule", dates)
    assert refusal.startswith("The rules refuse this now:") and "rule: only_approved_visits_are_prepared" in refusal
    assert page.inner_text("[data-testid=visit-status]") == "proposed"

    step(page, "approve", expect_status="approved")
    # a field the service refuses is named in words with what to do, not as JSON
    invalid = refused(page, "request-consent", {"due_on": "2999-01-01"})
    assert "correct it and send again" in invalid and "due on: date out of range (years 1945 to 2200)." in invalid
    assert "{" not in invalid and "[" not in invalid and "null" not in invalid
    step(page, "request-consent", {"due_on": str(today + timedelta(days=20))}, expect_status="awaiting_consent")
    assert "rule: schedule_requires_consent" in refused(page, "schedule", dates)
    step(page, "grant-consent", expect_status="consented")
    # organizations are chosen from the directory, by name (the kind is the directory's)
    unodc, icao = "United Nations Office on Drugs and Crime", "International Civil Aviation Organization"
    step(page, "invite-organization", None, {"organization": unodc})
    step(page, "invite-organization", None, {"organization": icao})
    step(page, "invite-organization", None, {"organization": "United Nations Office of Counter-Terrorism"})
    step(page, "request-pre-visit-info", {"due_on": str(today + timedelta(days=10))}, {"organization": unodc})
    step(page, "request-pre-visit-info", {"due_on": str(today - timedelta(days=1))}, {"organization": icao})

    # what is overdue: ICAO's information, due yesterday
    page.click("nav >> text=Overdue")
    page.wait_for_selector(f"[data-testid=overdue] >> text={icao}")
    assert "Kenya" in page.inner_text("[data-testid=overdue]")
    page.screens("overdue")
    page.goto(visit_url)
    page.wait_for_selector("[data-status='consented']")

    step(page, "receive-pre-visit-info", {"summary": "legal framework"}, {"organization": unodc})
    step(page, "schedule", {"starts_on": str(today), "ends_on": str(today + timedelta(days=4))}, expect_status="scheduled")
    step(page, "start", expect_status="in_progress")
    step(page, "complete", expect_status="conducted")
    version = int(page.get_attribute("[data-version]", "data-version"))
    page.click("button[data-command='record-needs-assessment']")
    page.wait_for_selector("dialog[open] form")
    areas = page.locator("dialog #f-needs-0-thematic_area option").all_inner_texts()
    assert "border control" in areas and "physical protection" not in areas  # the CTC's areas only
    need_row(page, 0, "border_control", "high", "biometric screening at airports")
    page.click("dialog button[data-add=needs]")
    need_row(page, 1, "legislation", "medium", "a law on passenger data")
    page.screens("record-needs-assessment form")
    page.click("dialog button[type=submit]")
    page.wait_for_selector(f"[data-version='{version + 1}']")
    needs = page.inner_text("[data-testid=needs]")
    assert "N1" in needs and "N2" in needs and "biometric screening at airports" in needs
    # matching: Norway is interested in border control, the area of N1
    page.wait_for_selector("[data-testid=donor-matches] >> text=Norway")
    assert "registered an interest in border control" in page.inner_text("[data-testid=donor-matches]")
    # the two donors named Norway, told apart by their kind (and contact)
    page.wait_for_selector("[data-testid=donor-matches] >> text=Norway (other, norad@example.org)")
    step(page, "grant-sharing-consent")
    donor_id = next(d["id"] for d in system.call("visits", "GET", "/donors", system.dev_token("visit_coordinator"))
                    if d["name"] == "Norway" and d["donor_kind"] == "state")
    # the donor picked by what tells it from the other Norway; the needs ticked, not typed
    version = int(page.get_attribute("[data-version]", "data-version"))
    page.click("button[data-command='share-needs-assessment']")
    page.wait_for_selector("dialog[open] form")
    donors = [d for d in page.locator("dialog #f-donor_id option").all_inner_texts() if d.startswith("Norway")]
    assert len(donors) == 2 and donors[0] != donors[1] and any("interested in border control" in d for d in donors)
    page.select_option("dialog #f-donor_id", donor_id)
    assert "N2: a law on passenger data" in page.inner_text("dialog #f-need_ids")
    page.check("dialog #f-need_ids input[value=N1]")
    page.screens("share-needs-assessment form")
    page.click("dialog button[type=submit]")
    page.wait_for_selector(f"[data-version='{version + 1}']")
    step(page, "record-follow-up", {"summary": "Committee updated"})
    step(page, "close", expect_status="closed")

    # the timeline: every step, in order, with who did it
    events = page.locator("[data-testid=timeline] > li").evaluate_all("items => items.map(i => i.dataset.event)")
    assert events[0] == "visit_proposed" and events[-1] == "visit_closed"
    assert {"consent_granted", "needs_assessment_shared", "pre_visit_info_received"} <= set(events)
    assert len(events) == 18
    story = page.inner_text("[data-testid=timeline]")
    assert "Visit proposed by dev.visit_coordinator (visit coordinator)." in story
    # read as sentences with names: the State, the donor; no UUID, no JSON
    proposed = page.locator("[data-testid=timeline] li[data-event=visit_proposed]")
    assert proposed.locator("dt >> text=State").count() == 1 and "Kenya" in proposed.locator("dd").all_inner_texts()
    shared = page.locator("[data-testid=timeline] li[data-event=needs_assessment_shared]")
    assert "Norway" in shared.locator("dd").all_inner_texts()
    assert not UUID.search(story) and "{" not in story
    assert "N1, border control, high priority: biometric screening at airports" in story
    # closed: the field stage is over, not the follow-up (the report, sharing with donors)
    offered = page.locator("[data-testid=next-steps] button").evaluate_all("bs => bs.map(b => b.dataset.command)")
    # (attaching a document's file is its own part of the page: issue 23, point 5)
    assert [c for c in offered if c != "attach-file"] == ["withdraw-sharing-consent", "share-needs-assessment",
                                                         "record-follow-up", "draft-report", "end-follow-up"]
    assert "Norway" in page.inner_text("main")
    step(page, "draft-report", {"summary": "Screening at the borders is uneven", "recommendations-0-recommendation_id": "R1",
                                "recommendations-0-text": "Introduce advance passenger information"},
         {"recommendations-0-thematic_area": "border_control", "recommendations-0-priority": "high"})
    step(page, "adopt-report", {"note": "Adopted at the Committee's meeting"})
    step(page, "transmit-report")
    report = page.inner_text("[data-testid=visit-report]")
    assert "adopted by the Committee" in report and "transmitted to the State" in report
    main = page.inner_text("main")
    assert "Introduce advance passenger information" in main and "not started" in main
    assert "factual observations" in main and "response on implementation" in main
    page.screens("report transmitted")

    # the board: the visit is among the ended ones, and the filters find it
    page.click("nav >> text=Visits")
    page.wait_for_selector("[data-stage='Ended'] >> text=Kenya")
    page.screens("board")
    page.select_option("#filter-state", label="Kenya")
    page.select_option("#filter-status", "closed")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/#/visits?state=KEN&status=closed")
    page.wait_for_selector("#filter-status >> option[value=closed][selected]", state="attached")
    assert page.inner_text("[data-testid=count]") == "1 visit(s)"
    page.select_option("#filter-committee", "1540")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**committee=1540**")
    page.wait_for_selector("#filter-committee >> option[value='1540'][selected]", state="attached")
    assert page.inner_text("[data-testid=count]") == "0 visit(s)"
    page.screens("board filtered")

    # the donor sees what was shared with them, and nothing else
    donor_token = system.token("norway.mfa", "donor", donor_id=donor_id)
    donor = browser.new_context()
    try:
        donor_page = donor.new_page()
        sign_in(donor_page, system.console, donor_token)
        assert donor_page.locator("nav a").all_inner_texts() == ["Home", "Shared with you"]
        donor_page.click("nav >> text=Shared with you")
        donor_page.wait_for_selector("main >> text=biometric screening at airports")
        assert "Kenya — CTC" in donor_page.inner_text("main")
        # the needs assessment's files it may read are listed with the share (none kept yet)
        assert "No file yet." in donor_page.inner_text("[data-share] [data-testid=files]")
        donor_page.screenshot(path=str(page.screens.folder / "donor-shares.png"), full_page=True)
        with donor_page.expect_download() as iati:  # the share as an IATI activity, with the donor's token
            donor_page.click("button[data-iati=xml]")
        assert "<iati-activities" in Path(iati.value.path()).read_text(encoding="utf-8")
        # the visits themselves stay closed to a donor: the service says so
        denied = donor_page.evaluate("fetch('/api/visits/visits', {credentials: 'same-origin'}).then(r => r.status)")
        assert denied == 403
    finally:
        donor.close()
