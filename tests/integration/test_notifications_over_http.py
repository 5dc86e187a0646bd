"""The notifications service running as a user runs it, with the meetings and reporting services
on the real broker and a real SMTP server: the directory over HTTP, an announcement told to
every delegation with its calendar entry, a redelivered event sending nothing twice, who was told
what on the meeting's notifications, the reporting service receiving the notifications' events."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import kombu
import pytest

from fieldwork_testing import MailServer, ServiceProcess, list_delegations

pytestmark = pytest.mark.integration

STATES = ("KEN", "FRA", "GBR", "USA", "CHN")


@pytest.fixture
def mail():
    with MailServer() as server:
        yield server


@pytest.fixture
def notifications_service(broker, tmp_path, mail):
    service = ServiceProcess("notifications", broker.uri, tmp_path, {
        "MAIL_URL": mail.url, "MAIL_FROM": "1540 Committee secretariat <experts@un.example.org>",
        "MAIL_RETRY_FIRST": "1", "MAIL_RETRY_MAX": "2"}).start()
    yield service
    service.stop()


def until(check, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} not met within {timeout} s")


def test_the_directory_over_http_names_bad_fields_and_broken_rules_and_stores_nothing_on_refusal(
        notifications_service):
    service = notifications_service
    missing = service.post("/contacts", {"role": "delegation", "committee": "both", "name": "Kenya",
                                         "email": "not an address", "since": "2026-01-01"})
    assert missing.status_code == 400 and set(missing.json()["fields"]) == {"email"}
    party = service.post("/contacts", {"role": "delegation", "committee": "both", "name": "Kenya",
                                       "email": "kenya@missions.example.org", "since": "2026-01-01"})
    assert party.status_code == 409 and party.json()["rule"] == "contact_names_its_party"
    ctc_only = service.post("/contacts", {"role": "delegation", "committee": "both", "name": "Kenya",
                                          "email": "kenya@missions.example.org", "member_state": "KEN",
                                          "since": "2026-01-01"}, as_=("cted.ana", "secretariat", "ctc"))
    assert ctc_only.status_code == 403 and ctc_only.json()["rule"] == "committee_not_yours"
    assert service.get("/contacts").json() == []
    listed = service.post("/contacts", {"role": "delegation", "committee": "both", "name": "Kenya",
                                        "email": "kenya@missions.example.org", "member_state": "KEN",
                                        "since": "2026-01-01"})
    assert listed.status_code == 201, listed.text
    contact = listed.json()
    assert contact["member_state_name"] == "Kenya" and listed.headers["Location"] == f"/contacts/{contact['id']}"
    page = service.get(f"/contacts/{contact['id']}").json()
    assert page["next_steps"]["allowed"] == ["change-contact", "end-contact"]
    changed = service.post(f"/contacts/{contact['id']}/change-contact",
                           {"name": "Permanent Mission of Kenya", "email": "mission@kenya.example.org"})
    assert changed.status_code == 200 and changed.json()["email"] == "mission@kenya.example.org"
    chair = service.post(f"/contacts/{contact['id']}/end-contact", {"until": "2026-12-31"},
                         as_=("chair.fr", "working_group_chair"))
    assert chair.status_code == 403
    assert [e["event_type"] for e in service.get(f"/contacts/{contact['id']}/history").json()] == [
        "contact_listed", "contact_changed"]
    assert service.get("/contacts", params={"role": "national_contact_point"}).json() == []


def test_an_announcement_reaches_every_delegation_once_and_the_meeting_shows_who_was_told(
        broker, meetings_service, reporting_service, notifications_service, mail):
    list_delegations(notifications_service, STATES)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    group = meetings_service.post("/groups", {"name": "Working Group on notices", "committee": "1540",
                                              "mandate_area": "assistance",
                                              "occurred_at": (now - timedelta(days=3)).isoformat()}).json()
    starts = now + timedelta(days=12)
    meeting = meetings_service.post("/meetings", {
        "group_id": group["id"], "meeting_kind": "working_group", "title": "Assistance requests",
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=3)).isoformat(),
        "location": "Conference Room 7"}).json()
    tap = broker.tap("meetings.events")
    assert meetings_service.post(f"/meetings/{meeting['id']}/announce", {}).status_code == 200
    assert meetings_service.post(f"/meetings/{meeting['id']}/circulate-document",
                                 {"document_id": "WG-1", "title": "Requests and offers"}).status_code == 200
    until(lambda: len(mail.messages) >= 10, what="10 messages at the mail server")
    assert sorted(m["notice"] for m in mail.messages) == ["document_circulated"] * 5 + ["meeting_announced"] * 5
    announcement = next(m for m in mail.messages if m["notice"] == "meeting_announced")
    parsed = message_from_bytes(announcement["content"], policy=policy.default)
    calendar = next(p for p in parsed.walk() if p.get_content_type() == "text/calendar").get_content()
    assert f"UID:{meeting['id']}@fieldwork" in calendar and "METHOD:REQUEST" in calendar
    assert parsed["From"] == "1540 Committee secretariat <experts@un.example.org>"

    # the announcement delivered again (a redelivery, a replay): nothing sent twice
    # (the tap may also have seen the meeting put on the schedule: its event can be published
    # after the answer to the command that stored it)
    published = [m for m in tap.messages(2) if m.delivery_info["routing_key"] != "meeting_scheduled"]
    assert [m.delivery_info["routing_key"] for m in published] == ["meeting_announced", "document_circulated"]
    with kombu.Connection(broker.uri) as connection:
        producer = connection.Producer()
        for message in published:
            producer.publish(message.body, exchange="meetings.events", routing_key=message.delivery_info["routing_key"],
                             content_type="application/json")
    time.sleep(3)
    assert len(mail.messages) == 10 and set(mail.by_message_id().values()) == {1}

    def sent() -> list[dict] | None:
        found = notifications_service.get("/notifications", params={"subject_id": meeting["id"], "status": "sent"})
        return found.json() if len(found.json()) == 10 else None
    told = until(sent, what="10 notifications recorded sent")
    assert {(n["notice"], n["role"]) for n in told} == {("meeting_announced", "delegation"),
                                                        ("document_circulated", "delegation")}
    assert all(n["answer"] == "250 2.0.0 Ok: queued" and n["attempts"] == 1 for n in told)
    whole = notifications_service.get(f"/notifications/{told[0]['id']}").json()
    assert whole["text"] and whole["html"].startswith("<!DOCTYPE html>")
    other = notifications_service.get(f"/notifications/{told[0]['id']}", as_=("cted.ana", "secretariat", "ctc"))
    assert other.status_code == 404  # a 1540 meeting's notification is not the CTC's to read

    # the reporting service received the notifications' events like every other
    def recorded_by_reporting():
        status = reporting_service.get("/status").json()
        return status["events_recorded"] >= 2 + 10 * 2 + 5 and status
    until(recorded_by_reporting, what="the reporting service to record the notifications' events")
    health = notifications_service.get("/health").json()
    assert health["status"] == "ok" and health["mail"]["pending"] == 0
    assert health["mail"]["transport"] == f"smtp://127.0.0.1:{mail.port}"
