"""The sender against a real SMTP server (aiosmtpd, tests/fieldwork_testing.MailServer): sent,
deferred and tried again, failed for good; STARTTLS with a login; and a mail server down for an
hour of the sender's clock loses nothing and doubles nothing, counted."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from event_builders import Events, wire
from fieldwork_testing import MailServer
from shared.domain import Context
from shared.store import StoreSettings
from notifications.application import NotificationsApplication
from notifications.mail import Deferred, SMTPTransport, email_of
from notifications.sender import Sender

pytestmark = pytest.mark.integration

SENDER = "Secretariat <secretariat@un.example.org>"


@pytest.fixture
def app(tmp_path):
    application = NotificationsApplication(env=StoreSettings(data_dir=tmp_path).environment("notifications"))
    yield application
    application.close()


def ctx() -> Context:
    return Context(occurred_at=datetime.now(timezone.utc), user="sam", role="secretariat", correlation_id="test")


def delegations(app, count: int) -> list[str]:
    states = ["KEN", "FRA", "GBR", "USA", "CHN", "RUS", "BRA", "JPN", "IND", "MEX", "NOR", "GHA", "PER", "ARE", "ALB"]
    for state in states[:count]:
        app.list_contact(ctx(), role="delegation", committee="both", name=f"Permanent Mission {state}",
                         email=f"{state.lower()}@missions.example.org", member_state=state, since=date(2020, 1, 1))
    return states[:count]


def announce(app, meetings: int, events: Events | None = None) -> list[dict]:
    events = events or Events()
    group, established = events.group()
    sent = [established]
    for n in range(meetings):
        meeting, scheduled = events.meeting(group, timedelta(days=10 + n))
        sent += [scheduled, events.event("meeting_announced", meeting, {"announced_to": "all_council_delegations"})]
    assert set(app.receive(wire(sent))) == {"recorded"}
    return sent


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def test_each_notification_is_sent_once_with_the_server_s_answer(app):
    delegations(app, 3)
    announce(app, 2)
    with MailServer() as server:
        sender = Sender(app, SMTPTransport(server.url), sender=SENDER)
        assert sender.run_once() == {"sent": 6, "deferred": 0, "failed": 0}
        assert sender.run_once() == {"sent": 0, "deferred": 0, "failed": 0}
    assert len(server.messages) == 6 and set(server.by_message_id().values()) == {1}
    assert {n.status for n in app.notifications()} == {"sent"}
    assert {n.answer for n in app.notifications()} == {"250 2.0.0 Ok: queued"}
    assert {m["to"][0] for m in server.messages} == {"ken@missions.example.org", "fra@missions.example.org",
                                                     "gbr@missions.example.org"}


def test_a_refused_recipient_fails_alone_and_one_deferred_is_tried_again(app):
    delegations(app, 3)
    announce(app, 1)
    clock = Clock()
    with MailServer() as server:
        server.refuse.add("ken@missions.example.org")
        server.defer.add("fra@missions.example.org")
        sender = Sender(app, SMTPTransport(server.url), sender=SENDER, first=60, clock=clock)
        assert sender.run_once() == {"sent": 1, "deferred": 1, "failed": 1}
        by_state = {n.member_state: n for n in app.notifications()}
        assert by_state["KEN"].status == "failed" and by_state["KEN"].answer.startswith("550 5.1.1")
        assert by_state["FRA"].status == "deferred" and by_state["FRA"].answer.startswith("451")
        assert by_state["FRA"].next_attempt_at == by_state["FRA"].latest_step_at + timedelta(seconds=60)
        server.defer.clear()
        assert sender.run_once() == {"sent": 0, "deferred": 0, "failed": 0}  # not before its time
        clock.now += timedelta(seconds=61)
        assert sender.run_once() == {"sent": 1, "deferred": 0, "failed": 0}
    assert sorted(m["to"][0] for m in server.messages) == ["fra@missions.example.org", "gbr@missions.example.org"]
    assert app.notifications(status="sent")[0].attempts in (1, 2)
    assert {n.member_state: n.attempts for n in app.notifications()}["FRA"] == 2


def test_starttls_and_a_login_as_in_production(app, tmp_path):
    delegations(app, 2)
    announce(app, 1)
    with MailServer(tls=True, users={"fieldwork": "s3cret"}) as server:
        wrong = Sender(app, SMTPTransport(server.url, "wrong", ca_file=str(MailServer.CERT)), sender=SENDER)
        assert wrong.run_once() == {"sent": 0, "deferred": 2, "failed": 0}  # a bad password loses nothing
        assert "login refused: 535" in app.notifications()[0].answer
        right = Sender(app, SMTPTransport(server.url, "s3cret", ca_file=str(MailServer.CERT)), sender=SENDER,
                       clock=lambda: datetime.now(timezone.utc) + timedelta(hours=1))
        assert right.run_once() == {"sent": 2, "deferred": 0, "failed": 0}
        untrusted = SMTPTransport(server.url, "s3cret")  # the test's CA is not the system's: refused, kept
        answers = untrusted.send_all([("n", email_of(app.get_notification(app.notifications()[0].id), SENDER))])
        assert isinstance(answers["n"], Deferred) and "CERTIFICATE_VERIFY_FAILED" in str(answers["n"])
    assert all(m["tls"] for m in server.messages) and len(server.messages) == 2


def test_a_server_that_offers_no_starttls_is_not_sent_plain_text(app):
    delegations(app, 1)
    announce(app, 1)
    with MailServer() as server:  # no TLS offered
        url = f"smtp+starttls://fieldwork@127.0.0.1:{server.port}"
        sender = Sender(app, SMTPTransport(url, "s3cret"), sender=SENDER)
        assert sender.run_once() == {"sent": 0, "deferred": 1, "failed": 0}
    assert server.messages == []
    assert "does not offer STARTTLS" in app.notifications()[0].answer


def test_a_mail_server_down_for_an_hour_loses_nothing_and_doubles_nothing(app, capsys):
    """An hour of the sender's clock, a round a minute, the real server stopped, its port closed;
    events keep coming and some come twice. Then the server is back and everything arrives once."""
    states = delegations(app, 15)
    clock = Clock()
    server = MailServer()
    transport = SMTPTransport(server.url)
    sender = Sender(app, transport, sender=SENDER, first=60, cap=900, clock=clock)
    events = Events()
    sent_events: list[dict] = []
    attempts = 0
    for minute in range(60):  # the server is down
        if minute % 6 == 0:
            batch = announce(app, 2, events)
            sent_events += batch
            app.receive(wire(batch[-2:]))  # delivered twice
        counts = sender.run_once()
        assert counts["sent"] == counts["failed"] == 0
        attempts += counts["deferred"]
        clock.now += timedelta(minutes=1)
    recorded = app.notifications()
    announcements = [e for e in sent_events if e["event_type"] == "meeting_announced"]
    assert len(recorded) == len(announcements) * len(states) == 300
    assert {n.status for n in recorded} == {"deferred"}
    server.start()
    try:
        for _ in range(30):  # 15 minutes at most between attempts: all within half an hour
            sender.run_once()
            clock.now += timedelta(minutes=1)
    finally:
        server.stop()
    arrived = server.by_message_id()
    expected = {f"<{n.id}@fieldwork>" for n in recorded}
    lost = expected - set(arrived)
    doubled = {k: v for k, v in arrived.items() if v > 1}
    settled = app.notifications()
    with capsys.disabled():
        print(f"\nmail server down 60 min (sender's clock): {len(announcements)} announcements x {len(states)} "
              f"delegations = {len(expected)} notifications recorded, {attempts} attempts deferred while down, "
              f"{len(arrived)} arrived, {len(lost)} lost, {len(doubled)} doubled, "
              f"{sum(1 for n in settled if n.status == 'sent')} recorded sent, max attempts "
              f"{max(n.attempts for n in settled)}")
    assert not lost and not doubled and set(arrived) == expected
    assert {n.status for n in settled} == {"sent"}
