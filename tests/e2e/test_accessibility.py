"""The console is accessible: axe-core finds no WCAG 2.1 A or AA violation on any page, as any
role that sees it, nor in the forms its steps open; a form's errors reach a screen reader; a
skip link leads to the content; and a visit goes through its lifecycle with the keyboard alone."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest

from axe_audit import audit
from conftest import sign_in

# the roles `fieldwork up` made a development account for
DEVELOPMENT_ROLES = ("visit_coordinator", "administrator", "secretariat", "reporting_staff")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Records:
    """What the pages show: a visit shared with a donor, a meeting held with an outcome logged
    and one to come, a contact in the directory; and the tokens of the roles that read them."""
    visit: str
    donor: str
    donor_token: str
    chair_token: str
    meeting: str
    upcoming: datetime
    contact: str


def steps(system, service: str, record: str, token: str, taken: list[tuple[str, dict]]) -> None:
    """Take each step (command, body) on a record, in order, through the service's API."""
    for command, body in taken:
        system.call(service, "POST", f"{record}/{command}", token, body)


@pytest.fixture(scope="module")
def records(system) -> Records:
    coordinator, secretariat = system.dev_token("visit_coordinator"), system.dev_token("secretariat")
    today, now = date.today(), datetime.now(timezone.utc).replace(microsecond=0)
    donor = system.call("visits", "POST", "/donors", coordinator,
                        {"name": "Accessible Aid Fund", "donor_kind": "international_organization", "thematic_areas": ["border_control"]})
    visit = system.call("visits", "POST", "/visits", coordinator,
                        {"member_state": "CHL", "committee": "ctc", "purpose": "accessibility walk-through"})["id"]
    steps(system, "visits", f"/visits/{visit}", coordinator, [
        ("approve", {}), ("request-consent", {"due_on": str(today + timedelta(days=20))}), ("grant-consent", {}),
        ("invite-organization", {"organization": "United Nations Office on Drugs and Crime"}),
        ("schedule", {"starts_on": str(today), "ends_on": str(today + timedelta(days=3))}), ("start", {}), ("complete", {}),
        ("record-needs-assessment", {"needs": [{"need_id": "N1", "thematic_area": "border_control",
                                                "description": "biometric screening", "priority": "high"}]}),
        ("grant-sharing-consent", {}), ("share-needs-assessment", {"donor_id": donor["id"], "need_ids": ["N1"]})])

    # a group of its own with its chair; a meeting it held two days ago, and one to come
    group = system.call("meetings", "POST", "/groups", secretariat, {
        "name": "Accessibility working group", "committee": "1540", "mandate_area": "Trying the console with a keyboard",
        "occurred_at": iso(now - timedelta(days=60))})["id"]
    steps(system, "meetings", f"/groups/{group}", secretariat, [
        ("assign-chair", {"chair_member_state": "BRA", "chair_user": "chair.a11y", "occurred_at": iso(now - timedelta(days=30))})])
    chair_token = system.token("chair.a11y", "working_group_chair")
    meetings, upcoming = {}, (now + timedelta(days=9)).replace(hour=15, minute=0, second=0)
    for title, starts, occurred_at in [("Access review", now - timedelta(days=2), now - timedelta(days=20)),
                                       ("Keyboard review", upcoming, now)]:
        meetings[title] = system.call("meetings", "POST", "/meetings", secretariat, {
            "group_id": group, "meeting_kind": "working_group", "title": title, "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(hours=2)), "location": "Conference Room 2", "occurred_at": iso(occurred_at)})["id"]
    steps(system, "meetings", f"/meetings/{meetings['Keyboard review']}", secretariat, [("announce", {})])
    held = f"/meetings/{meetings['Access review']}"
    steps(system, "meetings", held, secretariat, [
        ("announce", {"occurred_at": iso(now - timedelta(days=19))}),
        ("circulate-document", {"document_id": "AR-1", "title": "Checklist", "occurred_at": iso(now - timedelta(days=10))}),
        ("hold", {"occurred_at": iso(now - timedelta(days=2, hours=-2))})])
    steps(system, "meetings", held, chair_token, [
        ("log-outcome", {"outcome_id": "A1", "outcome_kind": "decision", "text": "Every page passes axe"})])

    # (a secretariat's contact: the directory's test expects no delegation of the CTC)
    contact = system.call("notifications", "POST", "/contacts", secretariat, {
        "role": "secretariat", "committee": "1540", "name": "Accessibility desk of the 1540 experts",
        "email": "a11y.desk@un.example.org", "since": str(today)})["id"]
    return Records(visit=visit, donor=donor["id"], donor_token=system.token("aid.fund", "donor", donor_id=donor["id"]), chair_token=chair_token,
                   meeting=meetings["Access review"], upcoming=upcoming, contact=contact)


def show(page, console: str, hash_: str) -> None:
    """Go to a page of the console and wait until it is drawn (the page before is marked stale)."""
    page.evaluate("() => { const shown = document.querySelector('#main > *'); if (shown) shown.dataset.stale = '1'; }")
    if page.url == f"{console}/{hash_}":
        page.reload()
    else:
        page.goto(f"{console}/{hash_}")
    page.wait_for_selector("#main > :not([data-stale]):not([data-loading])")
    assert not page.locator("#main > .error").count(), page.inner_text("#main")


def audit_dialogs(page, buttons: str, where: str, seen: set) -> list[str]:
    """Open each form the buttons matching ``buttons`` open (the steps under "Other steps"
    too), audit it and close it with Escape; a form ``seen`` already (the same step of the
    same kind of record, for another role) is not opened again."""
    found = []
    names = page.locator(buttons).evaluate_all("bs => bs.map(b => b.dataset.command || b.id || b.dataset.testid)")
    for i, name in enumerate(names):
        if (buttons, name) in seen:
            continue
        seen.add((buttons, name))
        button = page.locator(buttons).nth(i)
        if not button.is_visible():
            page.click("[data-testid=refused-steps] summary")
        button.click()
        page.wait_for_selector("dialog[open] form")
        found += audit(page, f"{where}, form {name}")
        page.keyboard.press("Escape")
        page.wait_for_selector("dialog[open]", state="detached")
    return found


# The forms each role opens: the steps of a visit, a meeting, a contact; the buttons that make a
# record (propose a visit, register a donor, schedule a meeting, add a contact, an account...).
VISIT_STEPS = "[data-visit] button[data-command]"
MEETING_STEPS = "[data-meeting] button[data-command]"
CONTACT_STEPS = "[data-contact] button[data-command]"
MAKERS = "main .actions button[id]"
FORMS = {"visit_coordinator": {"#/visits/": VISIT_STEPS, "#/visits": MAKERS, "#/donors": MAKERS, "#/organizations": MAKERS},
         "secretariat": {"#/meetings/": MEETING_STEPS, "#/meetings": MAKERS, "#/directory/": CONTACT_STEPS, "#/directory": MAKERS},
         "working_group_chair": {"#/meetings/": MEETING_STEPS},
         "administrator": {"#/people": "main button[data-testid=add-account], main button[data-testid=issue-token]"}}


def test_every_page_and_form_of_the_console_passes_axe_for_every_role_that_sees_it(page, system, records):
    console = system.console
    found: list[str] = []
    page.goto(console + "/")
    page.wait_for_selector("#signin")
    found += audit(page, "sign-in")
    page.fill("#user", "nobody.here")
    page.fill("#password", "not the password")
    page.click("#signin button[type=submit]")
    page.wait_for_selector("[data-testid=signin-error]:not([hidden])")
    found += audit(page, "sign-in, refused")

    pages = {
        "visit_coordinator": ["#/", "#/visits", f"#/visits/{records.visit}", "#/overdue", "#/donors", "#/organizations",
                              f"#/schedule?month={records.upcoming:%Y-%m}", "#/meetings", f"#/meetings/{records.meeting}",
                              "#/awaiting", "#/directory", f"#/directory/{records.contact}", "#/account"],
    }
    pages["administrator"] = pages["visit_coordinator"] + ["#/reports", "#/status", "#/people"]
    pages["secretariat"] = pages["working_group_chair"] = [p for p in pages["visit_coordinator"] if p != "#/overdue"]
    pages["reporting_staff"] = pages["secretariat"] + ["#/reports", "#/status"]
    pages["donor"] = ["#/", "#/shares", "#/account"]
    tokens = {role: system.dev_token(role) for role in DEVELOPMENT_ROLES}
    tokens.update(working_group_chair=records.chair_token, donor=records.donor_token)
    forms_seen: set = set()
    for role, hashes in pages.items():
        sign_in(page, console, tokens[role])
        for hash_ in hashes:
            show(page, console, hash_)
            where = f"{role} {hash_}"
            found += audit(page, where)
            if hash_ == "#/reports":
                page.click("#build")
                page.wait_for_selector("[data-testid=report-frame]:not([hidden])")
                found += audit(page, f"{where}, built")
            page_kind = hash_ if hash_.count("/") == 1 else hash_[:hash_.rindex("/") + 1]
            buttons = FORMS.get(role, {}).get(page_kind)
            if buttons:
                found += audit_dialogs(page, buttons, where, forms_seen)
        page.screens(f"{role} last page")
        page.click("#who button")
        page.wait_for_selector("#signin")
    assert not found, "\n".join(found)


# -- the keyboard ---------------------------------------------------------------------------------

FOCUSED = """() => { const e = document.activeElement; const style = getComputedStyle(e);
  return { tag: e.tagName, id: e.id, command: (e.dataset && e.dataset.command) || null, text: (e.textContent || "").trim().slice(0, 60),
           in_dialog: !!e.closest("dialog[open]"), in_steps: !!e.closest("[data-testid=next-steps]"),
           seen: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2 }; }"""


def focused(page) -> dict:
    return page.evaluate(FOCUSED)


def tab_to(page, selector: str, most: int = 150) -> dict:
    """Tab (or Shift+Tab, towards where it is) until ``selector`` has the focus; every control
    passed on the way shows that it has it."""
    if page.evaluate("s => document.activeElement.matches(s)", selector):
        return focused(page)  # there already (a date's fields are Tab stops of their own)
    backwards = page.evaluate("""s => { const t = document.querySelector(s);
        return !!t && !!(t.compareDocumentPosition(document.activeElement) & Node.DOCUMENT_POSITION_FOLLOWING); }""", selector)
    for _ in range(most):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if now["tag"] != "BODY":
            assert now["seen"], f"the focus on {now} cannot be seen"
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return now
    raise AssertionError(f"{selector} was never reached with the keyboard (the focus is on {focused(page)})")


def choose(page, selector: str, value: str) -> None:
    """Choose an option of a (focused) select with the arrow keys."""
    tab_to(page, selector)
    page.keyboard.press("Home")
    for _ in range(300):
        if page.input_value(selector) == value:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{value} is not among the choices of {selector}")


def type_into(page, selector: str, text: str) -> None:
    tab_to(page, selector)
    page.keyboard.type(text)


def type_date(page, selector: str, day: date) -> None:
    """A date field as the browser shows it here (month, day, year), typed."""
    tab_to(page, selector)
    page.keyboard.type(f"{day:%m%d%Y}")
    assert page.input_value(selector) == day.isoformat()


def keyboard_step(page, command: str, fill=None, key: str = "Enter") -> None:
    """Reach the step's button with the keyboard, open its form, fill it, send it: the dialog
    takes the focus, and gives it back to the page on a control of its next steps."""
    version = int(page.get_attribute("[data-version]", "data-version"))
    tab_to(page, f"[data-testid=next-steps] button[data-command='{command}']")
    page.keyboard.press(key)
    page.wait_for_selector("dialog[open] form")
    assert focused(page)["in_dialog"], f"{command}: the dialog opened without the focus"
    if fill:
        fill()
    tab_to(page, "dialog button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog[open]", state="detached")
    page.wait_for_selector(f"[data-version='{version + 1}']")
    page.wait_for_function("() => document.activeElement && document.activeElement !== document.body")
    now = focused(page)
    assert now["in_steps"] or now["tag"] == "H1", f"after {command} the focus went to {now}"


def test_a_skip_link_is_the_first_stop_and_leads_to_the_content(page, system):
    sign_in(page, system.console, system.dev_token("visit_coordinator"))
    page.goto(f"{system.console}/#/visits")
    page.reload()
    page.wait_for_selector("[data-stage]")
    page.keyboard.press("Tab")
    first = focused(page)
    assert (first["tag"], first["text"]) == ("A", "Skip to content") and first["seen"]
    box = page.locator(".skip-link").bounding_box()
    assert box["y"] >= 0 and box["height"] > 0, "the skip link is shown when it has the focus"
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    assert page.url.endswith("#/visits"), "the page stays where it was"
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "propose", "the next stop is the page's first control"


def test_a_forms_errors_reach_a_screen_reader(page, system):
    sign_in(page, system.console, system.dev_token("secretariat"))
    page.goto(f"{system.console}/#/directory")
    page.click("#add-contact")
    page.wait_for_selector("dialog[open] form")
    page.fill("dialog #f-name", "Permanent Mission of Uruguay")
    page.fill("dialog #f-email", "uruguay@mission")  # an address as a browser takes it, not as the service does
    page.select_option("dialog #f-role", "secretariat")
    page.click("dialog button[type=submit]")
    box = page.wait_for_selector("dialog [data-testid=form-error]:not([hidden])")
    assert box.get_attribute("role") == "alert"
    field = page.locator("dialog #f-email")
    assert field.get_attribute("aria-invalid") == "true"
    described = page.inner_text(f"#{field.get_attribute('aria-describedby')}")
    assert "email" in described and "valid" in described.lower()
    assert focused(page)["id"] == "f-email", "the focus goes to the field named in the error"
    assert page.locator("dialog [aria-invalid]").count() == 1
    assert not audit(page, "a form refused")
    page.screens("field error")
    # put right, the form is sent and its marks go with it
    page.fill("dialog #f-email", "uruguay@mission.example.org")
    page.click("dialog button[type=submit]")
    page.wait_for_selector("dialog[open]", state="detached")
    page.wait_for_selector("[data-testid=contacts] >> text=Permanent Mission of Uruguay")


def check(page, selector: str) -> None:
    """Tick a check box with the space bar."""
    tab_to(page, selector)
    page.keyboard.press(" ")
    assert page.is_checked(selector)


def test_a_visit_goes_through_its_lifecycle_with_the_keyboard_alone(page, system, records):
    today = date.today()
    sign_in(page, system.console, system.dev_token("visit_coordinator"))
    page.goto(f"{system.console}/#/visits")
    page.reload()
    page.wait_for_selector("[data-stage]")
    # from here on, keys only: the skip link, then the page's first control
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    tab_to(page, "#propose")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog[open] form")
    assert focused(page)["id"] == "f-member_state", "the dialog's first field has the focus"
    choose(page, "dialog #f-member_state", "ARG")
    choose(page, "dialog #f-committee", "ctc")
    type_into(page, "dialog #f-purpose", "keyboard walk-through")
    tab_to(page, "dialog button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-status='proposed']")
    page.wait_for_function("() => document.activeElement.tagName === 'H1'")
    page.screens("proposed by keyboard")

    # a dialog closed with Escape gives the focus back to the button that opened it
    tab_to(page, "[data-testid=next-steps] button[data-command='approve']")
    page.keyboard.press(" ")
    page.wait_for_selector("dialog[open] form")
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog[open]", state="detached")
    assert focused(page)["command"] == "approve"

    keyboard_step(page, "approve", key=" ")
    keyboard_step(page, "request-consent", lambda: type_date(page, "dialog #f-due_on", today + timedelta(days=20)))

    # a step the rules refuse, under "Other steps": its refusal is announced, the focus comes back
    tab_to(page, "[data-testid=refused-steps] summary")
    page.keyboard.press("Enter")
    tab_to(page, "[data-testid=refused-steps] button[data-command='start']")
    page.keyboard.press("Enter")
    page.wait_for_selector("dialog[open] form")
    tab_to(page, "dialog button[type=submit]")
    page.keyboard.press("Enter")
    error = page.wait_for_selector("dialog [data-testid=form-error]:not([hidden])")
    assert error.get_attribute("role") == "alert" and "start_requires_schedule" in error.inner_text()
    assert focused(page)["in_dialog"]
    page.screens("refused by keyboard")
    page.keyboard.press("Escape")
    page.wait_for_selector("dialog[open]", state="detached")
    assert focused(page)["command"] == "start"

    keyboard_step(page, "grant-consent")
    # changed elsewhere meanwhile, the page draws itself again: the focus stays on its step
    tab_to(page, "[data-testid=next-steps] button[data-command='invite-organization']")
    visit, version = page.get_attribute("[data-visit]", "data-visit"), int(page.get_attribute("[data-version]", "data-version"))
    system.call("visits", "POST", f"/visits/{visit}/invite-organization", system.dev_token("visit_coordinator"),
                {"organization": "International Civil Aviation Organization"})
    page.wait_for_selector(f"[data-version='{version + 1}']")
    assert (focused(page)["command"], focused(page)["in_steps"]) == ("invite-organization", True)
    keyboard_step(page, "invite-organization",
                  lambda: choose(page, "dialog #f-organization", "United Nations Office on Drugs and Crime"))
    keyboard_step(page, "schedule", lambda: (type_date(page, "dialog #f-starts_on", today),
                                             type_date(page, "dialog #f-ends_on", today + timedelta(days=3))))
    keyboard_step(page, "start")
    keyboard_step(page, "complete")
    page.wait_for_selector("[data-status='conducted']")
    keyboard_step(page, "record-needs-assessment", lambda: (
        choose(page, "dialog #f-needs-0-thematic_area", "border_control"), choose(page, "dialog #f-needs-0-priority", "high"),
        type_into(page, "dialog #f-needs-0-description", "biometric screening at airports")))
    keyboard_step(page, "grant-sharing-consent")
    keyboard_step(page, "share-needs-assessment", lambda: (
        choose(page, "dialog #f-donor_id", records.donor), check(page, "dialog #f-need_ids-0")))
    keyboard_step(page, "record-follow-up", lambda: type_into(page, "dialog #f-summary", "Committee updated"))
    keyboard_step(page, "close")
    page.wait_for_selector("[data-status='closed']")
    page.screens("closed by keyboard")
    events = page.locator("[data-testid=timeline] li").evaluate_all("items => items.map(i => i.dataset.event)")
    assert events[0] == "visit_proposed" and events[-1] == "visit_closed"
    assert "needs_assessment_shared" in events
