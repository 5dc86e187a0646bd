"""The document (``reporting.document``) in the forms a secretariat edits: Word (python-docx;
Word's built-in styles, so that the secretariat's own template restyles it), XLSX (openpyxl;
one sheet per table of the annex, after a sheet of contents) and CSV (one file per table, in a
zip archive).

These are zip archives; their entries are rewritten with a fixed time so that the same document
gives the same bytes. Tables are written row by row as XML (Word) or in openpyxl's write-only
mode (XLSX): a table of thousands of rows takes milliseconds, not the seconds python-docx's
cell-by-cell interface would.
"""
from __future__ import annotations

import csv
import io
import re
import textwrap
import zipfile
from datetime import date, datetime
from xml.sax.saxutils import escape

from reporting.document import Chart, Document, cell

FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def fixed_zip(data: bytes, modified: datetime | None = None) -> bytes:
    """The same archive with every entry dated ``FIXED_TIME``, in the same order; with
    ``modified``, the document's modification time in ``docProps/core.xml`` is set to it
    (openpyxl writes the time it saves)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if modified is not None and item.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + modified.strftime("%Y-%m-%dT%H:%M:%SZ").encode(),
                              body)
            target.writestr(_entry(item.filename), body)
    return out.getvalue()


def _issued(document: Document) -> datetime:
    """The documents' creation time: the date of issue, else the period's last day."""
    day = document.issued or date.fromisoformat(document.provenance["period"]["end"])
    return datetime(day.year, day.month, day.day)


def _entry(name: str) -> zipfile.ZipInfo:
    """A zip entry dated ``FIXED_TIME``, compressed, readable by all."""
    entry = zipfile.ZipInfo(name, FIXED_TIME)
    entry.compress_type = zipfile.ZIP_DEFLATED
    entry.external_attr = 0o644 << 16
    return entry


# -- Word -------------------------------------------------------------------------------------


def _chart_png(chart: Chart) -> bytes:
    """A bar chart as a PNG (Pillow), for the Word document: the PDF's and the HTML's chart."""
    from PIL import Image, ImageDraw, ImageFont

    from reporting.pdf import FONT_FILES, find_font

    path = find_font(FONT_FILES["Sans"])
    font = ImageFont.truetype(str(path), 22) if path else ImageFont.load_default()
    bold = ImageFont.truetype(str(find_font(FONT_FILES["Sans-Bold"]) or path), 24) if path else font
    labels = chart.label_lines()
    draw_probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    label_width = int(max(draw_probe.textlength(line, font=font) for lines in labels for line in lines)) + 20
    row, bar_width = 30, 700
    height = 50 + sum(row * len(lines) + 8 for lines in labels)
    image = Image.new("RGB", (label_width + bar_width + 120, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((0, 6), chart.title, font=bold, fill="black")
    top = max(n for _, n in chart.bars) or 1
    y = 50
    for (name, n), lines in zip(chart.bars, labels):
        for i, line in enumerate(lines):
            draw.text((label_width - 10, y + i * row), line, font=font, fill="black", anchor="ra")
        w = max(2, round(bar_width * n / top)) if n else 0
        draw.rectangle([label_width, y + 2, label_width + w, y + 24], fill="#1f5fa8")
        draw.text((label_width + w + 8, y), f"{n:,}", font=font, fill="black")
        y += row * len(lines) + 8
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _table_rows_xml(rows: list[list]):
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    body = "".join(
        "<w:tr>" + "".join(f'<w:tc><w:p><w:r><w:t xml:space="preserve">{escape(cell(v))}</w:t></w:r></w:p></w:tc>'
                           for v in row) + "</w:tr>"
        for row in rows)
    return parse_xml(f"<w:tbl {nsdecls('w')}>{body}</w:tbl>")


def to_docx(document: Document) -> bytes:
    import docx
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    word = docx.Document()
    props = word.core_properties
    props.title, props.subject = cell(document.title), f"Report for {document.period}"
    props.author = props.last_modified_by = "Secretariat of the " + document.committee_name
    props.created = props.modified = props.last_printed = _issued(document)
    props.revision, props.language, props.comments = 1, "en", "Written by the fieldwork reporting service"
    section = word.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2)
    word.styles["Normal"].font.size = Pt(10.5)

    masthead = word.add_table(rows=2, cols=2)
    masthead.alignment = WD_TABLE_ALIGNMENT.CENTER
    for (r, c), text in {(0, 0): "United Nations", (0, 1): document.symbol, (1, 0): "Security Council",
                         (1, 1): f"Distr.: {document.distribution}\n{document.issued_on}\nOriginal: {document.original}"}.items():
        paragraph = masthead.cell(r, c).paragraphs[0]
        paragraph.add_run(cell(text)).bold = (r, c) == (0, 1)
        if c == 1:
            paragraph.alignment = 2  # right
    word.add_paragraph().add_run(document.committee_name).bold = True
    word.add_heading(cell(document.title), level=1)
    if document.as_of:
        word.add_paragraph(document.as_of, style="Intense Quote")
    for paragraph in document.paragraphs:
        word.add_paragraph(cell(paragraph), style="List Number")
    for chart in document.charts:
        word.add_picture(io.BytesIO(_chart_png(chart)), width=Cm(16))
        word.paragraphs[-1].add_run().add_break()
    word.add_heading("Annex: statistical tables", level=1)
    for table in document.annex:
        word.add_heading(cell(f"Table {table.number}. {table.title}"), level=2).paragraph_format.keep_with_next = True
        if not table.rows:
            word.add_paragraph(table.empty)
            continue
        grid = word.add_table(rows=1, cols=len(table.header), style="Table Grid")
        for c, heading in zip(grid.rows[0].cells, table.header):
            c.paragraphs[0].add_run(cell(heading)).bold = True
        header_row = grid.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        header_row.append(repeat)
        for tr in list(_table_rows_xml(table.rows)):
            grid._tbl.append(tr)
    out = io.BytesIO()
    word.save(out)
    return fixed_zip(out.getvalue())


# -- XLSX and CSV -------------------------------------------------------------------------------


def _sheet_name(number: int, title: str, taken: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\']", "", f"{number} {title}")[:31].strip()
    taken.add(name)
    return name


def to_xlsx(document: Document) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    book.properties.creator = book.properties.lastModifiedBy = "fieldwork reporting service"
    book.properties.title = cell(document.title)
    book.properties.created = book.properties.modified = _issued(document)
    bold = Font(bold=True)
    contents = book.create_sheet("Contents")
    contents.column_dimensions["A"].width = 110
    for line in [document.committee_name, document.title, f"Symbol: {document.symbol}",
                 f"Distr.: {document.distribution}; issued {document.issued_on}", document.as_of or "", ""]:
        contents.append([cell(line)])
    for n, paragraph in enumerate(document.paragraphs, start=1):  # in lines (a write-only sheet has no row heights)
        for line in textwrap.wrap(cell(f"{n}. {paragraph}"), 110, subsequent_indent="    "):
            contents.append([line])
    contents.append([""])
    contents.append(["Tables of the annex, one a sheet:"])
    taken: set[str] = set()
    for table in document.annex:
        contents.append([cell(f"Table {table.number}. {table.title}")])
    for table in document.annex:
        sheet = book.create_sheet(_sheet_name(table.number, table.title, taken))
        sheet.freeze_panes = "A2"
        # printed: landscape, every column on one page wide, the header on every page
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "1:1"
        for i, heading in enumerate(table.header):
            longest = max([len(heading)] + [len(cell(r[i])) for r in table.rows[:200]])
            sheet.column_dimensions[chr(ord("A") + i)].width = min(max(longest + 2, 8), 60)
        header = []
        for heading in table.header:
            c = WriteOnlyCell(sheet, cell(heading))
            c.font = bold
            header.append(c)
        sheet.append(header)
        for row in table.rows:
            sheet.append([v if isinstance(v, (int, float)) else cell(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return fixed_zip(out.getvalue(), modified=_issued(document))


def to_csv_zip(document: Document) -> bytes:
    """Every table of the annex as a CSV file (UTF-8 with a byte-order mark, which spreadsheet
    programs read as UTF-8), named by its number and key, in one zip archive."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in document.annex:
            text = io.StringIO()
            writer = csv.writer(text, lineterminator="\r\n")
            writer.writerow(table.header)
            writer.writerows([cell(v) for v in row] for row in table.rows)
            archive.writestr(_entry(f"{table.number:02d}-{table.key}.csv"), "\ufeff" + text.getvalue())
    return out.getvalue()
