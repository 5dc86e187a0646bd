"""Files through the console, as a person's browser sends them: a meeting document of 3 MB
(three times the limit of a JSON call) uploaded through the console's pass-through with the
session's cookie and CSRF token, and downloaded byte for byte; the same upload without the
CSRF token refused, with nothing stored."""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
import requests

from fieldwork_testing import IsolatedBroker, ServiceProcess, group_body, meeting_body
from shared.messaging.topology import PROJECT_ROOT

pytestmark = pytest.mark.integration

PASSWORD = "the secretariat's passphrase"
BIG_PDF = b"%PDF-1.7\n" + os.urandom(3_000_000) + b"\n%%EOF\n"


@pytest.fixture(scope="module")
def system(tmp_path_factory):
    data = tmp_path_factory.mktemp("data")
    with IsolatedBroker() as broker:
        meetings = ServiceProcess("meetings", broker.uri, data).start()
        console = ServiceProcess("console", broker.uri, data, extra_env={"FIELDWORK_MEETINGS_URL": meetings.url}).start()
        secret = data / "password"
        secret.write_text(PASSWORD)
        added = subprocess.run([sys.executable, "-m", "shared.cli.main", "admin", "add-user", "--user", "sam.k",
                                "--role", "secretariat", "--password-file", str(secret)],
                               capture_output=True, text=True, env=console.env, cwd=PROJECT_ROOT, timeout=60)
        assert added.returncode == 0, added.stderr
        try:
            yield meetings, console
        finally:
            console.stop()
            meetings.stop()


def test_a_document_larger_than_a_json_call_goes_through_the_console_and_back_byte_for_byte(system):
    meetings, console = system
    now = datetime.now(timezone.utc).replace(microsecond=0)
    group = meetings.post("/groups", group_body("Working Group on files")).json()
    meeting = meetings.post("/meetings", meeting_body(group["id"], "Files", now + timedelta(days=10))).json()["id"]
    assert meetings.post(f"/meetings/{meeting}/circulate-document", {"title": "Draft matrix"}).status_code == 200

    browser = requests.Session()
    session = browser.post(f"{console.url}/auth/sign-in", json={"user": "sam.k", "password": PASSWORD}, timeout=30).json()
    files = f"{console.url}/api/meetings/meetings/{meeting}/files"
    forged = browser.post(files, data=BIG_PDF, params={"document_id": "D1", "language": "en"}, timeout=60,
                          headers={"Content-Type": "application/octet-stream"})
    assert forged.status_code == 403 and forged.json()["rule"] == "csrf_token_required"
    assert browser.get(files, timeout=10).json() == []  # nothing stored
    sent = browser.post(files, data=BIG_PDF, params={"document_id": "D1", "language": "en", "file_name": "matrix.pdf"},
                        timeout=60, headers={"Content-Type": "application/octet-stream",
                                             "X-CSRF-Token": session["csrf_token"]})
    assert sent.status_code == 200, sent.text
    (listed,) = browser.get(files, timeout=10).json()
    back = browser.get(f"{console.url}/api/meetings{listed['url']}", timeout=60)
    assert back.status_code == 200 and back.content == BIG_PDF
    assert back.headers["ETag"] == f'"{hashlib.sha256(BIG_PDF).hexdigest()}"'
    assert "filename*=UTF-8''matrix.pdf" in back.headers["Content-Disposition"]
