"""A coordinator drives a visit from proposal to closure with the `fieldwork` CLI, as the
README shows, and watches the events arrive."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
import os
import subprocess
import sys

import pytest

from fieldwork_testing import group_body, meeting_body

pytestmark = pytest.mark.integration


def fieldwork(service, *args, env_extra=None):
    env = {**os.environ, "FIELDWORK_VISITS_URL": service.url,
           "FIELDWORK_TOKEN": service.token("ana", "visit_coordinator"), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "shared.cli.main", *args], capture_output=True, text=True, env=env, timeout=60
    )


def ok(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def done(result) -> str:
    """A write's short answer: a line or two, no JSON."""
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert 1 <= len(lines) <= 2 and not result.stdout.lstrip().startswith("{"), result.stdout
    return result.stdout


def test_a_coordinator_drives_a_visit_to_closure_with_the_cli_and_watches_the_events(broker, visits_service):
    watcher = subprocess.Popen(
        [sys.executable, "-m", "shared.cli.main", "events", "watch", "--count", "16"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "AMQP_URI": broker.uri},
    )
    try:
        assert "watching" in watcher.stderr.readline()
        donor = fieldwork(visits_service, "donors", "register", "--name", "Norway", "--donor-kind", "state",
                          "--thematic-areas", "border_control", "-q").stdout.strip()
        today = datetime.now(timezone.utc).date()  # a visit scheduled from today starts now, on its dates
        visit = ok(fieldwork(visits_service, "visits", "propose", "--member-state", "KEN", "--committee", "ctc", "--json"))
        v = visit["id"]
        refused = fieldwork(visits_service, "visits", "schedule", v, "--starts-on", "2025-03-01", "--ends-on", "2025-03-05")
        assert refused.returncode == 4  # refused by a rule
        assert "rule only_approved_visits_are_prepared" in refused.stderr and refused.stdout == ""
        steps = [
            ["approve", v], ["request-consent", v, "--due-on", "2025-02-01"], ["grant-consent", v],
            ["invite-organization", v, "--organization", "UNODC"],  # the directory says its name and kind
            ["request-pre-visit-info", v, "--organization", "Office on Drugs and Crime", "--due-on", "2025-02-20"],
            ["receive-pre-visit-info", v, "--organization", "UNODC", "--summary", "notes"],
            ["schedule", v, "--starts-on", str(today), "--ends-on", str(today + timedelta(days=4))],
            ["start", v], ["complete", v],
            ["record-needs-assessment", v, "--need", "N1:border_control:high:biometric screening"],
        ]
        for step in steps:
            said = done(fieldwork(visits_service, "visits", *step))
            assert said.startswith(f"{step[0]}: visit {v} (Kenya, ctc)"), said
        assert f"{today} to {today + timedelta(days=4)}, status conducted" in said
        matched = fieldwork(visits_service, "visits", "matches", v)
        assert matched.returncode == 0, matched.stderr
        assert "N1" in matched.stdout and "Norway" in matched.stdout and "not in force" in matched.stdout
        steps = [
            ["grant-sharing-consent", v],
            ["share-needs-assessment", v, "--donor-id", donor, "--need-ids", "N1"],
            ["record-follow-up", v, "--summary", "Committee updated"], ["close", v],
        ]
        for step in steps:
            done(fieldwork(visits_service, "visits", *step))
        audit = fieldwork(visits_service, "visits", "audit", v)
        assert audit.returncode == 0
        assert len(audit.stdout.splitlines()) == 15 and all("ana (visit_coordinator)" in line for line in audit.stdout.splitlines())
        assert "visit_closed" in audit.stdout.splitlines()[-1]
        shown = ok(fieldwork(visits_service, "visits", "show", v, "--json"))
        lines = fieldwork(visits_service, "visits", "show", v).stdout.splitlines()
        assert "status: closed" in lines and "country: Kenya" in lines
        assert shown["status"] == "closed" and shown["shares"][0]["need_ids"] == ["N1"]
        assert [o["organization"] for o in shown["organizations"]] == ["United Nations Office on Drugs and Crime"]
        listed = fieldwork(visits_service, "organizations", "list", "--name", "unodc")
        assert listed.returncode == 0
        header, row, count = listed.stdout.splitlines()
        assert header.split() == ["NAME", "ALSO", "KNOWN", "AS", "KIND", "LISTED", "IN"]
        assert row.startswith("United Nations Office on Drugs and Crime  UNODC, Office on Drugs and Crime")
        assert row.split("  ")[-2:] == ["un_body", "2003 annex, section III"] and count == "1 organization"
        bad = fieldwork(visits_service, "visits", "propose", "--member-state", "XYZ", "--committee", "ctc")
        assert bad.returncode == 3 and "member_state" in bad.stderr  # bad input: the service names the field
        unknown = fieldwork(visits_service, "visits", "approve", "00000000-0000-4000-8000-000000000000")
        assert unknown.returncode == 5 and "404" in unknown.stderr
        unsigned = fieldwork(visits_service, "visits", "list", env_extra={"FIELDWORK_TOKEN": "fw_not_a_token"})
        assert unsigned.returncode == 6 and "not signed in" in unsigned.stderr
        missing = fieldwork(visits_service, "visits", "postpone", v)  # before any request: the service never hears
        assert missing.returncode == 2 and "Missing option '--reason'" in missing.stderr
        out, _ = watcher.communicate(timeout=30)
    finally:
        watcher.kill()
    lines = out.strip().splitlines()
    assert len(lines) == 16
    assert "donor_registered" in lines[0] and "visit_proposed" in lines[1] and "visit_closed" in lines[-1]
    assert all("by ana" in line for line in lines)


