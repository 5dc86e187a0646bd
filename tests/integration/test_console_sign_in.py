"""Signing in to the console, over real HTTP, as a browser and an administrator would: the
console and the visits service as processes (``nameko run``), a broker vhost of their own, the
CLI making the accounts, and a real OpenID Connect provider (oidc-provider-mock, started here as
its own server) for the organization's single sign-on."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from fieldwork_testing import IsolatedBroker, ServiceProcess, free_port
from shared.messaging.topology import PROJECT_ROOT

PASSWORDS = {"m.rossi": "a long coordinator passphrase", "root.admin": "the administrator's passphrase"}
CLIENT_ID, CLIENT_SECRET = "fieldwork-console", "console-secret-for-tests"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    """An OpenID Connect provider of the tests' own, on a free port."""
    port = free_port()
    log = tmp_path_factory.mktemp("oidc") / "provider.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "oidc_provider_mock", "--port", str(port),
                                    "--require-nonce", "true"], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/.well-known/openid-configuration", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline and process.poll() is None, log.read_text()
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module")
def system(tmp_path_factory, provider):
    data = tmp_path_factory.mktemp("data")
    with IsolatedBroker() as broker:
        visits = ServiceProcess("visits", broker.uri, data).start()
        console = ServiceProcess("console", broker.uri, data, extra_env={
            "FIELDWORK_VISITS_URL": visits.url, "FIELDWORK_SIGNIN_ATTEMPTS": "3",
            "OIDC_ISSUER": provider, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_PROVIDER_NAME": "UN account"})
        console.start()
        for user, role in (("m.rossi", "visit_coordinator"), ("root.admin", "administrator")):
            secret = data / f"{user}.password"
            secret.write_text(PASSWORDS[user])
            fieldwork("admin", "add-user", "--user", user, "--role", role, "--password-file", str(secret), env=console.env)
        fieldwork("admin", "add-user", "--user", "a.okafor", "--role", "secretariat", "--email", "a.okafor@un.org",
                  env=console.env)
        try:
            yield visits, console
        finally:
            console.stop()
            visits.stop()


def fieldwork(*args: str, env: dict) -> str:
    done = subprocess.run([sys.executable, "-m", "shared.cli.main", *args], capture_output=True, text=True,
                          env=env, cwd=PROJECT_ROOT, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def signed_in(console: ServiceProcess, user: str, password: str | None = None) -> tuple[requests.Session, dict]:
    browser = requests.Session()
    answer = browser.post(f"{console.url}/auth/sign-in", json={"user": user, "password": password or PASSWORDS[user]},
                          timeout=30)
    assert answer.status_code == 200, answer.text
    return browser, answer.json()


def test_a_password_opens_a_session_held_in_a_cookie_no_script_can_read(system):
    visits, console = system
    answer = requests.post(f"{console.url}/auth/sign-in", json={"user": "m.rossi", "password": PASSWORDS["m.rossi"]},
                           timeout=30)
    assert answer.status_code == 200, answer.text
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("fieldwork_session=fs_") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    session = answer.json()
    assert (session["user"], session["role"], session["kind"]) == ("m.rossi", "visit_coordinator", "session")
    assert session["csrf_token"] and "fs_" not in answer.text  # the secret is in the cookie only
    who = requests.get(f"{console.url}/api/visits/whoami", cookies=answer.cookies, timeout=10)
    assert who.status_code == 200 and who.json()["user"] == "m.rossi"


def test_a_wrong_password_is_refused_and_opens_nothing(system):
    _, console = system
    answer = requests.post(f"{console.url}/auth/sign-in", json={"user": "m.rossi", "password": "guess"}, timeout=30)
    assert answer.status_code == 401 and "Set-Cookie" not in answer.headers
    assert answer.json()["message"] == "the user name or the password is wrong"


def test_a_change_through_the_session_needs_the_csrf_token_and_the_console_s_own_origin(system):
    visits, console = system
    browser, session = signed_in(console, "m.rossi")
    before = len(browser.get(f"{console.url}/api/visits/visits", timeout=10).json())
    body = {"member_state": "KEN", "committee": "ctc"}
    forged = browser.post(f"{console.url}/api/visits/visits", json=body, timeout=10)
    assert forged.status_code == 403 and forged.json()["rule"] == "csrf_token_required"
    elsewhere = browser.post(f"{console.url}/api/visits/visits", json=body, timeout=10,
                             headers={"X-CSRF-Token": session["csrf_token"], "Origin": "https://evil.example"})
    assert elsewhere.status_code == 403 and elsewhere.json()["rule"] == "same_origin_only"
    assert len(browser.get(f"{console.url}/api/visits/visits", timeout=10).json()) == before  # nothing stored
    done = browser.post(f"{console.url}/api/visits/visits", json=body, timeout=10,
                        headers={"X-CSRF-Token": session["csrf_token"], "Origin": console.url})
    assert done.status_code == 201, done.text
    assert len(browser.get(f"{console.url}/api/visits/visits", timeout=10).json()) == before + 1


def test_signing_out_ends_the_session_for_every_service(system):
    visits, console = system
    browser, session = signed_in(console, "m.rossi")
    secret = browser.cookies["fieldwork_session"]
    out = browser.post(f"{console.url}/auth/sign-out", headers={"X-CSRF-Token": session["csrf_token"]}, timeout=10)
    assert out.status_code == 200 and "Max-Age=0" in out.headers["Set-Cookie"]
    # the old cookie, replayed, is refused by the console and by the service itself
    refused = requests.get(f"{console.url}/api/visits/whoami", cookies={"fieldwork_session": secret}, timeout=10)
    assert refused.status_code == 401 and "signed out" in refused.json()["message"]
    direct = requests.get(f"{visits.url}/whoami", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
    assert direct.status_code == 401


def test_repeated_wrong_passwords_lock_the_account_until_an_administrator_unlocks_it(system):
    _, console = system
    for _ in range(3):
        assert requests.post(f"{console.url}/auth/sign-in", json={"user": "m.rossi", "password": "wrong!"},
                             timeout=30).status_code == 401
    locked = requests.post(f"{console.url}/auth/sign-in", json={"user": "m.rossi", "password": PASSWORDS["m.rossi"]},
                           timeout=30)
    assert locked.status_code == 401 and locked.json()["error"] == "account_locked", locked.text
    admin, session = signed_in(console, "root.admin")
    unlocked = admin.post(f"{console.url}/auth/users/m.rossi/unlock", json={}, timeout=10,
                          headers={"X-CSRF-Token": session["csrf_token"]})
    assert unlocked.status_code == 200 and not unlocked.json()["locked"]
    signed_in(console, "m.rossi")


def test_administrators_manage_accounts_and_tokens_and_nobody_else_may(system):
    visits, console = system
    coordinator, coordinator_session = signed_in(console, "m.rossi")
    denied = coordinator.post(f"{console.url}/auth/users", json={"user": "x", "role": "administrator", "password": "x" * 20},
                              headers={"X-CSRF-Token": coordinator_session["csrf_token"]}, timeout=10)
    assert denied.status_code == 403
    admin, session = signed_in(console, "root.admin")
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    bad = admin.post(f"{console.url}/auth/users", json={"user": "j.doe", "role": "secretariat", "password": "short"},
                     headers=csrf, timeout=10)
    assert bad.status_code == 400 and list(bad.json()["fields"]) == ["password"]
    added = admin.post(f"{console.url}/auth/users", headers=csrf, timeout=10, json={
        "user": "j.doe", "role": "secretariat", "full_name": "Jane Doe", "password": "jane's first passphrase"})
    assert added.status_code == 201, added.text
    jane, _ = signed_in(console, "j.doe", "jane's first passphrase")
    issued = admin.post(f"{console.url}/auth/tokens", headers=csrf, timeout=10,
                        json={"user": "report.script", "role": "reporting_staff", "expires_in_days": 7}).json()
    assert requests.get(f"{visits.url}/whoami", headers={"Authorization": f"Bearer {issued['token']}"},
                        timeout=10).json()["user"] == "report.script"
    listed = admin.get(f"{console.url}/auth/tokens", timeout=10).json()["tokens"]
    (row,) = [t for t in listed if t["token_id"] == issued["token_id"]]
    assert row["kind"] == "api" and row["status"] == "active" and "token" not in row
    # disabling an account ends its session at once
    assert admin.post(f"{console.url}/auth/users/j.doe/disable", json={}, headers=csrf, timeout=10).status_code == 200
    assert jane.get(f"{console.url}/api/visits/whoami", timeout=10).status_code == 401
    mine = admin.post(f"{console.url}/auth/users/root.admin/disable", json={}, headers=csrf, timeout=10)
    assert mine.status_code == 403 and mine.json()["rule"] == "no_disabling_oneself"


def test_the_identity_provider_signs_in_a_person_with_an_account(system, provider):
    _, console = system
    assert requests.put(f"{provider}/users/okafor-sub", json={"email": "a.okafor@un.org", "email_verified": True,
                                                              "name": "A. Okafor"}, timeout=10).status_code == 204
    browser = requests.Session()
    assert browser.get(f"{console.url}/config.json", timeout=10).json()["identity_provider"] == "UN account"
    start = browser.get(f"{console.url}/auth/oidc/start", allow_redirects=False, timeout=10)
    assert start.status_code == 302 and start.headers["Location"].startswith(provider)
    asked = parse_qs(urlsplit(start.headers["Location"]).query)
    assert asked["code_challenge_method"] == ["S256"] and asked["nonce"] and asked["state"]
    # the person authorizes at the provider, which sends the browser back with a code
    back = requests.post(start.headers["Location"], data={"sub": "okafor-sub"}, allow_redirects=False, timeout=10)
    assert back.status_code in (302, 303), back.text
    assert back.headers["Location"].startswith(f"{console.url}/auth/oidc/callback")
    done = browser.get(back.headers["Location"], allow_redirects=False, timeout=30)
    assert done.status_code == 303 and done.headers["Location"] == "/#/", done.headers
    session = browser.get(f"{console.url}/auth/session", timeout=10).json()
    assert (session["user"], session["role"]) == ("a.okafor", "secretariat")
    # the same answer a second time (a replayed code and state) opens nothing
    again = requests.get(back.headers["Location"], allow_redirects=False, timeout=10,
                         cookies={"fieldwork_signin": "a stolen value"})
    assert "signin?problem=" in again.headers["Location"] and "Set-Cookie" not in again.headers


def test_the_identity_provider_cannot_sign_in_someone_without_an_account(system, provider):
    _, console = system
    requests.put(f"{provider}/users/stranger", json={"email": "stranger@example.org", "email_verified": True}, timeout=10)
    browser = requests.Session()
    start = browser.get(f"{console.url}/auth/oidc/start", allow_redirects=False, timeout=10)
    back = requests.post(start.headers["Location"], data={"sub": "stranger"}, allow_redirects=False, timeout=10)
    done = browser.get(back.headers["Location"], allow_redirects=False, timeout=30)
    assert done.status_code == 303 and "has+no+account+here" in done.headers["Location"]
    assert browser.get(f"{console.url}/auth/session", timeout=10).status_code == 401


def test_a_session_left_unused_ends_and_one_in_use_goes_on(system):
    """A console whose sessions end after 3 s without a request (FIELDWORK_SESSION_IDLE_MINUTES)."""
    visits, console = system
    hasty = ServiceProcess("console", console.env["AMQP_URI"], Path(console.env["FIELDWORK_DATA_DIR"]), extra_env={
        "FIELDWORK_VISITS_URL": visits.url, "FIELDWORK_SESSION_IDLE_MINUTES": "0.05"}).start()
    try:
        busy, _ = signed_in(hasty, "m.rossi")
        idle, _ = signed_in(hasty, "m.rossi")
        for _ in range(5):  # 5 s of requests a second apart: busy stays signed in
            time.sleep(1)
            assert busy.get(f"{hasty.url}/api/visits/whoami", timeout=10).status_code == 200
        ended = idle.get(f"{hasty.url}/api/visits/whoami", timeout=10)
        assert ended.status_code == 401 and "without use" in ended.json()["message"]
        assert idle.get(f"{hasty.url}/auth/session", timeout=10).status_code == 401
    finally:
        hasty.stop()
