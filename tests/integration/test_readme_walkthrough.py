"""The README, followed as a new user follows it: the system started (`fieldwork up`, as
`deploy/local/start.sh` ends), then every command block from "Try it: the demo" to "Build the
reports" run as written, one after the other in one bash session (variables carry from one
block to the next), from the directory the system was started in. Each command must succeed,
no value is left to guess, and the reports the README builds hold what it just did."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from datetime import datetime, timezone

import pytest
import requests

from fieldwork_testing import free_port, until_all_up
from shared.messaging.topology import PROJECT_ROOT

pytestmark = pytest.mark.integration

# The sections run, in the README's order; those before them set the system up (which the
# test does itself, on ports of its own) or show an administrator's token commands.
WALKTHROUGH = ("Try it: the demo", "Drive a visit from proposal to closure", "Run a working-group meeting",
               "Tell the right people: the directory and notifications", "Build the reports")


def readme_blocks() -> dict[str, list[str]]:
    """Each section's ```bash blocks, by the section's title."""
    sections: dict[str, list[str]] = {}
    for part in re.split(r"^## ", (PROJECT_ROOT / "README.md").read_text(), flags=re.M)[1:]:
        title, _, body = part.partition("\n")
        sections[title.strip()] = re.findall(r"^```bash\n(.*?)^```", body, flags=re.M | re.S)
    return sections


def test_the_walkthrough_sections_have_commands_and_nothing_to_guess():
    sections = readme_blocks()
    for title in WALKTHROUGH:
        assert sections.get(title), f"the README has no commands under '## {title}'"
        for block in sections[title]:
            assert not re.search(r"<[A-Z_]+>", block), f"a value to guess in '## {title}': {block}"


def _report(url: str, token: str, **params) -> dict:
    answer = requests.get(f"{url}/reports", params={**params, "format": "json"}, timeout=120,
                          headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_readme_works_as_written_after_the_demo(broker, tmp_path):
    sections = readme_blocks()
    script = "\n\n".join(block for title in WALKTHROUGH for block in sections[title])
    ports = {name: free_port() for name in ("visits", "meetings", "reporting", "notifications", "console")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    env = {
        **os.environ, "AMQP_URI": broker.uri, "FIELDWORK_DATA_DIR": str(tmp_path / "data"),
        **{f"{name.upper()}_HTTP_ADDRESS": f"127.0.0.1:{port}" for name, port in ports.items()},
        **{f"FIELDWORK_{name.upper()}_URL": url for name, url in urls.items() if name != "console"},
    }
    for name in ("FIELDWORK_TOKEN", "FIELDWORK_ROLE", "VIRTUAL_ENV"):
        env.pop(name, None)
    (tmp_path / ".venv").symlink_to(PROJECT_ROOT / ".venv")  # `.venv/bin/fieldwork`, as in a clone
    up = subprocess.Popen([sys.executable, "-m", "shared.cli.main", "up"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path, start_new_session=True)
    try:
        until_all_up(up)
        # Every command must succeed (-e, -o pipefail); a background job (`events watch &`) ends with
        # the script; the variables the README set are printed at the end for the checks below.
        wrapped = ("set -eo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + script
                   + '\necho "README-VARIABLES V=$V M=$M NEXT=$NEXT G=$G Y=$Y H=$H"\n')
        (tmp_path / "readme.sh").write_text(wrapped)
        ran = subprocess.run(["bash", "readme.sh"], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=1200)
        assert ran.returncode == 0, f"stdout:\n{ran.stdout[-6000:]}\nstderr:\n{ran.stderr[-6000:]}"
        names = dict(pair.split("=", 1) for pair in ran.stdout.split("README-VARIABLES ")[1].split())
        out = ran.stdout

        # the CLI's short answers, not JSON; the schedule shows the meeting to come, not the one held
        assert f"close: visit {names['V']} (Kenya, ctc)" in out
        assert re.search(rf"^{names['NEXT']}\s.*Follow-up review", out, flags=re.M)  # a row of the schedule
        assert not re.search(r"^\s*[{}]", out, flags=re.M)  # no JSON

        # the reports it built, this half year's, hold what it did
        tokens = json.loads((tmp_path / "data" / "dev-tokens.json").read_text())
        year, half = int(names["Y"]), int(names["H"])
        assert (year, half) == (datetime.now(timezone.utc).year, 1 if datetime.now(timezone.utc).month <= 6 else 2)
        ctc = _report(urls["reporting"], tokens["reporting_staff"], kind="semi-annual", committee="ctc",
                      year=year, half=half)
        assert "KEN" in {v["member_state"] for v in ctc["visits"]["conducted"]}
        un1540 = _report(urls["reporting"], tokens["reporting_staff"], kind="semi-annual", committee="1540",
                         year=year, half=half)
        walkthrough = [g for g in un1540["meetings"]["by_group"] if g["group"].startswith("Walk-through group")]
        assert walkthrough and walkthrough[0]["meetings_held"] == 1
        written = sorted(p.name for p in (tmp_path / "reports").iterdir())
        assert any(n.startswith("ctc-semi-annual-report") and n.endswith(".pdf") for n in written), written
        assert any(n.startswith("1540-semi-annual-report") and n.endswith(".md") for n in written), written
        md = next((tmp_path / "reports").glob("1540-semi-annual-report-*.md")).read_text()
        assert "Walk-through group" in md
        assert list((tmp_path / "data" / "mail").glob("*.eml"))
    finally:
        os.killpg(up.pid, signal.SIGINT)
        up.communicate(timeout=60)
