"""A report reads only the records of its period (the projection's day index, built from
``reports.calendar_of``), and gives exactly the report built from every record.

Random streams of visits, meetings (announced, the delegations told of them by the
notifications service, held up to a few days after they began) and working groups, whose steps
fall anywhere from 2023 to 2026 (so that pending consents and overdue information stay open
across periods, and visits are called off, completed or left half-way), are fed to a real store in batches with the
projection catching up between them; reports of many periods are then built from the indexed
records and compared with reports built from the full record in memory, before and after a
rebuild.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contract import encode_envelope
from shared.store import StoreSettings
from reporting.application import ReportingApplication
from reporting.intake import Incoming
from reporting.reports import Period, annual, build_report, semi_annual

START = datetime(2023, 1, 1, 9, 0)
ORGANIZATIONS = (("UNODC", "un_body"), ("Interpol", "international"), ("OSCE", "regional"))
AREAS = ("border_control", "law_enforcement", "legislation")
PRIORITIES = ("high", "medium", "low")
ZONES = ("UTC", "America/New_York", "Asia/Tokyo", "Pacific/Kiritimati")


class Clock:
    """Moments moving forward by drawn gaps, as ``YYYY-MM-DDTHH:MM`` strings."""

    def __init__(self, data, start_days: int) -> None:
        self.data = data
        self.now = START + timedelta(days=start_days)

    def tick(self, most_days: int = 150) -> str:
        self.now += timedelta(days=self.data.draw(st.integers(0, most_days)),
                              minutes=self.data.draw(st.integers(1, 600)))
        return self.now.isoformat()[:16]

    def day_after(self, most_days: int = 90) -> str:
        return (self.now.date() + timedelta(days=self.data.draw(st.integers(0, most_days)))).isoformat()


def random_visit(data, stream, n: int, donors) -> None:
    clock = Clock(data, data.draw(st.integers(0, 1200)))
    origin = data.draw(st.sampled_from(["committee_selection", "state_invitation"]))
    v = stream.visit(n).proposed(clock.tick(), data.draw(st.sampled_from(["KEN", "MAR", "PHL"])),
                                 data.draw(st.sampled_from(["ctc", "1540"])), origin)
    steps = data.draw(st.integers(0, 12))

    def step(k: int) -> bool:
        return steps >= k

    def maybe_cancel() -> bool:
        if data.draw(st.integers(0, 5)) == 0:
            v.cancelled(clock.tick())
            return True
        return False

    if not step(1) or maybe_cancel():
        return
    v.approved(clock.tick())
    if not step(2):
        return
    v.consent_requested(clock.tick(), clock.day_after() if data.draw(st.booleans()) else None)
    organizations = data.draw(st.lists(st.sampled_from(ORGANIZATIONS), unique=True, max_size=2))
    for name, kind in organizations:
        v.invited(clock.tick(30), name, kind)
        if data.draw(st.booleans()):
            v.info_requested(clock.tick(30), name, clock.day_after(120))
    answer = data.draw(st.sampled_from(["granted", "declined", "none"])) if step(3) else "none"
    if answer == "declined":
        v.consent_declined(clock.tick())
        return
    if answer == "none":
        maybe_cancel()
        return
    v.consent_granted(clock.tick())
    if maybe_cancel():
        return
    if not step(4):
        return
    starts = clock.day_after(120)
    v.scheduled(clock.tick(10), starts, starts)
    if not step(5):
        return
    v.started(clock.tick())
    for name in v.due_on:
        if data.draw(st.booleans()):
            v.info_received(clock.tick(20), name)
    if not step(6):
        return
    v.completed(clock.tick(60))
    for _ in range(data.draw(st.integers(0, 2))):
        needs = data.draw(st.lists(st.tuples(st.sampled_from(AREAS), st.sampled_from(PRIORITIES)), min_size=1,
                                   max_size=3))
        v.needs(clock.tick(60), *((f"N{i}", area, priority) for i, (area, priority) in enumerate(needs)))
    if step(8) and v.assessment_version:
        decision = data.draw(st.sampled_from(["granted", "declined"]))
        if decision == "granted":
            v.sharing_granted(clock.tick())
            v.shared(clock.tick(), data.draw(st.sampled_from(donors)), "N0")
            if data.draw(st.booleans()):
                v.sharing_withdrawn(clock.tick())
        else:
            v.sharing_declined(clock.tick())
    if step(10):
        v.follow_up(clock.tick(), "followed up")
    reported = step(9) and data.draw(st.booleans())
    if reported:  # the report, the State's answers (on time, late, never), recommendations followed
        drafted, adopted, transmitted = clock.tick(60), clock.tick(60), clock.tick(60)
        v.report(drafted, adopted, transmitted, clock.day_after(60), clock.day_after(240),
                 *((f"R{i}", area) for i, area in enumerate(data.draw(st.lists(st.sampled_from(AREAS), max_size=3)))))
        for answer in ("observations", "response"):
            if data.draw(st.booleans()):
                v.state_reminded(clock.tick(90), answer)
            if data.draw(st.booleans()):
                v.state_answered(clock.tick(200), answer)
        for rid in list(v.recommendations):
            for status in data.draw(st.lists(st.sampled_from(["in_progress", "implemented", "no_longer_relevant"]),
                                             max_size=2, unique=True)):
                v.recommendation(clock.tick(200), rid, status)
    if step(12):
        v.closed(clock.tick())
        if reported and data.draw(st.booleans()):
            v.follow_up_ended(clock.tick(300))


def random_meeting(data, stream, n: int, groups) -> None:
    clock = Clock(data, data.draw(st.integers(0, 1200)))
    scheduled_at = clock.tick()
    clock.tick(60)
    starts_at = clock.now.replace(hour=15, minute=0)
    if data.draw(st.booleans()):  # on its month's last day: held, maybe, in the next month's periods
        starts_at = (starts_at.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    m = stream.meeting(n, data.draw(st.sampled_from(groups)))
    m.scheduled(scheduled_at, f"Meeting {n}", starts_at.isoformat()[:16])
    if data.draw(st.integers(0, 4)) == 0:
        m.cancelled(scheduled_at)
        return
    for k in range(data.draw(st.integers(0, 2))):
        hours_before = data.draw(st.integers(1, 200))
        moment = starts_at - timedelta(hours=hours_before)
        if moment.isoformat()[:16] > scheduled_at:
            m.document(moment.isoformat()[:16], f"D{n}-{k}")
    if data.draw(st.booleans()):  # announced, and the delegations told (services/notifications)
        announced = scheduled_at[:11] + "23:00"
        m.announced(announced)
        for k, member_state in enumerate(data.draw(st.lists(st.sampled_from(["FRA", "KEN", "GBR"]), max_size=3))):
            told = stream.notification(10 * n + k).recorded(announced[:11] + "23:30", m, member_state, contact=k)
            for outcome in data.draw(st.lists(st.sampled_from(["sent", "deferred", "failed"]), max_size=2)):
                getattr(told, outcome)((datetime.fromisoformat(announced) + timedelta(
                    days=data.draw(st.integers(0, 90)))).isoformat()[:16])
    if not data.draw(st.booleans()):
        return
    # held on the day it began or up to three days later (begun 30 June, held 1 July: in
    # another period than its notifications' days)
    held = starts_at + timedelta(days=data.draw(st.integers(0, 3)), hours=data.draw(st.integers(0, 8)))
    m.held(held.isoformat()[:16])
    clock.now = held
    outcomes = [f"O{n}-{k}" for k in range(data.draw(st.integers(0, 2)))]
    for outcome in outcomes:  # an action item due up to a year later: open past it, or done, dropped, reopened
        m.outcome(clock.tick(20), outcome, data.draw(st.sampled_from(["decision", "recommendation", "action_item"])),
                  due_on=clock.day_after(360))
    if data.draw(st.booleans()):
        m.reported(clock.tick(60))
    for outcome in outcomes:
        decision = data.draw(st.sampled_from(["approved", "rejected", "deferred", "none"]))
        if decision == "approved":
            m.approved(clock.tick(120), outcome)
            if data.draw(st.booleans()):
                m.communicated(clock.tick(30), outcome, *data.draw(st.lists(st.sampled_from(["KEN", "NGA", "PER"]),
                                                                            min_size=1, unique=True)))
        elif decision != "none":
            m.decided(clock.tick(120), outcome, decision)
        if outcome in m.statuses:
            for status in data.draw(st.lists(st.sampled_from(["done", "dropped", "open"]), max_size=2)):
                if status != m.statuses[outcome]:
                    m.action_item(clock.tick(300), outcome, status)


def random_stream(data, reporting):
    stream = reporting.Stream()
    donors = [stream.donor(1).registered("2022-06-01", "Government of Canada", "state", "border_control")]
    groups = [stream.group(g).established("2022-06-01", f"Working Group {g}").chair("2022-06-02", "FRA", "chair.fr")
              for g in (1, 2)]
    for n in range(1, data.draw(st.integers(1, 8)) + 1):
        random_visit(data, stream, n, donors)
    for n in range(1, data.draw(st.integers(0, 5)) + 1):
        random_meeting(data, stream, n, groups)
    if data.draw(st.booleans()):  # a group that never meets still has its row
        stream.group(3).established("2024-03-01", "Working Group 3")
    return stream.envelopes


def periods() -> list[tuple[str, Period]]:
    out = [("semi-annual", semi_annual(year, half)) for year in range(2022, 2029) for half in (1, 2)]
    out += [("annual", annual(year, month)) for year in range(2022, 2028) for month in (1, 6)]
    out += [("semi-annual", Period(date(year, month, 1), date(year, month, 1) + timedelta(days=days)))
            for year in range(2023, 2027) for month in (1, 3, 5, 8, 11) for days in (9, 40)]
    out += [("semi-annual", Period(date(2024, 2, 29), date(2024, 3, 15))), ("annual", Period(date(2023, 5, 5), date(2025, 1, 1)))]
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_report_from_the_day_index_equals_one_from_every_record(tmp_path_factory, reporting, data):
    envelopes = random_stream(data, reporting)
    order = data.draw(st.permutations(envelopes))
    app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path_factory.mktemp("store"))).environment("reporting"))
    size = data.draw(st.integers(1, 20))
    for start in range(0, len(order), size):  # incremental: the index kept batch by batch
        app.intake.receive([Incoming(encode_envelope(e), "application/json", reporting.exchange_of(e), e["event_type"])
                            for e in order[start:start + size]])
        app.projection.catch_up()
    full = reporting.records(envelopes)
    # the days of a time zone: the day index is by UTC day (steps fall 09:00-19:00 UTC: the
    # next day in Tokyo or Kiritimati)
    zone = data.draw(st.sampled_from(ZONES))
    for rebuilt in (False, True):
        if rebuilt:
            app.projection.rebuild()
        provenance = {"as_of": None, "basis": "recorded", **app.projection.provenance()}
        with reporting.days_in(zone):
            for kind, period in periods():
                expected = build_report(full, kind, replace(period, zone=zone), provenance)
                assert app.report(kind, period) == expected, (kind, period, zone, rebuilt)


@pytest.mark.parametrize("kind, period", [("semi-annual", semi_annual(2025, 1)), ("annual", annual(2025)),
                                          ("annual", annual(2024, 6))])
def test_the_day_index_leaves_out_what_the_report_does_not_use(tmp_path, reporting, scenario, kind, period):
    app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
    app.intake.receive([Incoming(encode_envelope(e), "application/json", reporting.exchange_of(e), e["event_type"])
                        for e in scenario.envelopes])
    app.projection.catch_up()
    periods = (period, period.previous_year()) if kind == "annual" else (period,)
    used = app.projection.records_for(*periods)
    everything = app.projection.records()
    # every group and every donor (who was interested in what), and only the visits and
    # meetings with something in the periods
    assert {r["kind"] for r in used.values()} <= {"visit", "meeting", "working_group", "donor"}
    assert {a for a, r in everything.items() if r["kind"] in ("donor", "working_group")} <= set(used)
    if period != annual(2025):  # 2025 with 2024 before it holds every event of the scenario
        assert len(used) < len(everything)
    assert build_report(used, kind, period, {}) == build_report(everything, kind, period, {})
