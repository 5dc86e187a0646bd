"""A report in every format: JSON (the figures), and the document (``reporting.document``) as
HTML and Markdown (from the Jinja2 templates beside this module), PDF (``reporting.pdf``), Word,
XLSX and CSV (``reporting.office``). Every document format renders the one ``Document``: the
front matter, the numbered paragraphs, the charts, the annex's tables.

Every format is deterministic: the same report gives the same bytes (the Office formats' zip
entries carry a fixed time, the PDF no creation time)."""
from __future__ import annotations

import html
import json
from functools import lru_cache

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from reporting.document import BAR_ROW, BAR_WIDTH, Chart, Document, cell, document_of

FORMATS = {
    "json": "application/json",
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "application/zip",  # every table of the annex as a CSV file, in one zip archive
}
EXTENSIONS = {"json": "json", "md": "md", "html": "html", "pdf": "pdf", "docx": "docx", "xlsx": "xlsx",
              "csv": "csv.zip"}


def render(report: dict, fmt: str) -> bytes:
    if fmt == "json":
        return (json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    if fmt not in FORMATS:
        raise ValueError(f"format is one of {', '.join(FORMATS)}")
    document = document_of(report)
    if fmt == "md":
        return to_markdown(document).encode()
    if fmt == "html":
        return to_html(document).encode()
    if fmt == "pdf":
        from reporting.pdf import to_pdf
        return to_pdf(document)
    from reporting import office
    return {"docx": office.to_docx, "xlsx": office.to_xlsx, "csv": office.to_csv_zip}[fmt](document)


def _md_cell(value) -> str:
    return cell(value).replace("|", "\\|").replace("\n", " ")


@lru_cache(maxsize=1)
def _templates() -> Environment:
    env = Environment(loader=PackageLoader("reporting", "templates"), autoescape=select_autoescape(["html.j2"], default_for_string=True, default=False),
                      keep_trailing_newline=True, trim_blocks=False)
    env.filters["cell"] = cell
    env.filters["mdcell"] = _md_cell
    return env


def to_markdown(document: Document) -> str:
    return _templates().get_template("report.md.j2").render(doc=document).rstrip("\n") + "\n"


def to_html(document: Document) -> str:
    charts = [Markup(bar_chart_svg(chart)) for chart in document.charts]
    return _templates().get_template("report.html.j2").render(doc=document, charts=charts)


def bar_chart_svg(chart: Chart) -> str:
    """A horizontal bar chart as inline SVG, its figures as text beside each bar."""
    top = max(n for _, n in chart.bars) or 1
    labels = chart.label_lines()
    label_width = 7 * max(len(line) for lines in labels for line in lines) + 12
    rows, y = [], 4
    for (name, n), lines in zip(chart.bars, labels):
        height = BAR_ROW * len(lines)
        w = max(1, round(BAR_WIDTH * n / top)) if n else 0
        text = "".join(f'<tspan x="{label_width - 6}" dy="{0 if i == 0 else 14}">{html.escape(line)}</tspan>'
                       for i, line in enumerate(lines))
        rows.append(f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end" font-size="12">{text}</text>'
                    f'<rect x="{label_width}" y="{y}" width="{w}" height="16" fill="#1f5fa8"><title>{html.escape(name)}: '
                    f'{n}</title></rect><text x="{label_width + w + 4}" y="{y + 13}" font-size="12">{n}</text>')
        y += height
    return (f'<figure><figcaption>{html.escape(chart.title)}</figcaption>'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + BAR_WIDTH + 50}" height="{y + 4}" '
            f'role="img" aria-label="{html.escape(chart.title)}: '
            f'{html.escape("; ".join(f"{name} {n}" for name, n in chart.bars))}">{"".join(rows)}</svg></figure>')
