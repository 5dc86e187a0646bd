"""Documents as files, in plain Python: what a record's files are (a document's versions in the
six official languages, under its United Nations symbol), the rules a new file follows, and the
check of what a file really is (its first bytes, not its name).

United Nations documents (the Editorial Manual, "Document symbols"): a symbol such as
``S/AC.40/2026/WG.2/1`` names a document; a revision (``/Rev.1``) *replaces* the text it
revises, a corrigendum (``/Corr.1``, ``/Rev.1/Corr.1``) *corrects* it and stands beside it;
each is issued in the official languages, one file each. Every version is kept.

Nothing here imports a framework: the aggregates call ``admit`` from their commands, and the
HTTP edge calls ``file_type`` before anything is stored.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass

from shared.errors import InvalidInput, RuleBroken, TooLarge

# The six official languages of the United Nations (ISO 639-1), in the Organization's order.
LANGUAGES = {"ar": "Arabic", "zh": "Chinese", "en": "English", "fr": "French", "ru": "Russian", "es": "Spanish"}

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
# What a file may be, by media type: its name in words and the extension of its name.
FILE_TYPES = {PDF: ("PDF", ".pdf"), DOCX: ("Word (.docx)", ".docx"), TEXT: ("plain text (UTF-8)", ".txt")}
ACCEPTED = ", ".join(words for words, _ in FILE_TYPES.values())

# The largest file a service keeps, unless FIELDWORK_MAX_FILE_BYTES says otherwise: 20 MB holds
# a long report with its annexes as PDF; a larger one is refused (413) before anything is stored.
MAX_FILE_BYTES = 20_000_000

ORIGINAL = "original"
# A symbol: its series (S, A, E, ST...) and components of letters, digits, dots and hyphens, the
# last of which may carry a year in brackets (S/RES/1540 (2004)).
_SYMBOL = re.compile(r"[A-Z]{1,6}(?:/[A-Za-z0-9.\-]+)+(?: \(\d{4}\))?\Z")
_REVISION = re.compile(r"rev\.([1-9]\d?)\Z", re.IGNORECASE)
_CORRIGENDUM = re.compile(r"corr\.([1-9]\d?)\Z", re.IGNORECASE)
MAX_SYMBOL = 100


def max_file_bytes() -> int:
    """The setting FIELDWORK_MAX_FILE_BYTES, else ``MAX_FILE_BYTES``."""
    setting = os.environ.get("FIELDWORK_MAX_FILE_BYTES", "").strip()
    return int(setting) if setting else MAX_FILE_BYTES


def size_in_words(size: int) -> str:
    """A size as a person reads it: 20 MB, 1.5 MB, 300 kB, 12 bytes (decimal units)."""
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


@dataclass(frozen=True, order=True)
class Version:
    """A version of a document: the original (0, 0), a revision (``Rev.2``: 2, 0), a corrigendum
    of the original (``Corr.1``: 0, 1) or of a revision (``Rev.2/Corr.1``: 2, 1)."""

    revision: int = 0
    corrigendum: int = 0

    @classmethod
    def parse(cls, label: str) -> Version:
        """``original``, ``Rev.N``, ``Corr.N`` or ``Rev.N/Corr.M`` (any case); ValueError else."""
        text = label.strip()
        if text.lower() == ORIGINAL:
            return cls()
        parts = text.split("/")
        revision = _REVISION.match(parts[0]) if len(parts) in (1, 2) else None
        corrigendum = _CORRIGENDUM.match(parts[-1]) if len(parts) in (1, 2) else None
        if len(parts) == 1 and (revision or corrigendum):
            return cls(int(revision.group(1)) if revision else 0, int(corrigendum.group(1)) if corrigendum else 0)
        if len(parts) == 2 and revision and corrigendum:
            return cls(int(revision.group(1)), int(corrigendum.group(1)))
        raise ValueError(f"{label!r} is not a version: original, Rev.1, Corr.1 or Rev.1/Corr.1")

    @property
    def label(self) -> str:
        parts = ([f"Rev.{self.revision}"] if self.revision else []) + \
                ([f"Corr.{self.corrigendum}"] if self.corrigendum else [])
        return "/".join(parts) or ORIGINAL

    @property
    def replaces(self) -> bool:
        """A revision replaces the text before it; a corrigendum corrects a text and stands beside it."""
        return self.revision > 0 and self.corrigendum == 0

    def preceding(self) -> Version | None:
        """The version that must have been issued first (in some language): the corrigendum
        before it, or the text it corrects, or the revision before it; none for the original."""
        if self.corrigendum > 1:
            return Version(self.revision, self.corrigendum - 1)
        if self.corrigendum == 1:
            return Version(self.revision, 0)
        if self.revision > 0:
            return Version(self.revision - 1, 0)
        return None


def split_symbol(symbol: str) -> tuple[str, Version | None]:
    """A symbol as given, and the version its tail names: ``S/2026/400/Rev.1`` is
    (``S/2026/400``, Rev.1); one without such a tail is itself and None."""
    parts = symbol.strip().split("/")
    for tail in (2, 1):
        if len(parts) > tail + 1:
            try:
                return "/".join(parts[:-tail]), Version.parse("/".join(parts[-tail:]))
            except ValueError:
                continue
    return symbol.strip(), None


def is_symbol(symbol: str) -> bool:
    return len(symbol) <= MAX_SYMBOL and _SYMBOL.match(symbol) is not None


def full_symbol(symbol: str, version: Version) -> str:
    """The symbol of one version: ``S/2026/400/Rev.1/Corr.1``; none without a symbol."""
    if not symbol:
        return ""
    return symbol if version == Version() else f"{symbol}/{version.label}"


# -- a record's files ------------------------------------------------------------------------


def admit(files: list[dict], *, document: str, version: Version, language: str, symbol: str,
          known_symbol: str = "") -> str:
    """The rules one more file of ``document`` follows among a record's ``files`` (each as its
    event recorded it: ``document``, ``version``, ``language``, ``symbol``); the symbol it is
    filed under (the document's, where the file gave none).

    - ``one_file_per_version_and_language``: a version has one text in each language; a new
      text is a new version (a revision or a corrigendum), never a silent replacement;
    - ``versions_in_order``: a revision follows the text it revises, a corrigendum the text it
      corrects (or the corrigendum before it), in some language;
    - ``one_symbol_per_document``: every file of a document is under its one symbol.
    """
    own = [f for f in files if f["document"] == document]
    if any(Version.parse(f["version"]) == version and f["language"] == language for f in own):
        raise RuleBroken("one_file_per_version_and_language",
                         f"{document} has its {version.label} in {LANGUAGES.get(language, language)} already: "
                         "a new text is a revision (Rev.) or a corrigendum (Corr.)")
    preceding = version.preceding()
    if preceding is not None and not any(Version.parse(f["version"]) == preceding for f in own):
        what = "corrects" if version.corrigendum else "revises"
        raise RuleBroken("versions_in_order",
                         f"{version.label} of {document} {what} its {preceding.label}, which has no file yet")
    symbols = {s for s in [known_symbol, *(f["symbol"] for f in own)] if s}
    if symbol and symbols and symbol not in symbols:
        raise RuleBroken("one_symbol_per_document",
                         f"{document} is {sorted(symbols)[0]}, not {symbol}: give its symbol, or none")
    return symbol or next(iter(sorted(symbols)), "")


def superseded(file: dict, files: list[dict]) -> bool:
    """A file whose text a later revision of its document replaced (in any language: the
    revision replaces the document, whichever language it came in first)."""
    revision = Version.parse(file["version"]).revision
    return any(f["document"] == file["document"] and Version.parse(f["version"]).revision > revision for f in files)


def trial_file(files: list[dict], document: str) -> dict:
    """A file ``admit`` takes for ``document`` now, for a command's probe (``shared.commands``):
    the original in a language it lacks, else the next revision."""
    own = [f for f in files if f["document"] == document]
    missing = [code for code in LANGUAGES if not any(f["language"] == code and f["version"] == ORIGINAL for f in own)]
    revision = max((Version.parse(f["version"]).revision for f in own), default=0)
    version = ORIGINAL if missing else Version(revision + 1).label
    return {"version": version, "language": missing[0] if missing else "en", "symbol": "", "file_name": "trial.pdf",
            "media_type": PDF, "size": 1, "sha256": "0" * 64}


# -- what a file is ------------------------------------------------------------------------


def file_type(content: bytes, file_name: str = "") -> str:
    """The media type of ``content``, from its first bytes: a PDF, a Word .docx or plain text
    in UTF-8; else InvalidInput naming ``file`` (what it is not, and what is accepted). A name
    given must end as its type does (a Word file named .pdf is refused, naming ``file_name``)."""
    if not content:
        raise InvalidInput({"file": ["the file is empty"]})
    media_type = _sniffed(content)
    if media_type is None:
        raise InvalidInput({"file": [f"{_what(content)}: only {ACCEPTED} files are accepted"]})
    words, extension = FILE_TYPES[media_type]
    suffix = os.path.splitext(file_name)[1].lower()
    if file_name and suffix != extension and not (media_type == TEXT and suffix in ("", ".text", ".md")):
        raise InvalidInput({"file_name": [f"{file_name!r} names another type of file, but the file is {words}: "
                                          f"name it {extension}"]})
    return media_type


def _sniffed(content: bytes) -> str | None:
    if b"%PDF-" in content[:1024]:  # readers accept the header anywhere in the first kilobyte
        return PDF
    if content.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())  # the directory only: nothing unpacked
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        return DOCX if {"[Content_Types].xml", "word/document.xml"} <= names else None
    if b"\x00" in content:
        return None
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return TEXT


# First bytes of what people try to send instead, to say what the file is.
_OTHERS = ((b"\xd0\xcf\x11\xe0", "an older Word .doc (or another Office 97-2003) file: save it as .docx or PDF"),
           (b"PK\x03\x04", "a ZIP archive that is not a Word .docx"),
           (b"{\\rtf", "an RTF file: save it as .docx or PDF"),
           (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"MZ", "a Windows program"),
           (b"\x7fELF", "a program"), (b"GIF8", "a GIF image"))


def _what(content: bytes) -> str:
    for magic, words in _OTHERS:
        if content.startswith(magic):
            return f"the file is {words}"
    return "the file is none of these (its first bytes are no PDF's or Word file's, nor UTF-8 text)"


def safe_file_name(name: str, fallback: str, media_type: str) -> str:
    """The name a download is offered under: the name given, less any folder and anything but
    letters, digits, dots, hyphens, underscores and spaces; else ``fallback`` with the type's
    extension."""
    base = re.sub(r"[^\w.\- ]", "_", os.path.basename(name.replace("\\", "/"))).strip(" .")[:200]
    if base:
        return base
    return re.sub(r"[^\w.\-]", "_", fallback)[:190] + FILE_TYPES[media_type][1]


# -- a file as it came -------------------------------------------------------------------------


def too_large(limit: int) -> TooLarge:
    return TooLarge(f"the file is larger than the limit of {size_in_words(limit)} ({limit} bytes; the setting "
                    "FIELDWORK_MAX_FILE_BYTES): nothing was stored")


@dataclass(frozen=True)
class Received:
    """A file as it came, checked: what it is, and what it is filed as."""

    content: bytes
    media_type: str
    symbol: str
    version: Version
    file_name: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def metadata(self) -> dict:
        """What the record's event takes of it."""
        return {"symbol": self.symbol, "version": self.version.label, "file_name": self.file_name,
                "media_type": self.media_type, "size": len(self.content), "sha256": self.sha256}


def received(content: bytes, *, symbol: str = "", version: str | None = None, file_name: str = "",
             name_otherwise: str = "document") -> Received:
    """The file's bytes checked: at most ``max_file_bytes()`` (``TooLarge``), a PDF, Word .docx
    or plain text by its first bytes (``InvalidInput`` naming ``file``); a symbol given with its
    version's tail (``S/2026/400/Rev.1``) is that version, unless ``version`` says another
    (``InvalidInput`` naming ``version``)."""
    limit = max_file_bytes()
    if len(content) > limit:
        raise too_large(limit)
    media_type = file_type(content, file_name)
    base, tail = split_symbol(symbol) if symbol else ("", None)
    if base and not is_symbol(base):
        raise InvalidInput({"symbol": [f"{symbol!r} is not a United Nations document symbol (e.g. S/AC.40/2026/WG.2/1)"]})
    try:
        chosen = Version.parse(version) if version else (tail or Version())
    except ValueError as error:
        raise InvalidInput({"version": [str(error)]}) from None
    if tail is not None and chosen != tail:
        raise InvalidInput({"version": [f"the symbol {symbol} is its {tail.label}, not {chosen.label}"]})
    name = safe_file_name(file_name, full_symbol(base, chosen).replace("/", "_") or name_otherwise, media_type)
    return Received(content, media_type, base, chosen, name)
