"""The report in its formats: the same events in any order, delivered any number of times, give
the same bytes in every format; each document format has the same front matter, numbered
paragraphs, charts and annex (the one ``Document``); the HTML draws its charts inline and
fetches nothing from the internet; the PDF's pages are rendered and its text extracted
(pypdfium2), its fonts embedded; the Word, XLSX and CSV exports hold every table."""
from __future__ import annotations

import csv
import io
import json
import random
import re
import zipfile
from datetime import date

import pytest

import pypdfium2

from reporting.document import document_of
from reporting.formats import FORMATS, render
from reporting.reports import annual, build_report, semi_annual

H1_2025 = semi_annual(2025, 1)
YEAR_2025 = annual(2025)


def shuffled_with_duplicates(envelopes: list[dict], seed: int) -> list[dict]:
    rng = random.Random(seed)
    delivered = [json.loads(json.dumps(e)) for e in envelopes]  # copies, as if decoded again
    delivered += [json.loads(json.dumps(e)) for e in rng.sample(envelopes, k=len(envelopes) // 3)]
    rng.shuffle(delivered)
    return delivered


@pytest.mark.parametrize("kind, period", [("semi-annual", H1_2025), ("annual", YEAR_2025)])
@pytest.mark.parametrize("fmt", ["json", "md", "html", "pdf", "docx", "xlsx", "csv"])
def test_same_events_in_any_order_and_with_duplicates_give_the_same_bytes(scenario, reporting, kind, period, fmt):
    provenance = reporting.provenance(scenario.envelopes)  # what the report says it was built from
    expected = render(reporting.report(scenario.envelopes, kind, period, provenance), fmt)
    for seed in range(5):
        delivered = shuffled_with_duplicates(scenario.envelopes, seed)
        assert delivered != scenario.envelopes
        assert render(reporting.report(delivered, kind, period, provenance), fmt) == expected, f"seed {seed}"


def test_records_do_not_depend_on_order_or_duplicates(scenario, reporting):
    expected = reporting.records(scenario.envelopes)
    assert reporting.records(shuffled_with_duplicates(scenario.envelopes, 7)) == expected
    assert reporting.records(list(reversed(scenario.envelopes))) == expected
    assert all(r["missing_versions"] == [] for r in expected.values())


def test_json_is_the_report_sorted_and_readable(scenario, reporting):
    report = reporting.report(scenario.envelopes, "semi-annual", H1_2025)
    body = render(report, "json")
    assert json.loads(body) == report
    assert body.endswith(b"}\n")
    assert body == (json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def issued(report: dict, on: str = "2025-07-15", symbol: str | None = None) -> dict:
    """The report as the query gives it: with its date of issue (and symbol)."""
    return {**report, "report": {**report["report"], "issued_on": on, "symbol": symbol}}


def test_markdown_has_the_front_matter_the_paragraphs_and_the_annex(scenario, reporting):
    md = render(issued(reporting.report(scenario.envelopes, "semi-annual", H1_2025)), "md").decode()
    assert md.startswith("United Nations | S/____\n--- | ---\n"
                         "Security Council | Distr.: General, 15 July 2025, Original: English\n\n"
                         "**Security Council Committees established pursuant to resolutions 1373 (2001) and 1540 "
                         "(2004): both Committees together**\n\n"
                         "# Semi-annual report of the Counter-Terrorism Committee and the 1540 Committee together on "
                         "country visits and working-group meetings, 1 January to 30 June 2025\n")
    # Numbered paragraphs written from the figures (worked out in
    # test_semi_annual_report_known_answers.py): States by name, dates written out, in date order.
    assert ("\n2. During the period under review, the two Committees conducted three visits, to Kenya "
            "(10-14 March 2025), to Kazakhstan (7-10 April 2025) and to Tunisia (30 June 2025 to 4 July 2025). ") in md
    assert ("\n3. The consent of six States to a visit was requested; four States granted it and one State "
            "declined, and one had not answered by 30 June 2025.") in md
    assert "\n7. Follow-up was recorded three times, on the visits to Kazakhstan, Kenya and Nigeria.\n" in md
    assert ("needs assessments were shared twice, with European Union and Government of Canada. One State declined "
            "to let its assessment be shared, one State withdrew its consent and one share was revoked.") in md
    assert "They reported to the Committee three times, 4.3 days after the meeting on average." in md
    assert ("Two meetings held lacked a report to the Committee on 30 June 2025: WG2 meeting 1/2025 and "
            "WG2 meeting 2/2025.") in md
    assert ("It communicated one outcome to the national contact points of two States. "
            "It held one open meeting.") in md
    # The annex: every table numbered; areas as words; dates written out.
    assert ("| Kenya | Counter-Terrorism Committee | 10 March 2025 | 14 March 2025 | International Criminal Police "
            "Organization, United Nations Office on Drugs and Crime |") in md
    assert "| countering the financing of terrorism | 1 | 0 | 0 | 1 |" in md
    assert "| Working Group 2: Assistance | WG2 meeting 2/2025 | WG2-2025-02-B | -0.5 (after the start) | 72 |" in md
    assert ("### Table 20. Meetings lacking a report to the Committee\n\n| group | meeting |\n| --- | --- |\n"
            "| Working Group 2: Assistance | WG2 meeting 1/2025 |\n") in md
    assert "Trends" not in md


def test_the_annex_ends_with_the_provenance(scenario, reporting):
    provenance = reporting.provenance(scenario.envelopes)
    md = render(reporting.report(scenario.envelopes, "semi-annual", H1_2025, provenance), "md").decode()
    tables = re.findall(r"^### Table (\d+)\. (.+)$", md, flags=re.M)
    assert [int(n) for n, _ in tables] == list(range(1, len(tables) + 1))
    assert [title for _, title in tables] == [
        "Key figures", "Visits conducted by Committee", "Visits conducted", "Consent of the States",
        "Pre-visit information by organization", "Needs identified by thematic area and priority",
        "The States' consent to share needs assessments with donors", "Needs that found no interested donor",
        "Needs assessments shared with donors under the State's consent", "Follow-up",
        "Visits lacking follow-up at the end of the period", "The States' answers to the visit reports",
        "Answers overdue at the end of the period", "Recommendations overdue at the end of the period",
        "Recommendations by thematic area and status", "Meetings by working group",
        "Documents circulated late or not at all", "Meetings announced after they started",
        "Announcement of meetings held", "Meetings lacking a report to the Committee",
        "Meetings held before the period still lacking a report to the Committee at its end",
        "Delegations attending the meetings held",
        "Organizations attending the meetings held", "The Committee's decisions on the groups' outcomes",
        "Outcomes decided", "Action items overdue at the end of the period", "Provenance",
    ]
    n = len(scenario.envelopes)
    assert md.endswith(
        "### Table 27. Provenance\n\n"
        "| period | as of | basis | events | stream position | events hash (SHA-256) |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        f"| 1 January to 30 June 2025 (days in UTC) | everything recorded | recorded | {n} | {n} | "
        f"{provenance['events_hash']} |\n"
    )
    assert re.fullmatch(r"[0-9a-f]{64}", provenance["events_hash"])


def test_annual_markdown_has_the_trends_before_the_provenance(scenario, reporting):
    md = render(reporting.report(scenario.envelopes, "annual", YEAR_2025), "md").decode()
    tables = re.findall(r"^### Table \d+\. (.+)$", md, flags=re.M)
    assert tables[-4:] == ["Trends against 1 January to 31 December 2024",
                           "Rates and durations against the previous period", "The year quarter by quarter",
                           "Provenance"]
    assert "| visits conducted | 4 | 2 | +2 |" in md
    # Rates, durations and the quarters (worked out in test_missing_and_disputed_figures.py).
    assert "| consent requests granted | 83.3% | 100.0% | -16.7 points |" in md
    assert "| mean days to the consent answer | 23.8 days | 14 days | +9.8 days |" in md
    assert "| 1 April to 30 June 2025 | 2 | 3 | 2 | 1 | 4 |" in md
    assert ("As shares, consent requests granted went from 100.0% to 83.3%, pre-visit information received late "
            "went from 0.0% to 33.3% and documents circulated late went from 0.0% to 60.0%.") in md
    assert "| consent declined | 1 | 0 | +1 |" in md
    assert "Compared with 1 January to 31 December 2024, visits conducted rose from 2 to 4, " in md


def test_an_as_of_report_says_so_in_its_title_text_and_file_name(scenario, reporting):
    provenance = {**reporting.provenance(scenario.envelopes), "as_of": "2025-03-31T12:00:00+00:00", "basis": "occurred"}
    records = reporting.records(scenario.envelopes)
    report = build_report(records, "semi-annual", H1_2025, provenance, "ctc", date(2025, 4, 2), "S/2025/210")
    document = document_of(report)
    assert document.title == ("Semi-annual report of the Counter-Terrorism Committee on country visits and "
                              "working-group meetings, 1 January to 30 June 2025, as things stood on 31 March 2025 "
                              "at 12:00 UTC")
    assert document.as_of.startswith("As things stood on 31 March 2025 at 12:00 UTC")
    assert document.file_stem == "ctc-semi-annual-report-2025-01-01-to-2025-06-30-as-of-20250331T1200-occurred"
    full = document_of(build_report(records, "semi-annual", H1_2025, reporting.provenance(scenario.envelopes), "ctc"))
    assert full.file_stem == "ctc-semi-annual-report-2025-01-01-to-2025-06-30" and full.as_of is None
    assert (document.symbol, document.issued_on, document.distribution) == ("S/2025/210", "2 April 2025", "General")
    assert document.committee_name == ("Security Council Committee established pursuant to resolution 1373 (2001) "
                                       "concerning counter-terrorism")
    # One Committee's: the CTC's visits only, conducted by its Executive Directorate.
    assert document.paragraphs[1].startswith("During the period under review, the Counter-Terrorism Committee "
                                              "Executive Directorate conducted")


def test_markdown_escapes_table_breakers(reporting):
    s = reporting.Stream()
    v = s.visit(1).proposed("2025-01-06", "KEN").approved("2025-01-07").consent_requested("2025-01-08")
    v.consent_granted("2025-01-09").scheduled("2025-01-10", "2025-02-03", "2025-02-05").started("2025-02-03")
    v.completed("2025-02-05").follow_up("2025-03-03", "Border | customs\nreviewed")
    md = render(reporting.report(s.envelopes, "semi-annual", H1_2025), "md").decode()
    assert "| Kenya | 3 March 2025 | Border \\| customs reviewed |" in md


def test_html_draws_its_charts_inline_and_fetches_nothing(scenario, reporting):
    html = render(issued(reporting.report(scenario.envelopes, "semi-annual", H1_2025)), "html").decode()
    assert html.startswith("<!DOCTYPE html>")
    # Needs by area, meetings by group, consent: three inline SVG charts, labels whole.
    assert html.count("<svg") == 3
    assert "<figcaption>Needs identified by thematic area</figcaption>" in html
    assert '<tspan x="' in html and "Monitoring and national implementation" in html
    assert '<div class="distr">Distr.: General<br><span data-field="issued-on">15 July 2025</span>' in html
    assert html.count('<ol class="paragraphs">') == 1 and "<li>During the period under review" in html
    assert '<h3>Table 27. Provenance</h3>' in html and '<th scope="col">' in html
    # No asset from anywhere: no src/href/url()/@import to http(s), no external script or style.
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, flags=re.I)
    assert not re.search(r"url\(\s*['\"]?\s*(?:https?:)?//", html, flags=re.I)
    assert "@import" not in html and "<link" not in html and "<script" not in html.lower()
    # The only http:// in the page is the SVG namespace name, which is never fetched.
    assert set(re.findall(r"https?://[^\s\"'<>)]+", html)) == {"http://www.w3.org/2000/svg"}


def test_html_escapes_what_users_wrote(reporting):
    s = reporting.Stream()
    wg = s.group(1).established("2025-01-06", "<script>alert(1)</script> group").chair("2025-01-06T10:00", "FRA", "c")
    s.meeting(1, wg).scheduled("2025-01-07", "Meeting <b>1</b>", "2025-02-03T15:00").announced("2025-01-08").held()
    html = render(reporting.report(s.envelopes, "semi-annual", H1_2025), "html").decode()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<b>1</b>" not in html


def pdf_pages(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    return [document[i].get_textpage().get_text_range() for i in range(len(document))]


def test_the_pdf_has_what_the_html_has_page_numbers_and_a_running_header(scenario, reporting):
    report = issued(reporting.report(scenario.envelopes, "annual", YEAR_2025), symbol="S/2026/12")
    pdf = render(report, "pdf")
    pages = pdf_pages(pdf)
    text = "\n".join(pages)
    document = document_of(report)
    assert len(pages) >= 3
    assert "United Nations" in pages[0] and "S/2026/12" in pages[0] and "Distr.: General" in pages[0]
    assert "15 July 2025" in pages[0]
    flat = " ".join(text.split())
    for paragraph in document.paragraphs:  # every paragraph, numbered, in full
        assert " ".join(paragraph.split()) in flat.replace("\r", " ").replace("- ", "-") or paragraph[:60] in flat
    for table in document.annex:
        assert f"Table {table.number}. {table.title}" in flat
    for chart in document.charts:
        assert chart.title in flat
    for n, page in enumerate(pages, start=1):  # a page number at the foot, the header from the second
        lines = [line.strip() for line in page.splitlines()]
        assert str(n) in lines, n
        assert any(line.startswith("S/2026/12 ") and line.endswith(document.running_head)
                   for line in lines) == (n > 1), n
    assert document.running_head == ("Counter-Terrorism Committee and the 1540 Committee together: annual report, "
                                     "1 January to 31 December 2025")
    assert "Kenya" in text and "Provenance" in text
    # The charts are drawn: the page with their titles, rendered, has their bars' blue.
    shown = next(i for i, page in enumerate(pages) if "Needs identified by thematic area" in page)
    image = pypdfium2.PdfDocument(pdf)[shown].render(scale=1).to_pil().convert("RGB")
    bars = sum(n for n, (r, g, b) in image.getcolors(1 << 20) if abs(r - 0x1f) + abs(g - 0x5f) + abs(b - 0xa8) < 30)
    assert bars > 2_000, bars


def test_the_pdf_embeds_fonts_for_the_official_languages_scripts(reporting):
    s = reporting.Stream()
    for n, title in enumerate(["Совещание группы 1", "اجتماع الفريق 1", "工作组会议 1", "Réunion du groupe 1"], start=1):
        wg = s.group(n).established("2025-01-06", title).chair("2025-01-06T10:00", "FRA", "c")
        s.meeting(n, wg).scheduled("2025-01-07", title, "2025-02-03T15:00").announced("2025-01-08").held()
    pdf = render(issued(reporting.report(s.envelopes, "semi-annual", H1_2025)), "pdf")
    # Embedded TrueType subsets, no base-14 font: DejaVu (Latin, Cyrillic, Arabic) and Droid Sans
    # Fallback (Chinese).
    assert b"/FontFile2" in pdf
    assert not re.search(rb"/BaseFont\s*/(Helvetica|Times)", pdf)
    assert re.search(rb"/BaseFont\s*/[A-Z]{6}\+DejaVuSans", pdf) and re.search(rb"/BaseFont\s*/[A-Z]{6}\+Droid", pdf)
    text = "\n".join(pdf_pages(pdf))
    assert "Совещание группы 1" in text and "工作组会议 1" in text and "Réunion du groupe 1" in text
    assert "1" in text and any("\u0600" <= ch <= "\ufeff" for ch in text)  # Arabic, shaped


def test_the_word_document_has_the_paragraphs_and_every_table(scenario, reporting):
    import docx

    report = issued(reporting.report(scenario.envelopes, "annual", YEAR_2025))
    document = document_of(report)
    word = docx.Document(io.BytesIO(render(report, "docx")))
    paragraphs = [p.text for p in word.paragraphs]
    assert document.title in paragraphs
    numbered = [p.text for p in word.paragraphs if p.style.name == "List Number"]
    assert numbered == document.paragraphs
    assert f"Table {document.annex[-1].number}. Provenance" in paragraphs
    grids = word.tables[1:]  # after the masthead
    assert len(grids) == sum(1 for t in document.annex if t.rows)
    visits = next(g for g, t in zip(grids, [t for t in document.annex if t.rows]) if t.key == "visits-conducted")
    assert [c.text for c in visits.rows[1].cells][:4] == ["Kenya", "Counter-Terrorism Committee", "10 March 2025",
                                                         "14 March 2025"]
    assert len(word.inline_shapes) == len(document.charts)  # the charts, as pictures
    assert word.core_properties.title == document.title


def test_the_xlsx_and_csv_hold_every_table(scenario, reporting):
    from openpyxl import load_workbook

    report = issued(reporting.report(scenario.envelopes, "semi-annual", H1_2025))
    document = document_of(report)
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert book.sheetnames[0] == "Contents" and len(book.sheetnames) == 1 + len(document.annex)
    consent = book[book.sheetnames[1 + [t.key for t in document.annex].index("consent")]]
    assert [c.value for c in consent[1]] == list(next(t for t in document.annex if t.key == "consent").header)
    assert [c.value for c in consent[2]][:5] == [6, 4, 1, 1, 1]  # numbers stay numbers
    archive = zipfile.ZipFile(io.BytesIO(render(report, "csv")))
    assert archive.namelist() == [f"{t.number:02d}-{t.key}.csv" for t in document.annex]
    rows = list(csv.reader(io.StringIO(archive.read("03-visits-conducted.csv").decode("utf-8-sig"))))
    assert rows[0] == ["State", "Committee", "started", "completed", "organizations invited",
                       "organizations taking part", "team"]
    assert [r[0] for r in rows[1:]] == ["Kenya", "Kazakhstan", "Tunisia"]


def test_every_format_renders_and_an_unknown_one_is_refused(scenario, reporting):
    report = reporting.report(scenario.envelopes, "semi-annual", H1_2025)
    assert set(FORMATS) == {"json", "md", "html", "pdf", "docx", "xlsx", "csv"}
    for fmt in FORMATS:
        assert render(report, fmt)
    with pytest.raises(ValueError):
        render(report, "odt")


def test_an_empty_period_renders(reporting):
    report = reporting.report([], "annual", annual(2030), reporting.provenance([]))
    assert report["key_figures"] == dict.fromkeys(report["key_figures"], 0)
    md = render(report, "md").decode()
    # Every table but key figures, consent, sharing consent, the States' answers and the
    # Committee's decisions (always one row of zeros), trends (figures, rates and durations,
    # quarters) and provenance.
    assert md.count("None in this period.") == 21
    assert "| 0 | 0 | 0 | 0 | 0 | - |" in md
    assert "conducted no country visit." in md
    assert "<svg" not in render(report, "html").decode()
    for fmt in ("pdf", "docx", "xlsx", "csv"):
        assert render(report, fmt)


def test_each_committee_has_its_own_name_and_the_1540_committee_its_programme_year(reporting):
    records = reporting.records([])
    provenance = reporting.provenance([])
    programme = document_of(build_report(records, "annual", annual(2024, starts_in_month=6), provenance, "1540"))
    assert programme.title == ("Annual report of the 1540 Committee on country visits and working-group meetings, "
                               "programme year 1 June 2024 to 31 May 2025")
    assert programme.committee_name == "Security Council Committee established pursuant to resolution 1540 (2004)"
    assert programme.paragraphs[1] == ("During the period under review, the Committee, with its group of experts, "
                                       "conducted no country visit.")
    calendar = document_of(build_report(records, "annual", annual(2024), provenance, "1540"))
    assert calendar.title.endswith("meetings, 1 January to 31 December 2024")
    ctc = document_of(build_report(records, "semi-annual", H1_2025, provenance, "ctc"))
    assert ctc.title.startswith("Semi-annual report of the Counter-Terrorism Committee on")
    assert "1540" not in ctc.committee_name and "1540" not in " ".join(ctc.paragraphs)


def test_control_characters_that_users_typed_do_not_break_a_format(reporting):
    s = reporting.Stream()
    wg = s.group(1).established("2025-01-06", "Group\x01 one\x1b").chair("2025-01-06T10:00", "FRA", "c")
    s.meeting(1, wg).scheduled("2025-01-07", "Meeting\x0b 1", "2025-02-03T15:00").announced("2025-01-08").held()
    report = issued(reporting.report(s.envelopes, "semi-annual", H1_2025), symbol="S/2025/\x02")
    for fmt in FORMATS:
        assert render(report, fmt)


def test_a_meeting_left_unreported_is_carried_into_the_next_periods_document(reporting):
    s = reporting.Stream()
    wg = s.group(1).established("2024-09-02", "Working Group 3").chair("2024-09-02T10:00", "FRA", "c")
    s.meeting(1, wg).scheduled("2024-09-03", "WG3 meeting 4/2024", "2024-11-04T15:00").announced("2024-09-04").held()
    document = document_of(issued(reporting.report(s.envelopes, "semi-annual", H1_2025)))
    backlog = next(t for t in document.annex if t.key == "backlog")
    assert backlog.rows == [["Working Group 3", "WG3 meeting 4/2024", "4 November 2024", 238]]
    assert ("One meeting held in an earlier period still lacked its report, the oldest held on 4 November 2024."
            in document.paragraphs)
