"""Writes the pictures of docs/reports.md (not a test: run it by name when the documents change):

    .venv/bin/python -m pytest tests/unit/reporting/pictures.py -p no:cacheprovider

The known-answer scenario's first half of 2025, both Committees together, issued 15 July 2025:
the PDF's first and third pages (pypdfium2), the HTML's top (Chromium, through Playwright) and
the Word document's first page and the XLSX's sheet of the visits conducted (converted to PDF
by LibreOffice, where ``soffice`` is there)."""
from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pypdfium2
from PIL import ImageOps

from reporting.formats import render
from reporting.reports import build_report, semi_annual

DOCS = Path(__file__).resolve().parents[3] / "docs" / "reports"


def test_write_the_pictures(scenario, reporting, tmp_path):
    DOCS.mkdir(exist_ok=True)
    report = build_report(reporting.records(scenario.envelopes), "semi-annual", semi_annual(2025, 1),
                          reporting.provenance(scenario.envelopes), "both", date(2025, 7, 15))
    pdf = pypdfium2.PdfDocument(render(report, "pdf"))
    for page in (1, 3):
        pdf[page - 1].render(scale=1.0).to_pil().save(DOCS / f"pdf-page-{page}.png", optimize=True)
    (tmp_path / "report.html").write_bytes(render(report, "html"))
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1000, "height": 1300})
        page.goto((tmp_path / "report.html").as_uri())
        page.screenshot(path=str(DOCS / "html.png"))
        browser.close()
    if shutil.which("soffice"):
        (tmp_path / "report.docx").write_bytes(render(report, "docx"))
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "word"),
                        str(tmp_path / "report.docx")], check=True, capture_output=True, timeout=120)
        word = pypdfium2.PdfDocument(str(tmp_path / "word" / "report.pdf"))
        word[0].render(scale=1.0).to_pil().save(DOCS / "docx-page-1.png", optimize=True)
        (tmp_path / "report.xlsx").write_bytes(render(report, "xlsx"))
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "sheets"),
                        str(tmp_path / "report.xlsx")], check=True, capture_output=True, timeout=120)
        sheets = pypdfium2.PdfDocument(str(tmp_path / "sheets" / "report.pdf"))
        page = next(i for i in range(len(sheets)) if "organizations invited" in sheets[i].get_textpage().get_text_range())
        image = sheets[page].render(scale=2.5).to_pil().convert("RGB")
        box = ImageOps.invert(image).getbbox()  # the printed part of the page
        image.crop((box[0] - 20, box[1] - 20, box[2] + 20, box[3] + 20)).save(DOCS / "xlsx-visits.png", optimize=True)
