"""The reports give each meeting's announcement notice (days from its announcement to its start)
and whether every delegation was notified of it (issue 22, point 5): from the meeting's own
events and the notifications service's notifications of its announcement (recorded, then sent,
deferred or failed), which change no other figure.

One working group of the 1540 Committee, its meetings of the first half of 2025:

- M1 announced 3 February 09:00 for 13 February 15:00 (10.25 days); Kenya's notification sent,
  France's deferred and then sent: both delivered, every delegation notified;
- M2 announced 3 March 09:00 for 7 March 15:00 (4.25 days, under a week); Kenya's first
  address refused it and its second took it (delivered), France's was refused, the United
  Kingdom's still deferred when the report is built: two of three not delivered;
- M3 announced 1 April 09:00 for 21 April 15:00 (20.25 days); no notification at all;
- M4 announced, notified, and cancelled: never held, in no figure;
- M5 announced 1 May and notified (sent), then moved to 26 May and announced again on
  6 May (20.25 days): only the notifications of the new announcement count, and Kenya's was
  refused.
"""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime

import pytest

from shared.contract import encode_envelope
from shared.store import StoreSettings
from reporting.application import ReportingApplication
from reporting.document import document_of
from reporting.formats import FORMATS, render
from reporting.intake import Incoming
from reporting.reports import SHORT_NOTICE_DAYS, annual, build_report, semi_annual

H1_2025 = semi_annual(2025, 1)
GROUP = "Working Group 1: Monitoring and national implementation"


def meetings_with_notifications(reporting):
    s = reporting.Stream()
    wg = s.group(1).established("2025-01-06", GROUP).chair("2025-01-06T10:00", "FRA", "chair.fr")
    m1 = s.meeting(1, wg).scheduled("2025-02-01", "WG1 meeting 1/2025", "2025-02-13T15:00").announced("2025-02-03")
    s.notification(1).recorded("2025-02-03T09:01", m1, "KEN").sent("2025-02-03T09:02")
    s.notification(2).recorded("2025-02-03T09:01", m1, "FRA").deferred("2025-02-03T09:02").sent("2025-02-03T10:00")
    m1.held()
    m2 = s.meeting(2, wg).scheduled("2025-03-01", "WG1 meeting 2/2025", "2025-03-07T15:00").announced("2025-03-03")
    s.notification(3).recorded("2025-03-03T09:01", m2, "KEN", contact=1).failed("2025-03-03T09:02")
    s.notification(4).recorded("2025-03-03T09:01", m2, "KEN", contact=2).sent("2025-03-03T09:02")
    s.notification(5).recorded("2025-03-03T09:01", m2, "FRA").failed("2025-03-03T09:02")
    s.notification(6).recorded("2025-03-03T09:01", m2, "GBR").deferred("2025-03-03T09:02")
    m2.held()
    m3 = s.meeting(3, wg).scheduled("2025-03-20", "WG1 meeting 3/2025", "2025-04-21T15:00").announced("2025-04-01")
    m3.held()
    m4 = s.meeting(4, wg).scheduled("2025-04-02", "WG1 meeting 4/2025", "2025-04-28T15:00").announced("2025-04-03")
    s.notification(7).recorded("2025-04-03T09:01", m4, "KEN").sent("2025-04-03T09:02")
    m4.cancelled("2025-04-10")
    m5 = s.meeting(5, wg).scheduled("2025-04-20", "WG1 meeting 5/2025", "2025-05-12T15:00").announced("2025-05-01")
    s.notification(8).recorded("2025-05-01T09:01", m5, "KEN").sent("2025-05-01T09:02")
    m5.postponed("2025-05-05", "2025-05-26T15:00").announced("2025-05-06")
    s.notification(9).recorded("2025-05-06T09:01", m5, "KEN").failed("2025-05-06T09:02")
    m5.held()
    return s


def is_notification(envelope: dict) -> bool:
    return envelope["event_type"].startswith(("notification_", "contact_"))


@pytest.fixture
def stream(reporting):
    return meetings_with_notifications(reporting)


@pytest.fixture
def report(reporting, stream):
    return reporting.report(stream.envelopes, "semi-annual", H1_2025)


def test_each_meeting_held_gives_its_notice_and_the_delegations_told_of_it(report, reporting):
    (row,) = report["meetings"]["by_group"]
    got = {a["meeting"]: a for a in row["announcements"]}
    assert list(got) == ["WG1 meeting 1/2025", "WG1 meeting 2/2025", "WG1 meeting 3/2025", "WG1 meeting 5/2025"]
    assert got["WG1 meeting 1/2025"] == {
        "meeting_id": str(reporting.meeting_id(1)), "meeting": "WG1 meeting 1/2025",
        "announced_on": "2025-02-03", "starts_on": "2025-02-13", "notice_days": 10.2,  # 10.25, to the even tenth
        "delegations_told": 2, "delegations_delivered": 2, "delegations_not_delivered": [],
        "every_delegation_notified": True,
    }
    m2, m3, m5 = got["WG1 meeting 2/2025"], got["WG1 meeting 3/2025"], got["WG1 meeting 5/2025"]
    # Kenya's second address took it: delivered; France refused, the United Kingdom still deferred
    assert (m2["notice_days"], m2["delegations_told"], m2["delegations_delivered"], m2["delegations_not_delivered"],
            m2["every_delegation_notified"]) == (4.2, 3, 1, ["FRA", "GBR"], False)
    # announced, and no notification at all: it says so
    assert (m3["notice_days"], m3["delegations_told"], m3["delegations_delivered"], m3["delegations_not_delivered"],
            m3["every_delegation_notified"]) == (20.2, 0, 0, [], False)
    # moved: its notice from its new announcement, and only that announcement's notifications
    assert (m5["announced_on"], m5["starts_on"], m5["notice_days"], m5["delegations_told"],
            m5["delegations_delivered"], m5["delegations_not_delivered"], m5["every_delegation_notified"]) == \
        ("2025-05-06", "2025-05-26", 20.2, 1, 0, ["KEN"], False)


