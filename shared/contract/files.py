"""The fields every event that records a file carries (``document_file_attached`` of a meeting,
``visit_file_attached`` of a visit): the file's metadata and its hash, never its bytes, which
the service keeps in its own store (``shared.store.files``) and serves on its record's routes."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate

from shared.contract import fields as f
from shared.contract.fields import meant
from shared.documents import FILE_TYPES, LANGUAGES, MAX_SYMBOL, Version, is_symbol

# The documents of a visit kept as files: its needs assessment and the State's consent letter.
VISIT_FILE_KINDS = ("needs_assessment", "consent_letter")


def _version(value: str) -> None:
    try:
        Version.parse(value)
    except ValueError as error:
        raise ValidationError(str(error)) from None


def _symbol(value: str) -> None:
    if value and not is_symbol(value):
        raise ValidationError("not a United Nations document symbol (e.g. S/AC.40/2026/WG.2/1); the version "
                              "(Rev.1, Corr.1) goes in version")


def language(meaning: str = "The file's language: one of the six official languages (ISO 639-1).") -> fields.String:
    return f.one_of(tuple(LANGUAGES), meaning=meaning)


def version(required: bool = True) -> fields.String:
    meaning = ("Which version of the document the file is: `original`, `Rev.N` (a revision, which replaces the "
               "text before it), `Corr.N` or `Rev.N/Corr.M` (a corrigendum, which corrects it)"
               + ("." if required else "; the symbol's tail, else `original`, if left out."))
    presence = {"required": True} if required else {"load_default": None, "allow_none": True}
    return fields.String(validate=[validate.Length(max=20), _version], metadata=meant(meaning), **presence)


def symbol(meaning: str = "The document's United Nations symbol without its version (`S/AC.40/2026/WG.2/1`), "
                          "or empty if it has none.") -> fields.String:
    return fields.String(load_default="", validate=[validate.Length(max=MAX_SYMBOL), _symbol], metadata=meant(meaning))


def file_name(required: bool = True) -> fields.String:
    meaning = "The file's name, as it is offered for download."
    if required:
        return f.name(meaning=meaning)
    return fields.String(load_default="", validate=validate.Length(max=f.MAX_NAME), metadata=meant(meaning))


class FileFields(Schema):
    """What a file is, as its event records it (no ``aggregate``: not an event of its own)."""

    symbol = symbol()
    version = version()
    language = language()
    file_name = file_name()
    media_type = f.one_of(tuple(FILE_TYPES), meaning="What the file is, from its first bytes: a PDF, a Word .docx "
                                                     "or plain text (UTF-8).")
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1),
                          metadata=meant("Its size in bytes."))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}\Z"),
                           metadata=meant("The SHA-256 of its bytes, in hex: the name of the bytes in the service's "
                                          "store, and a check of a download."))
