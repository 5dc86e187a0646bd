"""The benchmark harness runs at its tiniest size so that it does not rot. Nothing here is
timed: the harness measures, the tests only check that it measured everything."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from shared.messaging.topology import PROJECT_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_benchmark_harness_runs_end_to_end_at_tiny_size(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, "-m", "bench.run", "--size", "tiny", "--json", str(out),
                             "--plot", str(tmp_path / "bench.svg")],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {row["what"]: row for row in json.loads(out.read_text())}
    for measure in ("raw pika end to end (confirms, 1 publisher, 1 consumer acking)",
                    "raw pika consume with acks (filled queue)", "raw sqlite3 read of stored rows",
                    "reporting intake (filled queue: validate, store once, project)",
                    "reporting intake, with the service's start",
                    "ingest end to end, 1 concurrent client(s)", "ingest end to end, paced at half the best rate",
                    "raw sqlite3 read of the same 2,000 stored events, each row's JSON decoded",
                    "projection rebuild, 2,000 events", "semi-annual report over 2,000 events, json",
                    "annual report over 2,000 events, pdf", "report of the whole history over 2,000 events, json",
                    "semi-annual report as of a moment (recorded) over 2,000 events, json",
                    "semi-annual report as of a moment (occurred) over 2,000 events, json"):
        assert rows[measure]["value"] > 0, measure
    assert rows["reporting intake (filled queue: validate, store once, project)"]["ratio"] is not None
    assert rows["projection rebuild, 2,000 events"]["ratio"] is not None
    assert rows["/health p99 during a rebuild, verify and whole-history report over 2,000 events"]["ratio"] > 0
    assert (tmp_path / "bench.svg").read_text().startswith("<svg")
    assert "| measure | value |" in result.stdout
