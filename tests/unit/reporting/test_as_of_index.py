"""An as-of report reads only what changed after its moment (``Projection.as_of``: each
record's first and last times, the log's blocks) and must give exactly what folding the whole
log with the same events kept gives (``Projection.fold_log``): the same records, the same
provenance, at every moment and by either basis, whether the projection was built batch by
batch or rebuilt, with blocks of every size."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from shared.contract import encode_envelope
from shared.store import StoreSettings
from reporting import projection as projection_module
from reporting.application import ReportingApplication
from reporting.intake import Incoming
from reporting.reports import annual, build_report, semi_annual

PERIODS = [("semi-annual", semi_annual(2025, 1)), ("annual", annual(2025)), ("annual", annual(2024, starts_in_month=6))]


@pytest.fixture
def app(tmp_path):
    return ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))


def feed(app, reporting, envelopes: list[dict]) -> None:
    """Every event twice, shuffled, in batches of a few, the projection catching up between."""
    delivered = list(envelopes) * 2
    random.Random(17).shuffle(delivered)
    for start in range(0, len(delivered), 7):
        app.intake.receive([Incoming(encode_envelope(e), "application/json", reporting.exchange_of(e), e["event_type"])
                            for e in delivered[start:start + 7]])
        app.projection.catch_up()


def without_provenance(report: dict) -> dict:
    """The figures: not the provenance, nor the title (an as-of report's says as of when)."""
    return {k: {**v, "title": None} if k == "report" else v for k, v in report.items() if k != "provenance"}


def moments(envelopes: list[dict]) -> list[datetime]:
    """Each moment of the scenario (recorded or happened), a microsecond before it, and before
    and after everything."""
    found = sorted({datetime.fromisoformat(e[field]) for e in envelopes for field in ("recorded_at", "occurred_at")})
    out = [found[0] - timedelta(days=1), found[-1] + timedelta(days=1)]
    for moment in found[::max(1, len(found) // 40)]:  # forty of them, evenly
        out += [moment, moment - timedelta(microseconds=1)]
    return out


def by_folding_the_whole_log(app, kind, period, moment, basis) -> dict:
    field = "recorded_at" if basis == "recorded" else "occurred_at"
    records, used = app.projection.fold_log(lambda envelope, _: datetime.fromisoformat(envelope[field]) <= moment)
    return build_report(records, kind, period, {"as_of": moment.isoformat(), "basis": basis, **used})


@pytest.mark.parametrize("block", [1, 3, 500])
@pytest.mark.parametrize("rebuilt", [False, True], ids=["batch by batch", "rebuilt"])
def test_as_of_reads_what_changed_and_equals_folding_the_whole_log(app, reporting, scenario, monkeypatch,
                                                                    block, rebuilt):
    monkeypatch.setattr(projection_module, "BLOCK", block)
    feed(app, reporting, scenario.envelopes)
    if rebuilt:
        app.projection.rebuild()
    points = moments(scenario.envelopes)
    checked = 0
    for i, moment in enumerate(points):
        for basis in ("recorded", "occurred"):
            kind, period = PERIODS[i % len(PERIODS)]
            expected = by_folding_the_whole_log(app, kind, period, moment, basis)
            got = app.report(kind, period, as_of=moment, basis=basis)
            assert got == expected, (moment, basis, kind)
            checked += 1
    assert checked == 2 * len(points) > 80


def test_a_moment_in_another_offset_keeps_the_same_events(app, reporting, scenario):
    feed(app, reporting, scenario.envelopes)
    utc = datetime(2025, 4, 1, 12, tzinfo=timezone.utc)
    new_york = utc.astimezone(timezone(timedelta(hours=-4)))
    for basis in ("recorded", "occurred"):
        a = app.report("semi-annual", PERIODS[0][1], as_of=utc, basis=basis)
        b = app.report("semi-annual", PERIODS[0][1], as_of=new_york, basis=basis)
        assert without_provenance(a) == without_provenance(b)
        assert a["provenance"]["events_hash"] == b["provenance"]["events_hash"]
        assert 0 < a["provenance"]["events"] < len(scenario.envelopes)
