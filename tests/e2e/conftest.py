"""The web console end to end: the system started the README's way (`fieldwork up`, the five
services as supervised processes, on free ports, in a broker vhost and a data folder of its
own), and headless Chromium (Debian's) driven by Playwright.

Screenshots of each page are kept under ``$FIELDWORK_TEST_ARTIFACTS`` (default: a new temporary
folder, printed at the end of the run)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from fieldwork_testing import IsolatedBroker, free_port, until_all_up
from shared.messaging.topology import PROJECT_ROOT

CHROMIUM = os.environ.get("FIELDWORK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SERVICES = ("visits", "meetings", "reporting", "notifications", "console")
_ARTIFACTS: list[Path] = []


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.e2e)


def pytest_terminal_summary(terminalreporter):
    if _ARTIFACTS:
        terminalreporter.write_line(f"web console screenshots and downloads: {_ARTIFACTS[0]}")


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(os.environ.get("FIELDWORK_TEST_ARTIFACTS") or tempfile.mkdtemp(prefix="fieldwork-e2e-"))
    path.mkdir(parents=True, exist_ok=True)
    _ARTIFACTS.append(path)
    print(f"web console artifacts: {path}")
    return path


@dataclass
class RunningSystem:
    urls: dict[str, str]
    env: dict[str, str]
    data_dir: Path
    process: subprocess.Popen
    output: list[str] = field(default_factory=list)
    _tokens: dict = field(default_factory=dict)
    _accounts: dict = field(default_factory=dict)

    @property
    def console(self) -> str:
        return self.urls["console"]

    def dev_token(self, role: str) -> str:
        """The development token `fieldwork up` wrote for ``role``."""
        return json.loads((self.data_dir / "dev-tokens.json").read_text())[role]

    def password_of(self, token: str) -> tuple[str, str]:
        """The user name and password of the person ``token`` stands for: an account with the
        same role and limits, made the first time with `fieldwork admin add-user` (the
        development accounts `fieldwork up` made stand for its development tokens)."""
        dev = json.loads((self.data_dir / "dev-tokens.json").read_text())
        role = next((r for r, t in dev.items() if t == token), None)
        if role is not None:
            user = f"dev.{role}"
            return user, json.loads((self.data_dir / "dev-accounts.json").read_text())[user]
        (user, role, options), = [key for key, issued in self._tokens.items() if issued == token]
        if (user, role, options) not in self._accounts:
            secret = self.data_dir / f"password-{len(self._accounts)}"
            secret.write_text(f"test passphrase number {len(self._accounts)}")  # 12 characters or more
            args = [sys.executable, "-m", "shared.cli.main", "admin", "add-user", "--user", user, "--role", role,
                    "--password-file", str(secret)]
            for name, value in options:
                args += [f"--{name.replace('_', '-')}", value]
            done = subprocess.run(args, capture_output=True, text=True, env=self.env, cwd=self.data_dir.parent, timeout=60)
            assert done.returncode == 0, done.stdout + done.stderr
            self._accounts[(user, role, options)] = secret.read_text()
        return user, self._accounts[(user, role, options)]

    def token(self, user: str, role: str, **kwargs) -> str:
        """A token issued the way an administrator does (`fieldwork admin issue-token`)."""
        key = (user, role, tuple(sorted(kwargs.items())))
        if key not in self._tokens:
            args = [sys.executable, "-m", "shared.cli.main", "admin", "issue-token", "--user", user, "--role", role]
            for name, value in kwargs.items():
                args += [f"--{name.replace('_', '-')}", value]
            done = subprocess.run(args, capture_output=True, text=True, env=self.env, cwd=self.data_dir.parent, timeout=60)
            assert done.returncode == 0, done.stdout + done.stderr
            self._tokens[key] = done.stdout.strip()
        return self._tokens[key]

    def call(self, service: str, method: str, path: str, token: str, body: dict | None = None) -> dict:
        answer = requests.request(method, f"{self.urls[service]}{path}", json=body, timeout=30,
                                  headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code < 300, answer.text
        return answer.json()

    def alive(self) -> bool:
        return self.process.poll() is None


@pytest.fixture(scope="session")
def system(tmp_path_factory):
    """`fieldwork up`, as the README runs it, until the session ends."""
    root = tmp_path_factory.mktemp("system")
    with IsolatedBroker() as broker:
        ports = {name: free_port() for name in SERVICES}
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        env = {
            **os.environ, "AMQP_URI": broker.uri, "FIELDWORK_DATA_DIR": str(root / "data"),
            "CONSOLE_POLL_SECONDS": "2",
            **{f"{name.upper()}_HTTP_ADDRESS": f"127.0.0.1:{port}" for name, port in ports.items()},
            **{f"FIELDWORK_{name.upper()}_URL": url for name, url in urls.items() if name != "console"},
        }
        up = subprocess.Popen([sys.executable, "-m", "shared.cli.main", "up"], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env, cwd=root)
        running = RunningSystem(urls=urls, env=env, data_dir=root / "data", process=up)
        _SYSTEMS[urls["console"]] = running
        try:
            until_all_up(up, running.output)
            assert any(urls["console"] in line for line in running.output), running.output
            yield running
        finally:
            up.send_signal(signal.SIGINT)
            try:
                up.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                up.kill()
                up.communicate()


def _chromium_problem() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (Debian: apt-get install chromium; deploy/local/test.sh installs it where it may)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is missing (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="session")
def browser():
    problem = _chromium_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"the web console tests must run in CI: {problem}")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class Screens:
    """Saves a full-page screenshot per step: <artifacts>/<test>/<nn>-<name>.png."""

    def __init__(self, page, folder: Path) -> None:
        self.page, self.folder, self.count = page, folder, 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    def __call__(self, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, system, artifacts, request):
    context = browser.new_context(accept_downloads=True, viewport={"width": 1360, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" and "status of 4" not in message.text else None)
    # Nothing may be fetched from anywhere but the console itself.
    page.on("request", lambda req: problems.append(f"request off the console: {req.url}")
            if not req.url.startswith((system.console, "data:", "blob:", "about:")) else None)
    page.screens = Screens(page, artifacts / request.node.name)
    page.problems = problems
    try:
        yield page
    finally:
        try:
            page.screens("end")
        except Exception:  # noqa: BLE001 - a screenshot is a courtesy; the test's own failure matters
            pass
        context.close()
    assert not problems, problems


_SYSTEMS: dict[str, RunningSystem] = {}


def sign_in(page, console: str, token: str) -> None:
    """Sign in on the console's sign-in page, with a user name and password, as the person
    ``token`` stands for (``RunningSystem.password_of``): the browser and the test's API calls
    act as the same person."""
    user, password = _SYSTEMS[console].password_of(token)
    page.goto(console + "/")
    page.fill("#user", user)
    page.fill("#password", password)
    page.click("#signin button[type=submit]")
    page.wait_for_selector("[data-testid=whoami]")


def fill_step(page, command: str, fields: dict | None = None, selects: dict | None = None) -> None:
    """Click the step's button (under "Other steps" if it is not offered first), fill its form
    in the dialog and send it."""
    button = page.locator(f"button[data-command='{command}']").first
    if not button.is_visible():
        page.click("details summary")
    button.click()
    page.wait_for_selector("dialog[open] form")
    for name, value in (selects or {}).items():
        page.select_option(f"dialog #f-{name}", value)
    for name, value in (fields or {}).items():
        page.fill(f"dialog #f-{name}", value)
    if hasattr(page, "screens"):
        page.screens(f"{command} form")
    page.click("dialog button[type=submit]")


def refused(page, command: str, fields: dict, selects: dict | None = None, shot: Path | None = None) -> str:
    """Send a step the rules forbid: the refusal shown in the dialog, which is then closed."""
    fill_step(page, command, fields, selects)
    text = page.wait_for_selector("dialog [data-testid=form-error]:not([hidden])").inner_text()
    if shot:
        page.screenshot(path=str(shot), full_page=True)
    elif hasattr(page, "screens"):
        page.screens(f"{command} refused")
    page.click("dialog >> text=Cancel")
    return text