def test_the_section_sums_up_the_notice_and_counts_the_meetings_every_delegation_was_told_of(report):
    meetings = report["meetings"]
    # (10.25 + 4.25 + 20.25 + 20.25) / 4 = 13.75; M2 the shortest and the one under a week
    assert meetings["announcement_notice"] == {"count": 4, "mean_days": 13.8, "shortest_days": 4.2,
                                               "short_notice_days": SHORT_NOTICE_DAYS, "short_notice": 1}
    assert SHORT_NOTICE_DAYS == 7
    assert meetings["totals"]["every_delegation_notified"] == 1  # M1
    assert meetings["totals"]["meetings_held"] == 4
    assert report["key_figures"]["meetings held with every delegation notified"] == 1


def test_the_annex_has_a_table_of_the_announcement_of_the_meetings_held(report):
    annex = document_of(report).annex
    table = next(t for t in annex if t.key == "announcements")
    assert table.title == "Announcement of meetings held"
    assert table.header == ("group", "meeting", "announced on", "starts on", "notice (days)", "delegations told",
                            "delivered", "every delegation notified")
    assert table.rows == [
        [GROUP, "WG1 meeting 1/2025", "3 February 2025", "13 February 2025", "10.2", 2, 2, "yes"],
        [GROUP, "WG1 meeting 2/2025", "3 March 2025", "7 March 2025", "4.2", 3, 1, "no"],
        [GROUP, "WG1 meeting 3/2025", "1 April 2025", "21 April 2025", "20.2", 0, 0, "no"],
        [GROUP, "WG1 meeting 5/2025", "6 May 2025", "26 May 2025", "20.2", 1, 0, "no"],
    ]
    keys = [t.key for t in annex]  # numbered after the meetings announced after they started
    assert keys.index("announcements") == keys.index("announced-late") + 1
    assert [t.number for t in annex] == list(range(1, len(annex) + 1))


def test_every_format_shows_the_table(report):
    for fmt in FORMATS:
        assert render(report, fmt)
    md = render(report, "md").decode()
    assert ("### Table 19. Announcement of meetings held\n\n"
            "| group | meeting | announced on | starts on | notice (days) | delegations told | delivered "
            "| every delegation notified |\n") in md
    assert f"| {GROUP} | WG1 meeting 2/2025 | 3 March 2025 | 7 March 2025 | 4.2 | 3 | 1 | no |" in md


def test_the_meetings_paragraph_says_the_notice_and_of_how_many_meetings_every_delegation_was_told(report):
    paragraphs = document_of(report).paragraphs
    assert any(p.endswith(
        "Meetings were announced on average 13.8 days before they began (the shortest notice 4.2 days; one with less "
        "than seven days' notice); every Council delegation in the directory was notified of one of the four "
        "meetings held.") for p in paragraphs), paragraphs


def test_one_meeting_held_whose_every_delegation_was_notified_is_said_so(reporting):
    s = reporting.Stream()
    wg = s.group(1).established("2025-01-06", GROUP)
    m = s.meeting(1, wg).scheduled("2025-02-01", "WG1 meeting 1/2025", "2025-02-13T15:00").announced("2025-02-03")
    s.notification(1).recorded("2025-02-03T09:01", m, "KEN").sent("2025-02-03T09:02")
    m.held()
    paragraphs = document_of(reporting.report(s.envelopes, "semi-annual", H1_2025)).paragraphs
    assert any(p.endswith("One meeting held was announced 10.2 days before it began; every Council delegation in the "
                          "directory was notified of the one meeting held.") for p in paragraphs), paragraphs


def test_without_any_notification_the_paragraph_says_none_was_recorded(reporting, stream):
    alone = [e for e in stream.envelopes if not is_notification(e)]
    report = reporting.report(alone, "semi-annual", H1_2025)
    assert report["meetings"]["totals"]["every_delegation_notified"] == 0
    assert all(not a["delegations_told"] and not a["every_delegation_notified"]
               for a in report["meetings"]["by_group"][0]["announcements"])
    assert any(p.endswith("(the shortest notice 4.2 days; one with less than seven days' notice); no notification "
                          "of an announcement to the Council delegations was recorded.")
               for p in document_of(report).paragraphs)