def test_the_cli_says_when_the_service_is_not_running(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "shared.cli.main", "visits", "list"], capture_output=True, text=True,
        env={**os.environ, "FIELDWORK_VISITS_URL": "http://127.0.0.1:9"}, timeout=60,
    )
    assert result.returncode == 7
    assert "does not answer" in result.stderr and "fieldwork up" in result.stderr


def test_a_chair_runs_a_meeting_with_the_cli_and_a_delegation_subscribes_to_the_calendar(broker, meetings_service):
    import requests
    from datetime import datetime, timedelta, timezone
    from icalendar import Calendar

    def meetings(*args, user="secretariat.ana"):
        role = "working_group_chair" if user.startswith("chair.") else "secretariat"
        env = {**os.environ, "FIELDWORK_MEETINGS_URL": meetings_service.url,
               "FIELDWORK_TOKEN": meetings_service.token(user, role)}
        return subprocess.run([sys.executable, "-m", "shared.cli.main", "meetings", *args],
                              capture_output=True, text=True, env=env, timeout=60)

    loaded = meetings("load-groups", "--occurred-at", (datetime.now(timezone.utc) - timedelta(days=30)).isoformat())
    assert loaded.returncode == 0 and loaded.stdout.count("created") == 4
    assert meetings("load-groups").stdout.count("exists") == 4
    group_line = next(line for line in meetings("groups").stdout.splitlines() if "Working Group 1" in line)
    group_id = group_line.split()[0]
    done(meetings("assign-chair", group_id, "--chair-member-state", "ZAF", "--chair-user", "chair.za",
                "--occurred-at", (datetime.now(timezone.utc) - timedelta(days=20)).isoformat()))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    start = now - timedelta(hours=1)  # set ten days ago for an hour ago: it can be held now
    m = meetings("schedule", "--group-id", group_id, "--meeting-kind", "working_group",
                 "--title", "Matrices review", "--starts-at", start.isoformat(),
                 "--ends-at", (start + timedelta(hours=2)).isoformat(),
                 "--occurred-at", (now - timedelta(days=10)).isoformat(), "-q").stdout.strip()
    done(meetings("announce", m, "--occurred-at", (now - timedelta(days=9)).isoformat()))
    done(meetings("circulate-document", m, "--document-id", "WG1-1", "--title", "Draft matrix",
                  "--occurred-at", (now - timedelta(days=8)).isoformat()))
    held = done(meetings("hold", m))
    assert held.startswith(f"hold: meeting {m} (Matrices review, 1540) at ") and "status held" in held
    assert "waiting for:" in held and "report to committee" in held
    due = (now + timedelta(days=30)).date().isoformat()
    by_secretariat = meetings("log-outcome", m, "--outcome-id", "A1", "--outcome-kind", "action_item", "--text", "x",
                              "--owner", "the experts", "--due-on", due)
    assert by_secretariat.returncode == 6 and "role_may_not_do_this" in by_secretariat.stderr
    refused = meetings("log-outcome", m, "--outcome-id", "A1", "--outcome-kind", "action_item", "--text", "Update",
                       "--owner", "the experts", "--due-on", due, user="chair.of.another.group")
    assert refused.returncode == 6 and "only_the_chair_logs_outcomes" in refused.stderr
    done(meetings("log-outcome", m, "--outcome-id", "A1", "--outcome-kind", "action_item", "--text", "Update",
                "--owner", "the experts", "--due-on", due, user="chair.za"))
    done(meetings("report-to-committee", m, "--summary", "Matrices reviewed"))
    assert "A1" in meetings("outcomes-awaiting-approval").stdout
    done(meetings("approve-outcome", m, "--outcome-id", "A1"))
    # the action item is due in 30 days: not overdue now, overdue the day after its due date
    assert meetings("list", "--overdue").stdout.strip() == "0 meetings"
    listed = meetings("list").stdout.splitlines()
    assert listed[0].split()[:4] == ["ID", "STARTS", "STATUS", "TITLE"] and listed[-1] == "1 meeting"
    later = meetings_service.get("/meetings", params={"overdue": "true",
                                                      "today": (now + timedelta(days=31)).date().isoformat()})
    assert [a["outcome_id"] for row in later.json() for a in row["action_items_overdue"]] == ["A1"]

    url = meetings("calendar-url", "--group-id", group_id).stdout.strip()
    feed = Calendar.from_ical(requests.get(url, timeout=10).content)
    assert [str(e["summary"]) for e in feed.walk("VEVENT")] == [
        "Matrices review (Working Group 1: Monitoring and national implementation)"
    ]


