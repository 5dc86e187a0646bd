"""People's accounts and sessions (shared.accounts, shared.auth): passwords kept as Argon2id
hashes, lockout after repeated failures, sessions that expire and end when idle, API tokens
with an expiry date, and what an administrator's changes end. The registry is the real one,
on SQLite in a temporary folder; the clock is moved by hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

import shared.accounts as accounts_module
import shared.auth as auth_module
from shared.accounts import Accounts, Locked, SignInPolicy
from shared.auth import TokenRegistry
from shared.errors import InvalidInput, RuleBroken, Unauthenticated
from shared.store import StoreSettings

PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(auth_module, "now_utc", clock)
    monkeypatch.setattr(accounts_module, "now_utc", clock)
    return clock


@pytest.fixture
def people(tmp_path, clock) -> Accounts:
    registry = TokenRegistry(StoreSettings(data_dir=str(tmp_path)))
    policy = SignInPolicy(attempts=3, lockout=timedelta(minutes=15), lasts=timedelta(hours=8),
                          idle=timedelta(minutes=30))
    people = Accounts(registry, policy)
    people.add("m.rossi", "visit_coordinator", full_name="Maria Rossi", password=PASSWORD, committee="ctc",
               created_by="test")
    return people


def test_a_password_is_kept_only_as_an_argon2id_hash(people):
    with people.sql.transaction(commit=False) as c:
        c.execute(f"SELECT password_hash FROM {people.table} WHERE user_name = 'm.rossi'")
        kept = c.fetchone()["password_hash"]
    assert kept.startswith("$argon2id$") and PASSWORD not in kept


def test_signing_in_opens_a_session_every_service_recognizes(people):
    session = people.sign_in("m.rossi", PASSWORD)
    who = people.registry.identify(session.secret)
    assert (who.user, who.role, who.committee, who.kind) == ("m.rossi", "visit_coordinator", "ctc", "session")


def test_a_wrong_password_and_an_unknown_name_are_refused_alike(people):
    with pytest.raises(Unauthenticated) as wrong_password:
        people.sign_in("m.rossi", "not the password at all")
    with pytest.raises(Unauthenticated) as unknown_name:
        people.sign_in("nobody.here", PASSWORD)
    assert str(wrong_password.value) == str(unknown_name.value) == "the user name or the password is wrong"


def test_repeated_failures_lock_the_account_until_the_lockout_ends_or_an_administrator_unlocks(people, clock):
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            people.sign_in("m.rossi", "a wrong password")
    with pytest.raises(Locked, match="locked until 09:15 UTC"):
        people.sign_in("m.rossi", PASSWORD)  # even the right password waits
    assert people.get("m.rossi")["locked"]
    clock.advance(minutes=16)
    assert people.sign_in("m.rossi", PASSWORD).user == "m.rossi"
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            people.sign_in("m.rossi", "a wrong password")
    people.unlock("m.rossi")
    assert people.sign_in("m.rossi", PASSWORD).user == "m.rossi"


def test_a_success_starts_the_count_of_failures_again(people):
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            people.sign_in("m.rossi", "a wrong password")
    people.sign_in("m.rossi", PASSWORD)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            people.sign_in("m.rossi", "a wrong password")
    assert people.sign_in("m.rossi", PASSWORD)


def test_a_session_ends_after_its_idle_time_but_use_keeps_it_alive(people, clock):
    session = people.sign_in("m.rossi", PASSWORD)
    for _ in range(10):  # five hours of steady work
        clock.advance(minutes=29)
        people.registry.identify(session.secret)
    clock.advance(minutes=31)
    with pytest.raises(Unauthenticated, match="without use"):
        people.registry.identify(session.secret)


def test_a_session_ends_at_its_expiry_however_busy(people, clock):
    session = people.sign_in("m.rossi", PASSWORD)
    for _ in range(16):
        clock.advance(minutes=29)
        people.registry.identify(session.secret)
    clock.advance(minutes=29)  # 8 h 13 min after signing in
    with pytest.raises(Unauthenticated, match="expired"):
        people.registry.identify(session.secret)


def test_signing_out_ends_the_session(people):
    session = people.sign_in("m.rossi", PASSWORD)
    people.sign_out(session.session_id)
    with pytest.raises(Unauthenticated, match="signed out"):
        people.registry.identify(session.secret)


def test_an_api_token_expires_after_its_days(people, clock):
    _, token = people.registry.issue("script.reports", "reporting_staff", expires_in_days=30)
    clock.advance(days=29)
    assert people.registry.identify(token).kind == "api"
    clock.advance(days=2)
    with pytest.raises(Unauthenticated, match="expired on 2027-01-06"):
        people.registry.identify(token)
    with pytest.raises(InvalidInput) as bad:
        people.registry.issue("script.reports", "reporting_staff", expires_in_days=400)
    assert set(bad.value.fields) == {"expires_in_days"}


def test_what_an_administrator_changes_ends_what_it_must(people):
    session = people.sign_in("m.rossi", PASSWORD)
    _, token = people.registry.issue("m.rossi", "visit_coordinator")
    people.change("m.rossi", changed_by="admin", full_name="Maria B. Rossi")  # a name: nothing ends
    assert people.registry.identify(session.secret).user == "m.rossi"
    people.change("m.rossi", changed_by="admin", committee=None)  # what it may do: signed out
    with pytest.raises(Unauthenticated):
        people.registry.identify(session.secret)
    assert people.registry.identify(token).user == "m.rossi"  # a script's token is not a session
    session = people.sign_in("m.rossi", PASSWORD)
    people.disable("m.rossi")
    for secret in (session.secret, token):
        with pytest.raises(Unauthenticated):
            people.registry.identify(secret)
    with pytest.raises(Unauthenticated, match="disabled"):
        people.sign_in("m.rossi", PASSWORD)
    people.enable("m.rossi")
    assert people.sign_in("m.rossi", PASSWORD)


def test_a_new_password_ends_the_sessions_and_the_old_password(people):
    session = people.sign_in("m.rossi", PASSWORD)
    people.set_password("m.rossi", "a brand new passphrase")
    with pytest.raises(Unauthenticated):
        people.registry.identify(session.secret)
    with pytest.raises(Unauthenticated):
        people.sign_in("m.rossi", PASSWORD)
    assert people.sign_in("m.rossi", "a brand new passphrase")


@pytest.mark.parametrize("changes, field", [
    ({"password": "short"}, "password"),
    ({"password": "j.doe.2026.secret"}, "password"),
    ({"role": "emperor"}, "role"),
    ({"committee": "ga"}, "committee"),
    ({"email": "not an address"}, "email"),
])
def test_a_bad_account_names_its_field_and_stores_nothing(people, changes, field):
    fields = {"role": "secretariat", "password": "a long enough passphrase", **changes}
    with pytest.raises(InvalidInput) as bad:
        people.add("j.doe", fields.pop("role"), created_by="test", **fields)
    assert field in bad.value.fields
    assert [a["user_name"] for a in people.all()] == ["m.rossi"]


def test_an_account_name_is_taken_once(people):
    with pytest.raises(RuleBroken) as taken:
        people.add("m.rossi", "secretariat", password="another passphrase!", created_by="test")
    assert taken.value.rule == "user_name_taken"


def test_the_identity_provider_signs_in_the_account_with_its_verified_address_and_links_it(people):
    people.add("a.okafor", "secretariat", email="A.Okafor@un.org", created_by="test")
    claims = {"sub": "9f1c", "email": "a.okafor@un.org", "email_verified": True}
    assert people.sign_in_with_provider("https://id.un.org", claims).user == "a.okafor"
    # linked: the subject finds it again, whatever address the provider sends later
    assert people.sign_in_with_provider("https://id.un.org", {"sub": "9f1c", "email": "new@un.org"}).user == "a.okafor"
    with pytest.raises(Unauthenticated, match="has no account here"):
        people.sign_in_with_provider("https://id.un.org", {"sub": "77", "email": "x@un.org", "email_verified": True})
    with pytest.raises(Unauthenticated):  # an address the provider did not verify is not enough
        people.add("b.li", "secretariat", email="b.li@un.org", created_by="test")
        people.sign_in_with_provider("https://id.un.org", {"sub": "88", "email": "b.li@un.org", "email_verified": False})


def test_tokens_made_before_expiry_dates_existed_get_one(tmp_path, clock):
    registry = TokenRegistry(StoreSettings(data_dir=str(tmp_path)))
    _, token = registry.issue("old.script", "reporting_staff")
    with registry.sql.transaction() as c:
        c.execute(f"UPDATE {registry.table} SET expires_at = NULL")
    clock.advance(days=10)
    again = TokenRegistry(StoreSettings(data_dir=str(tmp_path)))  # a service starting after the upgrade
    (row,) = again.tokens()
    assert row["expires_at"].startswith("2027-03-17")  # 90 days from the upgrade
    assert again.identify(token).user == "old.script"
