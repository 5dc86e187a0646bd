"""The report in its formats: the same events in any order, delivered any number of times, give
the same bytes (JSON, Markdown; the PDF too); the HTML draws its charts inline and fetches
nothing from the internet; the Markdown ends with what the report was built from."""
from __future__ import annotations

import json
import random
import re
import shutil
import subprocess

import pytest

from reporting.formats import FORMATS, render
from reporting.reports import annual, semi_annual

H1_2025 = semi_annual(2025, 1)
YEAR_2025 = annual(2025)


def shuffled_with_duplicates(envelopes: list[dict], seed: int) -> list[dict]:
    rng = random.Random(seed)
    delivered = [json.loads(json.dumps(e)) for e in envelopes]  # copies, as if decoded again
    delivered += [json.loads(json.dumps(e)) for e in rng.sample(envelopes, k=len(envelopes) // 3)]
    rng.shuffle(delivered)
    return delivered


@pytest.mark.parametrize("kind, period", [("semi-annual", H1_2025), ("annual", YEAR_2025)])
@pytest.mark.parametrize("fmt", ["json", "md", "pdf"])
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


def test_markdown_tables_carry_the_figures(scenario, reporting):
    md = render(reporting.report(scenario.envelopes, "semi-annual", H1_2025), "md").decode()
    assert md.startswith("# Semi-annual report on country visits and working-group meetings of both Committees "
                         "together, "
                         "2025-01-01 to 2025-06-30\n")
    # Worked out in test_semi_annual_report_known_answers.py.
    assert ("| Kenya (KEN) | ctc | 2025-03-10 | 2025-03-14 | International Criminal Police Organization, "
            "United Nations Office on Drugs and Crime |") in md
    assert "| Tunisia (TUN) | ctc | 2025-06-30 | 2025-07-04 | International Criminal Police Organization |" in md
    assert "| 6 | 4 | 1 | 1 | 1 | 21.5 / 21.0 / 45.0 |" in md  # consent
    assert "| International Civil Aviation Organization | 1 | 1 | 0 | 0 | 0 | 1 |" in md
    assert "| counter financing of terrorism | 1 | 0 | 0 | 1 |" in md
    assert "| Government of Canada | 1 | KEN | 2 |" in md
    assert "| Working Group 2: Assistance | WG2 meeting 1/2025 | none circulated | - | 72.0 |" in md
    assert "| Working Group 1: Monitoring and national implementation | WG1 meeting 2/2025 | WG1-2025-02-B | 48.0 | 72.0 |" in md
    assert "| Working Group 2: Assistance | WG2 meeting 2/2025 | WG2-2025-02-B | -0.5 (after the start) | 72.0 |" in md
    assert "## Meetings announced after they started\n\n| group | meeting | hours after the start |\n| --- | --- | --- |\n" \
           "| Working Group 2: Assistance | WG2 meeting 2/2025 | 1.0 |\n" in md
    assert "## Meetings lacking a report to the Committee\n\n| group | meeting |\n| --- | --- |\n" \
           "| Working Group 2: Assistance | WG2 meeting 1/2025 |\n" in md
    assert "## Trends" not in md


def test_markdown_provenance_comes_last(scenario, reporting):
    provenance = reporting.provenance(scenario.envelopes)
    md = render(reporting.report(scenario.envelopes, "semi-annual", H1_2025, provenance), "md").decode()
    headings = re.findall(r"^## (.+)$", md, flags=re.M)
    assert headings[-1] == "Provenance"
    assert headings == [
        "Key figures", "Visits conducted by committee", "Visits conducted", "Consent of the States",
        "Pre-visit information by organization", "Needs identified by thematic area and priority",
        "The States' consent to share needs assessments with donors", "Needs that found no interested donor",
        "Needs assessments shared with donors under the State's consent", "Follow-up",
        "Visits lacking follow-up at the end of the period", "The States' answers to the visit reports",
        "Answers overdue at the end of the period", "Recommendations overdue at the end of the period",
        "Recommendations by thematic area and status", "Meetings by working group",
        "Documents circulated late or not at all", "Meetings announced after they started",
        "Meetings lacking a report to the Committee", "Delegations attending the meetings held",
        "Organizations attending the meetings held", "The Committee's decisions on the groups' outcomes",
        "Outcomes decided", "Action items overdue at the end of the period", "Provenance",
    ]
    n = len(scenario.envelopes)
    assert md.endswith(
        "## Provenance\n\n"
        "| period | as of | basis | events | stream position | events hash (SHA-256) |\n"
        "| --- | --- | --- | --- | --- | --- |\n"
        f"| 2025-01-01 to 2025-06-30 (UTC days) | everything recorded | recorded | {n} | {n} | {provenance['events_hash']} |\n"
    )
    assert re.fullmatch(r"[0-9a-f]{64}", provenance["events_hash"])


def test_annual_markdown_has_the_trends_before_the_provenance(scenario, reporting):
    md = render(reporting.report(scenario.envelopes, "annual", YEAR_2025), "md").decode()
    headings = re.findall(r"^## (.+)$", md, flags=re.M)
    assert headings[-2:] == ["Trends against 2024-01-01 to 2024-12-31", "Provenance"]
    assert "| visits conducted | 4 | 2 | +2 |" in md
    assert "| consent declined | 1 | 0 | +1 |" in md


def test_markdown_escapes_table_breakers(reporting):
    s = reporting.Stream()
    v = s.visit(1).proposed("2025-01-06", "KEN").approved("2025-01-07").consent_requested("2025-01-08")
    v.consent_granted("2025-01-09").scheduled("2025-01-10", "2025-02-03", "2025-02-05").started("2025-02-03")
    v.completed("2025-02-05").follow_up("2025-03-03", "Border | customs\nreviewed")
    md = render(reporting.report(s.envelopes, "semi-annual", H1_2025), "md").decode()
    assert "| KEN | 2025-03-03 | Border \\| customs reviewed |" in md


def test_html_draws_its_charts_inline_and_fetches_nothing(scenario, reporting):
    html = render(reporting.report(scenario.envelopes, "semi-annual", H1_2025), "html").decode()
    assert html.startswith("<!DOCTYPE html>")
    # Needs by area, meetings by group, consent: three inline SVG charts.
    assert html.count("<svg") == 3
    assert '<figcaption>Needs identified by thematic area</figcaption>' in html
    assert "<table>" in html and "<h2>Provenance</h2>" in html
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


def test_pdf_is_a_pdf(scenario, reporting):
    pdf = render(reporting.report(scenario.envelopes, "annual", YEAR_2025), "pdf")
    assert pdf.startswith(b"%PDF")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 1000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "Provenance" in text and "Kenya (KEN)" in text


def test_every_format_renders_and_an_unknown_one_is_refused(scenario, reporting):
    report = reporting.report(scenario.envelopes, "semi-annual", H1_2025)
    assert set(FORMATS) == {"json", "md", "html", "pdf"}
    for fmt in FORMATS:
        assert render(report, fmt)
    with pytest.raises(ValueError):
        render(report, "docx")


def test_an_empty_period_renders(reporting):
    report = reporting.report([], "annual", annual(2030), reporting.provenance([]))
    assert report["key_figures"] == dict.fromkeys(report["key_figures"], 0)
    md = render(report, "md").decode()
    # Every table but key figures, consent, sharing consent, the States' answers and the
    # Committee's decisions (always one row of zeros), trends and provenance.
    assert md.count("None in this period.") == 19
    assert "| 0 | 0 | 0 | 0 | 0 | - |" in md
    assert "<svg" not in render(report, "html").decode()
    assert render(report, "pdf").startswith(b"%PDF")