def test_the_cli_finds_visits_by_words_in_an_order_and_refuses_an_order_it_does_not_know(broker, visits_service):
    civ = ok(fieldwork(visits_service, "visits", "propose", "--member-state", "CIV", "--committee", "ctc", "--json"))
    kaz = ok(fieldwork(visits_service, "visits", "propose", "--member-state", "KAZ", "--committee", "1540", "--json"))
    found = ok(fieldwork(visits_service, "visits", "list", "--search", "cote d'ivoire", "--json"))
    assert [v["id"] for v in found] == [civ["id"]]
    newest = [v["id"] for v in ok(fieldwork(visits_service, "visits", "list", "--sort", "-proposed", "--json"))]
    assert newest.index(kaz["id"]) < newest.index(civ["id"])
    table = fieldwork(visits_service, "visits", "list", "--search", "kazakhstan")
    assert table.returncode == 0 and "KAZ" in table.stdout and "CIV" not in table.stdout
    wrong = fieldwork(visits_service, "visits", "list", "--sort", "size")
    assert wrong.returncode == 2 and "--sort" in wrong.stderr  # a usage error: nothing sent


def test_the_cli_attaches_a_file_as_it_is_and_refuses_one_of_another_type(broker, meetings_service, tmp_path):
    import hashlib

    now = datetime.now(timezone.utc).replace(microsecond=0)
    group = meetings_service.post("/groups", group_body("Working Group on the CLI's files")).json()
    meeting = meetings_service.post("/meetings", meeting_body(group["id"], "Matrices", now + timedelta(days=10))).json()["id"]
    meetings_service.post(f"/meetings/{meeting}/circulate-document", {"title": "Draft matrix"})
    env = {"FIELDWORK_MEETINGS_URL": meetings_service.url, "FIELDWORK_TOKEN": meetings_service.token("sam", "secretariat")}
    pdf = tmp_path / "matrix.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + os.urandom(1_500_000) + b"\n%%EOF\n")  # more than a JSON call takes
    sent = fieldwork(meetings_service, "meetings", "attach-file", meeting, "--document-id", "D1", "--language", "en",
                     "--file", str(pdf), env_extra=env)
    done(sent)
    (listed,) = meetings_service.get(f"/meetings/{meeting}/files").json()
    assert listed["file_name"] == "matrix.pdf" and listed["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()
    picture = tmp_path / "photo.pdf"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(100))
    refused = fieldwork(meetings_service, "meetings", "attach-file", meeting, "--document-id", "D1", "--language", "fr",
                        "--file", str(picture), env_extra=env)
    assert refused.returncode == 3 and "file" in refused.stderr, refused.stderr  # bad input, named
    assert len(meetings_service.get(f"/meetings/{meeting}/files").json()) == 1
