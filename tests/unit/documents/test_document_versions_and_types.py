"""Documents as files (shared.documents): what a version is, the rules a new file follows among
a record's files, and what a file is by its first bytes, whatever its name says."""
from __future__ import annotations

import io
import zipfile

import pytest

from shared.documents import (
    DOCX, PDF, TEXT, Version, admit, file_type, max_file_bytes, received, split_symbol, superseded,
)
from shared.errors import InvalidInput, RuleBroken, TooLarge

PDF_BYTES = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def docx_bytes(text: str = "Draft matrix") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document><w:t>{text}</w:t></w:document>")
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a Word file")
    return buffer.getvalue()


def a_file(document: str, version: str, language: str, symbol: str = "") -> dict:
    return {"document": document, "version": version, "language": language, "symbol": symbol}


# -- versions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("label, version", [
    ("original", Version()), ("Rev.1", Version(1, 0)), ("rev.2", Version(2, 0)), ("Corr.1", Version(0, 1)),
    ("Rev.1/Corr.2", Version(1, 2)),
])
def test_a_version_is_the_original_a_revision_or_a_corrigendum(label, version):
    assert Version.parse(label) == version
    assert Version.parse(version.label) == version


@pytest.mark.parametrize("label", ["Rev.0", "Rev.1/Rev.2", "Corr.1/Rev.1", "final", "", "Rev.100"])
def test_anything_else_is_no_version(label):
    with pytest.raises(ValueError, match="not a version"):
        Version.parse(label)


def test_a_symbol_given_with_its_version_names_that_version():
    assert split_symbol("S/2026/400/Rev.1/Corr.1") == ("S/2026/400", Version(1, 1))
    assert split_symbol("S/2026/400/Corr.2") == ("S/2026/400", Version(0, 2))
    assert split_symbol("S/AC.40/2026/WG.2/1") == ("S/AC.40/2026/WG.2/1", None)


# -- the rules of a record's files -----------------------------------------------------------------


def test_a_version_has_one_file_in_each_language():
    files = [a_file("D1", "original", "en")]
    assert admit(files, document="D1", version=Version(), language="fr", symbol="") == ""
    with pytest.raises(RuleBroken) as refused:
        admit(files, document="D1", version=Version(), language="en", symbol="")
    assert refused.value.rule == "one_file_per_version_and_language"
    assert "in English already" in refused.value.detail


def test_a_revision_follows_the_text_it_revises_and_a_corrigendum_the_text_it_corrects():
    files = [a_file("D1", "original", "en")]
    for version in (Version(2, 0), Version(0, 2), Version(1, 1)):
        with pytest.raises(RuleBroken) as refused:
            admit(files, document="D1", version=version, language="en", symbol="")
        assert refused.value.rule == "versions_in_order"
    admit(files, document="D1", version=Version(1, 0), language="fr", symbol="")  # Rev.1, first in French
    admit(files, document="D1", version=Version(0, 1), language="en", symbol="")


def test_every_file_of_a_document_is_under_its_one_symbol():
    files = [a_file("D1", "original", "en", "S/AC.44/2026/1")]
    assert admit(files, document="D1", version=Version(1, 0), language="en", symbol="") == "S/AC.44/2026/1"
    with pytest.raises(RuleBroken) as refused:
        admit(files, document="D1", version=Version(1, 0), language="en", symbol="S/AC.44/2026/2")
    assert refused.value.rule == "one_symbol_per_document"
    with pytest.raises(RuleBroken):  # the symbol the document was circulated under counts too
        admit([], document="D2", version=Version(), language="en", symbol="S/AC.44/2026/9", known_symbol="S/AC.44/2026/2")


def test_a_revision_replaces_every_earlier_text_a_corrigendum_replaces_none():
    files = [a_file("D1", "original", "en"), a_file("D1", "Corr.1", "en"), a_file("D1", "Rev.1", "fr"),
             a_file("D2", "original", "en")]
    assert [superseded(f, files) for f in files] == [True, True, False, False]


# -- what a file is ---------------------------------------------------------------------------------


def test_a_file_is_what_its_first_bytes_say():
    assert file_type(PDF_BYTES, "matrix.pdf") == PDF
    assert file_type(docx_bytes(), "matrix.docx") == DOCX
    assert file_type("Projet de matrice, révision 1\n".encode(), "matrice.txt") == TEXT
    assert file_type(b"no name given\n") == TEXT


@pytest.mark.parametrize("content, says", [
    (b"\x89PNG\r\n\x1a\n\x00\x00", "a PNG image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "an older Word .doc"),
    (zip_bytes(), "a ZIP archive that is not a Word .docx"),
    (b"MZ\x90\x00\x03", "a Windows program"),
    ("latin-1 text: café".encode("latin-1"), "none of these"),
])
def test_a_file_of_another_type_is_refused_naming_the_field_and_what_it_is(content, says):
    with pytest.raises(InvalidInput) as refused:
        file_type(content, "report.pdf")
    [message] = refused.value.fields["file"]
    assert says in message and "PDF, Word (.docx), plain text (UTF-8)" in message


def test_a_name_that_says_another_type_than_the_bytes_is_refused():
    with pytest.raises(InvalidInput) as refused:
        file_type(docx_bytes(), "matrix.pdf")
    assert refused.value.fields == {
        "file_name": ["'matrix.pdf' names another type of file, but the file is Word (.docx): name it .docx"]}


def test_an_empty_file_is_refused():
    with pytest.raises(InvalidInput) as refused:
        file_type(b"", "empty.txt")
    assert refused.value.fields == {"file": ["the file is empty"]}


def test_a_file_over_the_limit_is_refused_naming_the_limit(monkeypatch):
    monkeypatch.setenv("FIELDWORK_MAX_FILE_BYTES", "1000")
    assert max_file_bytes() == 1000
    with pytest.raises(TooLarge, match=r"larger than the limit of 1 kB \(1000 bytes; the setting FIELDWORK_MAX_FILE_BYTES\)"):
        received(b"x" * 1001, file_name="long.txt")
    assert received(b"x" * 1000, file_name="long.txt").media_type == TEXT


def test_a_file_received_is_filed_under_its_symbol_version_and_a_safe_name():
    file = received(PDF_BYTES, symbol="S/AC.44/2026/1/Rev.1", file_name="../../etc/matrix rev 1.pdf")
    assert (file.symbol, file.version.label, file.file_name) == ("S/AC.44/2026/1", "Rev.1", "matrix rev 1.pdf")
    assert received(PDF_BYTES, symbol="S/AC.44/2026/1").file_name == "S_AC.44_2026_1.pdf"
    with pytest.raises(InvalidInput) as refused:
        received(PDF_BYTES, symbol="S/AC.44/2026/1/Rev.1", version="Rev.2")
    assert list(refused.value.fields) == ["version"]
