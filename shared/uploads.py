"""Files over HTTP, for any service whose records keep documents as files
(``shared.documents``, ``shared.store.files``):

- ``read_file_body``: a request's body read up to the file limit (``FIELDWORK_MAX_FILE_BYTES``,
  20 MB) instead of the JSON limit, beyond it ``413`` naming the limit; ``shared.web.upload``,
  the entrypoint of such a route, reads it so before the request takes a worker;
- ``attach``: a table's ``attach-file`` command run from such a request (its fields in the query
  string, as ``file_command`` takes them; the file as the body);
- ``files_view``, ``find_file`` and ``download``: a record's files as its page lists them, and
  one of them as the answer to a download (``<record>/files/<sha256>``).
"""
from __future__ import annotations

import base64
import binascii
import copy
import functools
from typing import Any
from urllib.parse import quote

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from shared.documents import (
    FILE_TYPES, LANGUAGES, TEXT, Version, full_symbol, max_file_bytes, size_in_words, superseded, too_large,
)
from shared.errors import NotFound, TooLarge
from shared.commands import parse_command
from shared.http import actor_of, jsonable, parse_uuid, read_body


def read_file_body(request) -> bytes:
    """The request's body, the file, up to ``max_file_bytes()``."""
    limit = max_file_bytes()
    try:
        return read_body(request, limit)
    except TooLarge:
        raise too_large(limit) from None


class FileContent(fields.String):
    """A file's bytes in a JSON body, as base64 (the route of a file command takes them as the
    body itself, up to the file limit; a JSON body holds at most about 0.7 MB of them)."""

    def __init__(self) -> None:
        words = ("The file's bytes, base64-encoded (or send them as the body of the record's POST .../files "
                 "route, with these fields in its query string).")
        super().__init__(required=True, metadata={"format": "byte", "description": words, "meaning": words})

    def _deserialize(self, value, attr, data, **kwargs) -> bytes:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error):
            raise self.make_error("invalid") from None

    default_error_messages = {"invalid": "not base64 (the file's bytes, base64-encoded)"}


@functools.lru_cache(maxsize=None)
def file_command(command_input: Schema) -> Schema:
    """A file command's fields (its row's input) as a query string takes them: all but the
    file's bytes (the body), a number given as text."""
    declared = {name: copy.deepcopy(field) for name, field in type(command_input)._declared_fields.items()
                if name != "content" and name not in command_input.exclude}
    declared["expected_version"] = fields.Integer(load_default=None, validate=validate.Range(min=1))
    return Schema.from_dict(declared, name=f"{type(command_input).__name__}Query")()


def file_view(file: dict, files: list[dict], url: str) -> dict:
    """One file of a record as its page lists it: what it is in words too, whether a later
    revision replaced it, and where to download it."""
    version = Version.parse(file["version"])
    return jsonable({
        **{k: v for k, v in file.items() if k != "attached_at"},
        "full_symbol": full_symbol(file["symbol"], version),
        "language_name": LANGUAGES[file["language"]],
        "type": FILE_TYPES[file["media_type"]][0],
        "size_in_words": size_in_words(file["size"]),
        "attached_at": file["attached_at"],
        "superseded": superseded(file, files),
        "url": url,
    })


def files_view(record_path: str, files: list[dict]) -> list[dict]:
    """A record's files (those the caller may read), as its page lists them, each with where to
    download it: ``<record_path>/files/<sha256>``."""
    return [file_view(f, files, f"{record_path}/files/{f['sha256']}") for f in files]


def find_file(files: list[dict], sha256: str, kind: str, ident: object) -> dict:
    """The record's file with that hash (the latest, if the same bytes were attached twice), or
    NotFound."""
    for file in reversed(files):
        if file["sha256"] == sha256:
            return file
    raise NotFound(f"file of the {kind}", f"{ident}/files/{sha256}")


def attach(table, app, record_id: str, request) -> Any:
    """Run a table's ``attach-file`` command with the request's query string as its fields and
    its body as the file (``POST /<collection>/<id>/files``): the record as stored."""
    command = table["attach-file"]
    query = {k: v for k, v in request.args.items() if v not in (None, "")}
    data, ctx, expected = parse_command(file_command(command.input), query, actor_of(request))
    return command.use_case(app, ctx, parse_uuid(record_id, table.kind), expected_version=expected,
                            content=read_file_body(request), **data)


def download(file: dict, content: bytes | None) -> Response:
    """A file as a download: its bytes under its name, its type, and its hash (ETag)."""
    if content is None:  # an event names bytes the store does not hold: the store was damaged
        raise RuntimeError(f"the store holds no bytes for the file {file['sha256']} ({file['file_name']})")
    media_type = file["media_type"] + ("; charset=utf-8" if file["media_type"] == TEXT else "")
    return Response(content, content_type=media_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(file['file_name'], safe='')}",
        "ETag": f'"{file["sha256"]}"', "X-Content-SHA256": file["sha256"], "Cache-Control": "private, no-cache",
    })
