"""Documents as files over HTTP, against the real meetings and visits services on SQLite and on
PostgreSQL: a meeting document's original and its revision uploaded and downloaded byte for
byte; a visit's needs assessment read by the donor it was shared with and refused to another
and, once the State withdrew its consent, to that donor too; a file of the wrong type or over
the limit refused with nothing stored (no event, no bytes)."""
from __future__ import annotations

import base64
import hashlib
import io
import os
import sqlite3
import uuid
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
import requests

from fieldwork_testing import POSTGRES, ServiceProcess

pytestmark = pytest.mark.integration

LIMIT = 200_000  # FIELDWORK_MAX_FILE_BYTES of the services under test
NOW = datetime.now(timezone.utc).replace(microsecond=0)
ADMIN = ("root", "administrator")
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + os.urandom(2000) + b"\n%%EOF\n"


def docx(text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f"<w:document><w:body><w:t>{text}</w:t></w:body></w:document>")
    return buffer.getvalue()


class Store:
    """Where the services under test keep their events and files, and what is in it."""

    def __init__(self, kind: str, data_dir) -> None:
        self.kind, self.data_dir, self.env = kind, data_dir, {}
        if kind == "postgres":  # a database of the test's own: its token registry too
            import psycopg

            self.dbname = f"fieldwork_files_{uuid.uuid4().hex[:10]}"
            try:
                with psycopg.connect(**self._server("postgres"), autocommit=True, connect_timeout=3) as conn:
                    conn.execute(f'CREATE DATABASE "{self.dbname}"')
            except psycopg.OperationalError as error:
                if os.environ.get("CI"):
                    raise
                pytest.skip(f"PostgreSQL does not answer ({error}); set FIELDWORK_TEST_POSTGRES_*")
            self.env = {"FIELDWORK_STORE": "postgres", "POSTGRES_HOST": POSTGRES["host"],
                        "POSTGRES_PORT": str(POSTGRES["port"]), "POSTGRES_DBNAME": self.dbname,
                        "POSTGRES_USER": POSTGRES["user"], "POSTGRES_PASSWORD": POSTGRES["password"]}

    @staticmethod
    def _server(dbname: str) -> dict:
        return {**{k: v for k, v in POSTGRES.items() if v != ""}, "dbname": dbname}

    def kept(self, service: str) -> list[str]:
        """The hashes of the files the service's store keeps."""
        if self.kind == "sqlite":
            with sqlite3.connect(self.data_dir / f"{service}.sqlite") as conn:
                return sorted(row[0] for row in conn.execute("SELECT sha256 FROM stored_files"))
        import psycopg

        with psycopg.connect(**self._server(self.dbname)) as conn:
            return sorted(row[0] for row in conn.execute(f'SELECT sha256 FROM "{service}".{service}_files'))

    def drop(self) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(**self._server("postgres"), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def system(request, broker, tmp_path):
    store = Store(request.param, tmp_path)
    env = {**store.env, "FIELDWORK_MAX_FILE_BYTES": str(LIMIT)}
    started = {}
    try:
        for name in ("visits", "meetings"):
            started[name] = ServiceProcess(name, broker.uri, tmp_path, extra_env=env).start(timeout=60)
        yield store, started["visits"], started["meetings"]
    finally:
        for service in started.values():
            service.stop()
        store.drop()


def upload(service, path: str, content: bytes, as_=None, **query) -> requests.Response:
    return requests.post(f"{service.url}{path}", data=content, params=query, timeout=30,
                         headers=service._headers(as_, {"Content-Type": "application/octet-stream"}))


def download(service, url: str, as_=None, headers: dict | None = None) -> requests.Response:
    return requests.get(f"{service.url}{url}", headers=headers or service._headers(as_, None), timeout=30)


def a_meeting_with_a_document(meetings) -> str:
    groups = meetings.post("/groups/load-reference", {"occurred_at": (NOW - timedelta(days=300)).isoformat()}).json()
    starts = NOW + timedelta(days=10)
    meeting = meetings.post("/meetings", {
        "group_id": groups[0]["id"], "meeting_kind": "working_group", "title": "Matrices review",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat()})
    assert meeting.status_code == 201, meeting.text
    m = meeting.json()["id"]
    circulated = meetings.post(f"/meetings/{m}/circulate-document",
                               {"document_id": "D1", "title": "Draft matrix", "symbol": "S/AC.44/2026/WP.3"})
    assert circulated.status_code == 200, circulated.text
    return m


def test_a_meeting_document_its_revision_downloaded_as_uploaded_and_bad_files_leave_nothing(system):
    store, _, meetings = system
    m = a_meeting_with_a_document(meetings)

    original = upload(meetings, f"/meetings/{m}/files", PDF, document_id="D1", language="en", file_name="matrix.pdf")
    assert original.status_code == 200, original.text
    assert original.json()["full_symbol"] == "S/AC.44/2026/WP.3" and original.json()["version"] == "original"
    revision_bytes = docx("Projet de matrice, révision 1")
    revision = upload(meetings, f"/meetings/{m}/files", revision_bytes, document_id="D1", language="fr",
                      symbol="S/AC.44/2026/WP.3/Rev.1", file_name="matrice.docx")
    assert revision.status_code == 200, revision.text
    assert revision.headers["Location"] == revision.json()["url"]
    # the JSON command route takes a small file too, base64-encoded
    corrigendum = meetings.post(f"/meetings/{m}/attach-file", {
        "document_id": "D1", "language": "en", "version": "Rev.1/Corr.1",
        "content": base64.b64encode(b"Corrigendum: paragraph 3, for 2025 read 2026.\n").decode()})
    assert corrigendum.status_code == 200, corrigendum.text

    files = meetings.get(f"/meetings/{m}/files").json()
    assert [(f["version"], f["language"], f["superseded"]) for f in files] == [
        ("original", "en", True), ("Rev.1", "fr", False), ("Rev.1/Corr.1", "en", False)]
    for sent, listed in zip((PDF, revision_bytes), files):
        got = download(meetings, listed["url"])
        assert got.status_code == 200 and got.content == sent  # byte for byte
        assert got.headers["ETag"] == f'"{hashlib.sha256(sent).hexdigest()}"'
    assert download(meetings, files[1]["url"]).headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert "filename*=UTF-8''matrice.docx" in download(meetings, files[1]["url"]).headers["Content-Disposition"]

    history, kept = meetings.get(f"/meetings/{m}/history").json(), store.kept("meetings")
    assert [e["event_type"] for e in history][-3:] == ["document_file_attached"] * 3
    assert all("content" not in e["payload"] for e in history)  # the events carry the hash, never the bytes
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(500)
    wrong = upload(meetings, f"/meetings/{m}/files", png, document_id="D1", language="ru", file_name="matrix.pdf")
    assert wrong.status_code == 400 and "a PNG image" in wrong.json()["fields"]["file"][0], wrong.text
    too_large = upload(meetings, f"/meetings/{m}/files", b"%PDF-1.7\n" + b"0" * LIMIT, document_id="D1", language="ru")
    assert too_large.status_code == 413, too_large.text
    assert "limit of 200 kB (200000 bytes; the setting FIELDWORK_MAX_FILE_BYTES)" in too_large.json()["message"]
    again = upload(meetings, f"/meetings/{m}/files", PDF, document_id="D1", language="en")
    assert again.status_code == 409 and again.json()["rule"] == "one_file_per_version_and_language"
    assert meetings.get(f"/meetings/{m}/history").json() == history
    assert store.kept("meetings") == kept  # no bytes of a refused file

    ctc_only = meetings.get(f"/meetings/{m}/files", as_=("cted.sam", "secretariat", "ctc"))
    assert ctc_only.status_code == 404  # a 1540 meeting's files, to a token for the CTC's work


def test_a_needs_assessment_file_reaches_the_donor_it_was_shared_with_and_no_other(system):
    store, visits, _ = system
    donors = [visits.post("/donors", {"name": name, "donor_kind": "state", "thematic_areas": ["border_control"]})
              .json()["id"] for name in ("Norway", "Japan")]
    norway, japan = ({"Authorization": f"Bearer {visits.token(f'mfa.{d}', 'donor', donor_id=d)}"} for d in donors)
    v = visits.post("/visits", {"member_state": "KEN", "committee": "ctc"}).json()["id"]
    for command, body in [("approve", {}), ("request-consent", {}), ("grant-consent", {}),
                          ("record-needs-assessment", {"needs": [{"need_id": "N1", "thematic_area": "border_control",
                                                                  "description": "screening", "priority": "high"}]}),
                          ("grant-sharing-consent", {})]:
        assert visits.post(f"/visits/{v}/{command}", body).status_code == 200, command
    assessment = "Needs assessment, Kenya: biometric screening at airports.\n".encode()
    attached = upload(visits, f"/visits/{v}/files", assessment, document_kind="needs_assessment", language="en",
                      file_name="assessment.txt")
    assert attached.status_code == 200, attached.text
    letter = upload(visits, f"/visits/{v}/files", PDF, document_kind="consent_letter", language="fr")
    assert letter.status_code == 200, letter.text
    assert visits.post(f"/visits/{v}/share-needs-assessment",
                       {"donor_id": donors[0], "need_ids": ["N1"]}).status_code == 200

    shared = download(visits, f"/visits/{v}/files", headers=norway).json()
    assert [f["document"] for f in shared] == ["needs_assessment"]  # not the consent letter
    assert download(visits, shared[0]["url"], headers=norway).content == assessment
    refused = download(visits, letter.json()["url"], headers=norway)
    assert refused.status_code == 403 and refused.json()["rule"] == "donor_reads_only_what_was_shared_with_it"
    assert download(visits, f"/visits/{v}/files", headers=japan).status_code == 404  # no share: no visit, to it
    assert download(visits, attached.json()["url"], headers=japan).status_code == 404

    assert visits.post(f"/visits/{v}/withdraw-sharing-consent", {"reason": "the State withdrew"}).status_code == 200
    withdrawn = download(visits, attached.json()["url"], headers=norway)
    assert withdrawn.status_code == 403, withdrawn.text
    assert download(visits, f"/visits/{v}/files", headers=norway).json() == []
    staff = download(visits, letter.json()["url"])
    assert staff.status_code == 200 and staff.content == PDF

    history, kept = visits.get(f"/visits/{v}/history").json(), store.kept("visits")
    exe = b"MZ\x90\x00" + os.urandom(300)
    wrong = upload(visits, f"/visits/{v}/files", exe, document_kind="consent_letter", language="en", version="Rev.1")
    assert wrong.status_code == 400 and "a Windows program" in wrong.json()["fields"]["file"][0]
    too_large = upload(visits, f"/visits/{v}/files", b"a" * (LIMIT + 1), document_kind="consent_letter", language="en")
    assert too_large.status_code == 413 and "200 kB" in too_large.json()["message"]
    assert visits.get(f"/visits/{v}/history").json() == history and store.kept("visits") == kept
    assert len(kept) == 2
