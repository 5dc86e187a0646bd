"""Documents as files in the console: the secretariat adds a meeting document's file (a PDF in
French) from the meeting's page through a file picker, sees it listed with its symbol, version
and language, and downloads it byte for byte; a file of the wrong type is refused in a sentence
naming the field, a revision of an original without a file names its rule, and nothing is
listed until a file is taken."""
from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

from conftest import sign_in
from fieldwork_testing import group_body, meeting_body

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + os.urandom(4000) + b"\n%%EOF\n"


def test_the_secretariat_adds_a_document_file_and_downloads_it(page, system, tmp_path):
    secretariat = system.dev_token("secretariat")
    now = datetime.now(timezone.utc)
    group = system.call("meetings", "POST", "/groups", secretariat, group_body("Working Group on files"))
    starts = (now + timedelta(days=20)).replace(hour=14, minute=0, second=0, microsecond=0)
    meeting = system.call("meetings", "POST", "/meetings", secretariat, meeting_body(group["id"], "Matrices review", starts))
    system.call("meetings", "POST", f"/meetings/{meeting['id']}/circulate-document", secretariat,
                {"title": "Draft matrix", "symbol": "S/AC.44/2026/WP.3"})
    picture = tmp_path / "matrix.pdf"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(300))
    document = tmp_path / "matrice.pdf"
    document.write_bytes(PDF)

    sign_in(page, system.console, secretariat)
    page.goto(f"{system.console}/#/meetings/{meeting['id']}")
    page.wait_for_selector("[data-testid=files] >> text=No file yet.")
    page.click("button[data-command='attach-file']")
    page.wait_for_selector("dialog[open] #u-file")
    page.set_input_files("dialog #u-file", str(picture))
    page.click("dialog button[type=submit]")
    refused = page.wait_for_selector("dialog [data-testid=form-error]:not([hidden])").inner_text()
    assert refused.startswith("Please correct: file:") and "PNG" in refused
    page.screens("a picture refused")

    page.select_option("dialog #u-language", "fr")
    page.fill("dialog #u-version", "Rev.1")
    page.set_input_files("dialog #u-file", str(document))
    page.click("dialog button[type=submit]")
    refused = page.wait_for_selector("dialog [data-testid=form-error]:not([hidden]) >> text=versions_in_order").inner_text()
    assert "has no file yet" in refused  # a revision of an original that has no file
    page.fill("dialog #u-version", "original")
    page.click("dialog button[type=submit]")
    row = page.wait_for_selector("[data-testid=files] tbody tr")
    text = row.inner_text()
    assert "S/AC.44/2026/WP.3" in text and "French" in text and "PDF" in text and "original" in text
    page.screens("file listed")
    with page.expect_download() as downloaded:
        page.click("[data-testid=files] a[download]")
    assert open(downloaded.value.path(), "rb").read() == PDF