NEW_FIELDS = {("meetings", "announcement_notice"), ("meetings", "totals", "every_delegation_notified"),
              ("key_figures", "meetings held with every delegation notified")}


def without_the_new_fields(report: dict) -> dict:
    """The report without what the notifications' figures added (its provenance counts the
    events, so it differs too)."""
    report = json.loads(json.dumps(report))
    for path in NEW_FIELDS:
        *parents, last = path
        node = report
        for key in parents:
            node = node[key]
        del node[last]
    for row in report["meetings"]["by_group"]:
        del row["announcements"]
    if "trends" in report:
        report["trends"]["figures"] = [f for f in report["trends"]["figures"]
                                       if f["figure"] != "meetings held with every delegation notified"]
    del report["provenance"]
    return report


@pytest.mark.parametrize("kind, period", [("semi-annual", H1_2025), ("annual", annual(2025))])
def test_the_notifications_change_no_other_figure(reporting, scenario, kind, period):
    """The known-answer scenario with the notifications of its meetings' announcements, and without."""
    announcements = [e for e in scenario.envelopes if e["event_type"] == "meeting_announced"]
    starts = {e["aggregate_id"]: e["payload"]["starts_at"][:10] for e in scenario.envelopes
              if e["event_type"] in ("meeting_scheduled", "meeting_postponed") and e["payload"].get("starts_at")}
    told = reporting.Stream()
    for n, announcement in enumerate(announcements):
        for k, member_state in enumerate(("KEN", "FRA")):
            notification = told.notification(10 * n + k).told(
                announcement["occurred_at"][:16], announcement, "1540",
                date.fromisoformat(starts[announcement["aggregate_id"]]), member_state)
            (notification.sent if k == 0 else notification.failed)(announcement["occurred_at"][:11] + "23:00")
    without = reporting.report(scenario.envelopes, kind, period)
    with_them = reporting.report(scenario.envelopes + told.envelopes, kind, period)
    assert with_them != without
    assert without_the_new_fields(with_them) == without_the_new_fields(without)
    # and told: every announced meeting held has two delegations told, France's refused
    held = [a for row in with_them["meetings"]["by_group"] for a in row["announcements"]]
    assert held and all((a["delegations_told"], a["delegations_not_delivered"]) == (2, ["FRA"]) for a in held)


def project(tmp_path, envelopes: list[dict], reporting) -> ReportingApplication:
    app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
    for start in range(0, len(envelopes), 5):
        app.intake.receive([Incoming(encode_envelope(e), "application/json", reporting.exchange_of(e), e["event_type"])
                            for e in envelopes[start:start + 5]])
        app.projection.catch_up()
    return app


def begun_in_june_held_in_july(reporting):
    """A meeting begun on 30 June and recorded as held on 1 July: its notifications were recorded
    in June, about 30 June, and a report of the second half-year finds them all the same."""
    s = reporting.Stream()
    wg = s.group(1).established("2025-01-06", GROUP).chair("2025-01-06T10:00", "FRA", "chair.fr")
    m = s.meeting(1, wg).scheduled("2025-06-02", "WG1 meeting 6/2025", "2025-06-30T15:00").announced("2025-06-03")
    s.notification(1).recorded("2025-06-03T09:01", m, "KEN").sent("2025-06-03T09:02")
    s.notification(2).recorded("2025-06-03T09:01", m, "FRA").deferred("2025-06-03T09:02").sent("2025-07-02")
    m.held("2025-07-01T10:00")
    return s


def test_a_meeting_begun_before_the_period_it_is_held_in_finds_its_notifications(tmp_path, reporting):
    s = begun_in_june_held_in_july(reporting)
    app = project(tmp_path, s.envelopes, reporting)
    try:
        h2 = semi_annual(2025, 2)
        (announcement,) = app.report("semi-annual", h2)["meetings"]["by_group"][0]["announcements"]
        assert (announcement["delegations_told"], announcement["every_delegation_notified"]) == (2, True)
        provenance = {"as_of": None, "basis": "recorded", **app.projection.provenance()}
        assert app.report("semi-annual", h2) == build_report(reporting.records(s.envelopes), "semi-annual", h2,
                                                             provenance)
        # as of 1 July noon: held, France's notification still deferred (sent on 2 July)
        moment = reporting.at("2025-07-01T12:00")
        as_of = app.report("semi-annual", h2, as_of=moment)
        (then,) = as_of["meetings"]["by_group"][0]["announcements"]
        assert (then["delegations_told"], then["delegations_not_delivered"], then["every_delegation_notified"]) == \
            (2, ["FRA"], False)
        records, used = app.projection.fold_log(lambda e, _: datetime.fromisoformat(e["recorded_at"]) <= moment)
        assert as_of == build_report(records, "semi-annual", h2, {"as_of": moment.isoformat(), "basis": "recorded",
                                                                    **used})
        # in a zone west of UTC as well (the day index is by UTC day)
        with reporting.days_in("America/New_York"):
            assert app.report("semi-annual", h2) == build_report(
                reporting.records(s.envelopes), "semi-annual", replace(h2, zone="America/New_York"), provenance)
    finally:
        app.close()
