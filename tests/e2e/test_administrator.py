"""An administrator in the console: signs in with a password, adds a person's account, issues
a script's token (shown once), and the new person signs in, stays signed in in a new tab, and
signs out."""
from __future__ import annotations

import json

import requests


def sign_in_with(page, console: str, user: str, password: str) -> None:
    page.goto(console + "/")
    page.fill("#user", user)
    page.fill("#password", password)
    page.click("#signin button[type=submit]")


def test_an_administrator_adds_an_account_and_issues_a_token(page, system):
    console = system.console
    passwords = json.loads((system.data_dir / "dev-accounts.json").read_text())

    sign_in_with(page, console, "dev.administrator", "not the password")
    error = page.wait_for_selector("[data-testid=signin-error]:not([hidden])")
    assert error.inner_text() == "The user name or the password is wrong."
    assert page.get_attribute("[data-testid=signin-error]", "role") == "alert"
    page.screens("wrong password")

    sign_in_with(page, console, "dev.administrator", passwords["dev.administrator"])
    page.wait_for_selector("[data-testid=whoami]")
    page.click("nav >> text=People and tokens")
    page.wait_for_selector("h1:has-text('People and tokens')")
    page.screens("people and tokens")

    page.click("[data-testid=add-account]")
    page.fill("dialog #a-user", "k.tanaka")
    page.fill("dialog #a-name", "Kenji Tanaka")
    page.select_option("dialog #a-role", "secretariat")
    page.select_option("dialog #a-committee", "1540")
    page.fill("dialog #a-password", "short")
    page.click("dialog button[type=submit]")
    refused = page.wait_for_selector("dialog [data-testid=form-error]:not([hidden])").inner_text()
    assert refused.startswith("Please correct: password:") and "12 to 200 characters" in refused
    page.fill("dialog #a-password", "a first passphrase for Kenji")
    page.click("dialog button[type=submit]")
    page.wait_for_selector("tr:has-text('Kenji Tanaka')")
    row = page.inner_text("tr:has-text('Kenji Tanaka')")
    assert "secretariat" in row and "1540" in row and "never" in row

    page.click("[data-testid=issue-token]")
    page.fill("dialog #t-user", "reports.script")
    page.select_option("dialog #t-role", "reporting_staff")
    page.fill("dialog #t-days", "30")
    page.click("dialog button[type=submit]")
    token = page.wait_for_selector("[data-testid=new-token]").inner_text()
    page.screens("token shown once")
    assert token.startswith("fw_")
    whoami = requests.get(f"{system.urls['visits']}/whoami", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert whoami.json()["user"] == "reports.script"
    page.click("dialog >> text=Done")
    page.wait_for_selector("tr:has-text('reports.script')")
    page.click("text=Sign out")
    page.wait_for_selector("#signin")

    sign_in_with(page, console, "k.tanaka", "a first passphrase for Kenji")
    assert page.wait_for_selector("[data-testid=whoami]").inner_text() == "Kenji Tanaka (secretariat)"
    assert "People and tokens" not in page.inner_text("nav")
    # the session is the browser's, not the tab's: a new tab is signed in too
    other = page.context.new_page()
    other.goto(console + "/#/account")
    other.wait_for_selector("text=Change your password")
    assert "k.tanaka" in other.inner_text("main")
    other.close()
    # the cookie is not readable by the page's scripts
    assert "fieldwork_session" not in page.evaluate("document.cookie")
    page.click("text=Sign out")
    page.wait_for_selector("#signin")
    page.goto(console + "/#/meetings")
    page.wait_for_selector("#signin")  # signed out everywhere: back to the sign-in page
