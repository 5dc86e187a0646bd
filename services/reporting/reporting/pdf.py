"""The document (``reporting.document``) as a PDF, with reportlab: the front matter of the
Committees' documents, numbered paragraphs, the charts drawn with reportlab's own graphics, the
annex's tables with their header repeated on each page, headings kept with what follows them,
a running header and page numbers.

Fonts are embedded (subsets): DejaVu Serif and Sans for the Latin, Cyrillic, Greek and Arabic
scripts (Arabic shaped and ordered right to left with arabic-reshaper and python-bidi), Droid
Sans Fallback for Chinese; from Debian's fonts-dejavu-core and fonts-droid-fallback (the README's
set-up installs them). Where they are missing the PDF falls back to the base-14 fonts, which
render Latin only, and says so in the log. reportlab writes no tagged PDF: the document's
structure for screen readers is in its HTML and Word forms (docs/reports.md).

``invariant`` PDFs: no creation time, a fixed document id; the same document gives the same bytes.
"""
from __future__ import annotations

import io
import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.rl_accel import fp_str
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    BaseDocTemplate, Frame, KeepTogether, PageTemplate, Paragraph, Spacer, Table, TableStyle,
)

from reporting.document import BAR_ROW, BAR_WIDTH, Chart, Document, cell

log = logging.getLogger(__name__)

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/droid", "/usr/share/fonts/dejavu",
             "/usr/share/fonts/truetype", "/usr/local/share/fonts")
FONT_FILES = {"Serif": "DejaVuSerif.ttf", "Serif-Bold": "DejaVuSerif-Bold.ttf", "Sans": "DejaVuSans.ttf",
              "Sans-Bold": "DejaVuSans-Bold.ttf", "CJK": "DroidSansFallbackFull.ttf"}
BASE14 = {"Serif": "Times-Roman", "Serif-Bold": "Times-Bold", "Sans": "Helvetica", "Sans-Bold": "Helvetica-Bold",
          "CJK": "Helvetica"}


def find_font(name: str) -> Path | None:
    dirs = [d for d in os.environ.get("FIELDWORK_FONT_DIRS", "").split(os.pathsep) if d] + list(FONT_DIRS)
    for folder in dirs:
        path = Path(folder) / name
        if path.is_file():
            return path
    return None


@lru_cache(maxsize=None)
def font(role: str) -> str:
    """The registered font of a role (``Serif``, ``Sans``, their bold, ``CJK``), registered the
    first time it is asked for (the CJK font, 4 MB, only for a document that has such text)."""
    file_name = FONT_FILES[role]
    path = find_font(file_name)
    if path is None:
        log.warning("font %s not found (Debian: apt-get install fonts-dejavu-core fonts-droid-fallback); "
                    "the PDF uses %s for %s", file_name, BASE14[role], role)
        return BASE14[role]
    pdfmetrics.registerFont(TTFont(f"Fieldwork-{role}", str(path)))
    return f"Fieldwork-{role}"


@lru_cache(maxsize=1)
def fonts() -> dict[str, str]:
    """The registered fonts of the roles every document uses (Serif, Sans, their bold)."""
    chosen = {role: font(role) for role in ("Serif", "Serif-Bold", "Sans", "Sans-Bold")}
    # reportlab's graphics start each drawing in Helvetica (a base-14 font, not embedded)
    from reportlab.graphics import shapes
    shapes.STATE_DEFAULTS["fontName"] = chosen["Sans"]
    if not chosen["Serif"].startswith("Times"):
        pdfmetrics.registerFontFamily(chosen["Serif"], normal=chosen["Serif"], bold=chosen["Serif-Bold"],
                                      italic=chosen["Serif"], boldItalic=chosen["Serif-Bold"])
    if not chosen["Sans"].startswith("Helvetica"):
        pdfmetrics.registerFontFamily(chosen["Sans"], normal=chosen["Sans"], bold=chosen["Sans-Bold"],
                                      italic=chosen["Sans"], boldItalic=chosen["Sans-Bold"])
    return chosen


