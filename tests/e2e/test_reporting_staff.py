"""Reporting staff watch the reporting service's status, build the semi-annual report in the
web console, read it in the page and download it as PDF (and the other formats)."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from conftest import sign_in


def test_reporting_staff_build_the_report_and_download_the_pdf(page, system, artifacts):
    # something to report on: a visit proposed and approved now
    coordinator = system.dev_token("visit_coordinator")
    visit = system.call("visits", "POST", "/visits", coordinator, {"member_state": "MAR", "committee": "1540"})
    system.call("visits", "POST", f"/visits/{visit['id']}/approve", coordinator, {})

    sign_in(page, system.console, system.dev_token("reporting_staff"))
    assert page.locator("nav a").all_inner_texts() == ["Home", "Visits", "Donors", "Organizations", "Schedule", "Meetings", "Awaiting", "Directory",
                                                      "Reports", "Reporting status"]
    page.screens("home")

    # the status: events recorded (live: it follows the intake), lag, dead letters
    page.click("nav >> text=Reporting status")
    page.wait_for_selector("[data-testid=events-recorded]")
    deadline = time.monotonic() + 30  # the page follows the intake by itself (polling)
    while int(page.inner_text("[data-testid=events-recorded] .n")) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert int(page.inner_text("[data-testid=events-recorded] .n")) >= 2
    assert page.inner_text("[data-testid=lag] .n").isdigit()
    assert page.inner_text("[data-testid=dead-letters] .n") == "0"
    assert "visits.events" in page.inner_text("main")
    page.screens("status")

    # build this half year's report, as HTML in the page
    now = datetime.now(timezone.utc)
    page.click("nav >> text=Reports")
    page.select_option("#committee", "ctc")  # CTED's report: one Committee's work
    page.fill("#year", str(now.year))
    page.select_option("#half", "1" if now.month <= 6 else "2")
    page.fill("#symbol", "S/2026/999")
    page.click("#build")
    frame = page.frame_locator("[data-testid=report-frame]")
    frame.locator("text=Key figures").first.wait_for()
    shown = frame.locator("body").inner_text()
    assert "Provenance" in shown and "everything recorded" in shown
    assert "of the Counter-Terrorism Committee" in shown
    assert "S/2026/999" in shown and "Distr.: General" in shown  # the document's front matter
    assert "Security Council Committee established pursuant to resolution 1373 (2001)" in shown
    assert "During the period under review" in shown  # the numbered paragraphs
    assert frame.locator("svg").count() + frame.locator("table").count() > 1  # its tables (and charts)
    page.screens("report")

    # download it: PDF, and the other formats the reporting service offers
    folder = artifacts / "downloads"
    folder.mkdir(exist_ok=True)
    with page.expect_download() as pdf:
        page.click("[data-testid=downloads] button[data-format=pdf]")
    half = 1 if now.month <= 6 else 2
    start, end = (f"{now.year}-01-01", f"{now.year}-06-30") if half == 1 else (f"{now.year}-07-01", f"{now.year}-12-31")
    assert pdf.value.suggested_filename == f"ctc-semi-annual-report-{start}-to-{end}.pdf"
    pdf_path = folder / pdf.value.suggested_filename
    pdf.value.save_as(pdf_path)
    assert pdf_path.read_bytes().startswith(b"%PDF")
    saved = {}
    for format in ("json", "md", "html", "docx", "xlsx", "csv"):
        with page.expect_download() as download:
            page.click(f"[data-testid=downloads] button[data-format={format}]")
        saved[format] = folder / download.value.suggested_filename
        download.value.save_as(saved[format])
    report = json.loads(saved["json"].read_text())
    assert report["provenance"]["events"] >= 2
    assert "# Semi-annual report of the Counter-Terrorism Committee" in saved["md"].read_text()
    assert saved["docx"].read_bytes().startswith(b"PK") and saved["xlsx"].read_bytes().startswith(b"PK")
    assert saved["csv"].name.endswith(".csv.zip")
    assert saved["html"].read_text().startswith("<!DOCTYPE html>")

    # "as of" a moment before anything happened: a report of nothing, built all the same
    page.fill("#as_of", "2000-01-01T00:00")
    page.click("#build")
    page.wait_for_selector("#build:text-is('Build the report'):not([disabled])")
    frame.locator("text=as recorded on 1 January 2000").first.wait_for()  # the title says as of when
    assert "Provenance" in frame.locator("body").inner_text()
    page.screens("report as of")

    # a bad period is refused by the reporting service, and the console says why
    page.click("text=Any period instead")
    page.fill("#start", f"{now.year}-06-30")
    page.fill("#end", f"{now.year}-01-01")
    page.click("#build")
    error = page.wait_for_selector("[data-testid=report-error]:not([hidden])").inner_text()
    assert "correct it and send again" in error and "end: end is before start." in error
    page.screens("report refused")


def test_reporting_staff_replay_what_the_broker_dead_lettered_from_the_status_page(page, system):
    """An event the broker dead-lettered (as after a message failed by itself 6 times) is taken
    back into the record, named on the status page, and replayed there with one click."""
    import uuid

    import pika

    from shared.contract import build_envelope, encode_envelope

    envelope = build_envelope(
        event_type="visit_proposed", aggregate_id=uuid.uuid4(), aggregate_version=1,
        occurred_at=datetime.now(timezone.utc), recorded_at=datetime.now(timezone.utc), user="ana",
        role="visit_coordinator", correlation_id="e2e-dead-letter",
        payload_source={"member_state": "KEN", "committee": "ctc", "origin": "committee_selection", "purpose": ""})
    connection = pika.BlockingConnection(pika.URLParameters(system.env["AMQP_URI"]))
    channel = connection.channel()
    channel.confirm_delivery()
    channel.basic_publish("fieldwork.dead-letters", "visit_proposed", encode_envelope(envelope), pika.BasicProperties(
        content_type="application/json", delivery_mode=2, headers={"x-death": [{
            "reason": "delivery_limit", "queue": "reporting.events", "count": 1, "exchange": "visits.events",
            "routing-keys": ["visit_proposed"]}]}), mandatory=True)
    connection.close()

    sign_in(page, system.console, system.dev_token("reporting_staff"))
    page.click("nav >> text=Reporting status")
    button = page.wait_for_selector("[data-testid=replay-reason-broker_delivery_limit]", timeout=30_000)
    assert page.inner_text("[data-testid=open-dead-letters] .n") == "1"
    assert "broker delivery limit" in page.inner_text("main")
    page.screens("dead letter waiting")
    button.click()
    page.wait_for_selector("text=Replayed 1: 1 recorded")
    deadline = time.monotonic() + 10
    while page.inner_text("[data-testid=open-dead-letters] .n") != "0" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert page.inner_text("[data-testid=open-dead-letters] .n") == "0"
    page.screens("dead letter replayed")
    recorded = system.call("reporting", "GET", f"/dead-letters?reason=broker_delivery_limit",
                           system.dev_token("reporting_staff"))
    assert [(x["status"], x["last_outcome"]) for x in recorded] == [("dealt_with", "recorded")]
