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
    result = subprocess.run([sys.executable, "-m", "bench.run", "--size", "tiny", "--json", str(out)],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {row["what"]: row for row in json.loads(out.read_text())}
    for measure in ("raw pika end to end (confirms, 1 publisher, 1 consumer acking)",
                    "raw pika consume with acks (filled queue)", "raw sqlite3 read of stored rows",
                    "reporting intake (filled queue: validate, store once, project)",
                    "ingest end to end, 1 concurrent client(s)", "projection rebuild, 2,000 events",
                    "semi-annual report over 2,000 events, json", "annual report over 2,000 events, pdf"):
        assert rows[measure]["value"] > 0, measure
    assert rows["reporting intake (filled queue: validate, store once, project)"]["ratio"] is not None
    assert "| measure | value |" in result.stdout