_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+")
_RTL = re.compile(r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")


def _visual(text: str) -> str:
    """Text with Arabic (or Hebrew) in it shaped and in the order it is drawn, left to right."""
    if not _RTL.search(text):
        return text
    import arabic_reshaper
    from bidi import get_display
    return get_display(arabic_reshaper.reshape(text))


def markup(text) -> str:
    """A cell or paragraph as reportlab's paragraph markup: escaped; Arabic shaped and in visual
    order; Chinese, Japanese and Korean in the CJK font."""
    text = cell(text)
    if text.isascii():
        return escape(text)
    text = _visual(text)
    cjk = font("CJK") if _CJK.search(text) else None
    out, at = [], 0
    for run in _CJK.finditer(text):
        out.append(escape(text[at:run.start()]))
        out.append(f'<font name="{cjk}">{escape(run.group())}</font>')
        at = run.end()
    out.append(escape(text[at:]))
    return "".join(out)


def drawn(text: str, fallback: str) -> tuple[str, str]:
    """A label for reportlab's graphics (one font a string): Arabic shaped and in visual order,
    a label with Chinese, Japanese or Korean in the CJK font, else in ``fallback``."""
    if text.isascii():
        return text, fallback
    text = _visual(text)
    return text, font("CJK") if _CJK.search(text) else fallback


def _styles() -> dict[str, ParagraphStyle]:
    f = fonts()
    body = ParagraphStyle("body", fontName=f["Serif"], fontSize=10.5, leading=14, spaceAfter=8)
    return {
        "body": body,
        "numbered": ParagraphStyle("numbered", parent=body, leftIndent=1.0 * cm, bulletIndent=0, bulletFontName=f["Serif"]),
        "committee": ParagraphStyle("committee", parent=body, fontName=f["Serif-Bold"], spaceBefore=10),
        "title": ParagraphStyle("title", parent=body, fontName=f["Serif-Bold"], fontSize=14, leading=18, spaceAfter=12),
        "as_of": ParagraphStyle("as_of", parent=body, backColor=colors.HexColor("#fff7ed"), borderPadding=4,
                                borderColor=colors.HexColor("#b45309"), borderWidth=0.5, spaceBefore=4, spaceAfter=12),
        "h2": ParagraphStyle("h2", parent=body, fontName=f["Sans-Bold"], fontSize=12, leading=15, spaceBefore=14,
                             spaceAfter=8, keepWithNext=1),
        "h3": ParagraphStyle("h3", parent=body, fontName=f["Sans-Bold"], fontSize=9.5, leading=12, spaceBefore=10,
                             spaceAfter=4, keepWithNext=1),
        "cell": ParagraphStyle("cell", fontName=f["Sans"], fontSize=7.5, leading=9),
        "head": ParagraphStyle("head", fontName=f["Sans-Bold"], fontSize=7.5, leading=9),
        "mast": ParagraphStyle("mast", fontName=f["Sans"], fontSize=9, leading=11),
        "mast_right": ParagraphStyle("mast_right", fontName=f["Sans"], fontSize=9, leading=11, alignment=TA_RIGHT),
        "symbol": ParagraphStyle("symbol", fontName=f["Sans-Bold"], fontSize=14, leading=17, alignment=TA_RIGHT),
    }


PAGE = A4
MARGIN = 2 * cm
WIDTH = PAGE[0] - 2 * MARGIN


def _masthead(document: Document, s: dict) -> Table:
    table = Table([
        [Paragraph("United Nations", s["mast"]), Paragraph(markup(document.symbol), s["symbol"])],
        [Paragraph("Security Council", s["mast"]),
         Paragraph(f"Distr.: {document.distribution}<br/>{markup(document.issued_on)}<br/>Original: {document.original}",
                   s["mast_right"])],
    ], colWidths=[WIDTH / 2, WIDTH / 2])
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), s["mast"].fontName, 9),
                               ("LINEBELOW", (0, -1), (-1, -1), 1.2, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _chart(chart: Chart, s: dict) -> Drawing:
    f = fonts()
    labels = chart.label_lines()
    label_width = min(WIDTH / 2, max(pdfmetrics.stringWidth(*drawn(line, f["Sans"]), 8)
                                     for lines in labels for line in lines) + 8)
    bar_width = min(BAR_WIDTH, WIDTH - label_width - 40)
    top = max(n for _, n in chart.bars) or 1
    height = sum(BAR_ROW * len(lines) for lines in labels) * 0.8 + 20
    drawing = Drawing(WIDTH, height)
    drawing.add(String(0, height - 10, chart.title, fontName=f["Sans-Bold"], fontSize=9))
    y = height - 24
    for (name, n), lines in zip(chart.bars, labels):
        for i, line in enumerate(lines):
            text, font = drawn(line, f["Sans"])
            drawing.add(String(label_width - 6, y - i * 9, text, fontName=font, fontSize=8, textAnchor="end"))
        w = max(1, bar_width * n / top) if n else 0
        drawing.add(Rect(label_width, y - 3, w, 11, fillColor=colors.HexColor("#1f5fa8"), strokeColor=None))
        drawing.add(String(label_width + w + 4, y, f"{n:,}", fontName=f["Sans"], fontSize=8))
        y -= BAR_ROW * len(lines) * 0.8
    return drawing


def _widths(header: tuple, rows: list[list], s: dict) -> list[float]:
    """Column widths: each at least its longest word (header or cell, a third of the page at
    most), the rest of the page shared in proportion to what the columns hold on one line."""
    width_of = pdfmetrics.stringWidth
    sample = [[cell(v) for v in row] for row in rows[:200]]
    head, body = s["head"], s["cell"]
    least, wanted = [], []
    for i, h in enumerate(header):
        words = [width_of(w, head.fontName, head.fontSize) for w in h.split()]
        words += [width_of(w, body.fontName, body.fontSize) for r in sample for w in r[i].split()]
        least.append(min(max(words or [10]) + 7, WIDTH / 3))
        lines = [width_of(r[i], body.fontName, body.fontSize) for r in sample] + [width_of(h, head.fontName, head.fontSize)]
        wanted.append(max(least[-1], min(max(lines) + 7, WIDTH / 2)))
    if sum(wanted) <= WIDTH:
        return [w * WIDTH / sum(wanted) for w in wanted]
    if sum(least) >= WIDTH:
        return [w * WIDTH / sum(least) for w in least]
    spare, extra = WIDTH - sum(least), [w - m for w, m in zip(wanted, least)]
    return [m + spare * e / sum(extra) for m, e in zip(least, extra)]


class _Grid(Table):
    """reportlab's table, but a plain-string cell (left, top, in an embedded TrueType font: every
    cell of the annex's tables but the few paragraphs) is written as its text operators at once,
    where reportlab makes a text object for each line: the annex of a large year draws about
    60,000 strings. Where and how it is drawn are reportlab's own (``Table._drawCell``)."""

    def _drawCell(self, cellval, cellstyle, pos, size):
        font = pdfmetrics.getFont(cellstyle.fontname)
        if type(cellval) is not str or not font._dynamicFont or (cellstyle.alignment, cellstyle.valign) != ("LEFT", "TOP"):
            return super()._drawCell(cellval, cellstyle, pos, size)
        canv = self.canv
        if self._curcellstyle is None or cellstyle.color != self._curcellstyle.color:
            canv.setFillColor(cellstyle.color)
        self._curcellstyle = cellstyle
        doc, escaped, points = canv._doc, canv._escape, fp_str(cellstyle.fontsize)
        x = fp_str(pos[0] + cellstyle.leftPadding)
        y = pos[1] + size[1] - cellstyle.topPadding - cellstyle.fontsize
        for line in cellval.split("\n"):
            shown = " ".join(f"{font.getSubsetInternalName(subset, doc)} {points} Tf ({escaped(text)}) Tj"
                             for subset, text in font.splitString(line, doc))
            canv._code.append(f"BT 1 0 0 1 {x} {fp_str(y)} Tm {shown} ET")
            y -= cellstyle.leading


CHUNK = 100  # rows a table holds: a longer one is several, each with the header (reportlab lays
# out all the remaining rows of a table again at each page it splits it over: quadratic)


def _tables(header: tuple, rows: list[list], s: dict) -> list[Table]:
    """A table of the annex, in tables of ``CHUNK`` rows. Cells are plain strings, wrapped to
    their column here (reportlab lays a string out far faster than a paragraph, and a table
    split over pages lays out its cells again on each page), each distinct text of a column
    laid out once; a cell in a script that needs another font or shaping (Chinese, Arabic) is a
    paragraph."""
    widths = _widths(header, rows, s)
    font, size = s["cell"].fontName, s["cell"].fontSize
    width_of = pdfmetrics.stringWidth
    laid_out: list[dict[str, str]] = [{} for _ in header]

    def lay_out(value, column: int):
        text = cell(value)
        done = laid_out[column].get(text)
        if done is not None:
            return done
        if not text.isascii() and (_CJK.search(text) or _RTL.search(text)):
            return Paragraph(markup(text), s["cell"])  # a flowable: one per cell
        room = widths[column] - 6
        done = text if width_of(text, font, size) < room else "\n".join(simpleSplit(text, font, size, room))
        laid_out[column][text] = done
        return done

    style = TableStyle([
        ("FONT", (0, 0), (-1, -1), font, size, s["cell"].leading),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ])
    return [_Grid([[Paragraph(markup(h), s["head"]) for h in header]]
                  + [[lay_out(v, i) for i, v in enumerate(row)] for row in rows[start:start + CHUNK]],
                  colWidths=widths, repeatRows=1, style=style)
            for start in range(0, len(rows), CHUNK)]


def to_pdf(document: Document) -> bytes:
    s = _styles()
    f = fonts()
    buffer = io.BytesIO()

    def header_and_page_number(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(f["Sans"], 8)
        if doc.page > 1:
            canvas.drawString(MARGIN, PAGE[1] - 1.2 * cm, document.symbol)
            canvas.drawRightString(PAGE[0] - MARGIN, PAGE[1] - 1.2 * cm, document.running_head)
            canvas.line(MARGIN, PAGE[1] - 1.35 * cm, PAGE[0] - MARGIN, PAGE[1] - 1.35 * cm)
        canvas.drawCentredString(PAGE[0] / 2, 1.1 * cm, str(doc.page))
        canvas.restoreState()

    template = BaseDocTemplate(
        buffer, pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=document.title, author="Secretariat of the " + document.committee_name,
        subject=f"Report for {document.period}", creator="fieldwork reporting service", invariant=1,
        lang=document.language, displayDocTitle=1, initialFontName=f["Sans"], initialFontSize=8)
    frame = Frame(MARGIN, MARGIN, WIDTH, PAGE[1] - 2 * MARGIN, id="body")
    template.addPageTemplates([PageTemplate("page", [frame], onPage=header_and_page_number)])

    story = [_masthead(document, s), Paragraph(markup(document.committee_name), s["committee"]),
             Paragraph(markup(document.title), s["title"])]
    if document.as_of:
        story.append(Paragraph(markup(document.as_of), s["as_of"]))
    for n, paragraph in enumerate(document.paragraphs, start=1):
        story.append(Paragraph(markup(paragraph), s["numbered"], bulletText=f"{n}."))
    for chart in document.charts:
        story += [KeepTogether(_chart(chart, s)), Spacer(1, 0.3 * cm)]
    story.append(Paragraph("Annex: statistical tables", s["h2"]))
    for table in document.annex:
        story.append(Paragraph(markup(f"Table {table.number}. {table.title}"), s["h3"]))
        story += _tables(table.header, table.rows, s) if table.rows else [Paragraph(table.empty, s["body"])]
    template.build(story)
    return buffer.getvalue()
