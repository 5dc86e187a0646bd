"""People who sign in to the console: user accounts, their passwords, their link to the
organization's identity provider, and the sessions they open.

An account says who a person is in the system: a user name, a role, and what the role is
limited to (a Committee, a chair's working groups, a donor), exactly what an API token says
(``shared.auth``). A person proves it with

- a password, kept only as an Argon2id hash (argon2-cffi's defaults, RFC 9106), or
- the organization's identity provider (OpenID Connect, ``console.signin``): the account
  names the e-mail address the provider vouches for, and is linked to the provider's subject
  the first time.

Repeated failures lock the account (``SignInPolicy``): ``attempts`` wrong passwords in a row
lock it for ``lockout``, then it counts again; an administrator may unlock it sooner. Signing in
opens a session (a token of kind ``session`` in the same registry, so every service checks it):
it ends after ``lasts``, after ``idle`` without a request, or at sign-out. Disabling an account,
setting its password or changing its role ends its sessions and, when disabled, its API tokens.

Accounts live beside the tokens, in the auth store every service opens (``auth.sqlite`` in the
data folder, or the ``auth`` schema in PostgreSQL).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shared.auth import TokenRegistry, identity_problems, now_utc
from shared.errors import InvalidInput, NotFound, RuleBroken, Unauthenticated

MIN_PASSWORD = 12
MAX_PASSWORD = 200
_HASHER = PasswordHasher()
# Verified when the user name is unknown, so that a wrong name takes as long as a wrong password.
_NOBODY = _HASHER.hash("the password of nobody at all")


class Locked(Unauthenticated):
    """Too many failed sign-ins in a row: the account waits (HTTP 401, ``account_locked``)."""

    code = "account_locked"


@dataclass(frozen=True)
class SignInPolicy:
    attempts: int = 5  # wrong passwords in a row before the account locks
    lockout: timedelta = timedelta(minutes=15)
    lasts: timedelta = timedelta(hours=8)  # a session's whole life
    idle: timedelta = timedelta(minutes=30)  # a session ends after this long without a request

    @classmethod
    def from_environ(cls, environ: dict | None = None) -> SignInPolicy:
        """``FIELDWORK_SIGNIN_ATTEMPTS``, ``FIELDWORK_LOCKOUT_MINUTES``, ``FIELDWORK_SESSION_HOURS``,
        ``FIELDWORK_SESSION_IDLE_MINUTES`` (fractions allowed), else the defaults above."""
        env = os.environ if environ is None else environ

        def number(name: str, default: float) -> float:
            text = str(env.get(name, "") or "").strip()
            if not text:
                return default
            value = float(text)
            if value <= 0:
                raise ValueError(f"{name} must be above 0, not {text}")
            return value

        return cls(attempts=int(number("FIELDWORK_SIGNIN_ATTEMPTS", cls.attempts)),
                   lockout=timedelta(minutes=number("FIELDWORK_LOCKOUT_MINUTES", cls.lockout.total_seconds() / 60)),
                   lasts=timedelta(hours=number("FIELDWORK_SESSION_HOURS", cls.lasts.total_seconds() / 3600)),
                   idle=timedelta(minutes=number("FIELDWORK_SESSION_IDLE_MINUTES", cls.idle.total_seconds() / 60)))


@dataclass(frozen=True)
class Session:
    """A session just opened: its id, its secret (for the cookie only) and when it ends."""

    session_id: str
    secret: str
    user: str
    expires_at: datetime


def password_problems(user: str, password: str | None) -> list[str]:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        return [f"a password of {MIN_PASSWORD} to {MAX_PASSWORD} characters"]
    if user and user.lower() in password.lower():
        return ["a password that does not contain the user name"]
    return []


class Accounts:
    """The user accounts, in the auth store beside ``registry``'s tokens."""

    COLUMNS = ("user_name", "full_name", "email", "role", "committee", "groups", "donor_id", "oidc_subject",
               "failed_attempts", "locked_until", "created_at", "created_by", "password_set_at", "disabled_at",
               "last_signed_in_at")

    def __init__(self, registry: TokenRegistry, policy: SignInPolicy | None = None) -> None:
        self.registry = registry
        self.policy = policy or SignInPolicy()
        self.sql = registry.sql
        self.table = self.sql.table("user_accounts")
        with self.sql.transaction() as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} (user_name TEXT PRIMARY KEY, full_name TEXT NOT NULL, "
                "email TEXT, role TEXT NOT NULL, committee TEXT, groups TEXT NOT NULL, donor_id TEXT, "
                "password_hash TEXT, oidc_subject TEXT UNIQUE, failed_attempts INTEGER NOT NULL DEFAULT 0, "
                "locked_until TEXT, created_at TEXT NOT NULL, created_by TEXT NOT NULL, password_set_at TEXT, "
                "disabled_at TEXT, last_signed_in_at TEXT)"
            )

    # -- the administrator's side ------------------------------------------------------------

    def add(self, user: str, role: str, *, full_name: str = "", email: str | None = None,
            password: str | None = None, committee: str | None = None, groups: list[str] | None = None,
            donor_id: str | None = None, created_by: str) -> dict:
        """A new account. Without a password it can only sign in through the identity provider
        (by ``email``) until a password is set."""
        user = (user or "").strip()
        problems = identity_problems(user, role, donor_id, committee)
        problems.update(self._detail_problems(full_name, email))
        if password is not None:
            if found := password_problems(user, password):
                problems["password"] = found
        elif not email:
            problems["password"] = ["a password, or an e-mail address to sign in with through the identity provider"]
        if problems:
            raise InvalidInput(problems)
        p = self.sql.param
        now = now_utc().isoformat()
        with self.sql.transaction() as c:
            c.execute(f"SELECT 1 FROM {self.table} WHERE user_name = {p}", (user,))
            if c.fetchone():
                raise RuleBroken("user_name_taken", f"there is already an account named {user}")
            c.execute(
                f"INSERT INTO {self.table} (user_name, full_name, email, role, committee, groups, donor_id, "
                f"password_hash, failed_attempts, created_at, created_by, password_set_at) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, 0, {p}, {p}, {p})",
                (user, full_name.strip() or user, (email or "").strip().lower() or None, role, committee,
                 json.dumps(sorted(groups or [])), donor_id,
                 _HASHER.hash(password) if password else None, now, created_by, now if password else None),
            )
        return self.get(user)

    def change(self, user: str, *, changed_by: str, **fields) -> dict:
        """Change an account's role, Committee, groups, donor, full name or e-mail address. A
        change of what it may do ends its sessions (the next request signs in again)."""
        known = {"role", "committee", "groups", "donor_id", "full_name", "email"}
        if unknown := set(fields) - known:
            raise InvalidInput({name: ["not something an account has"] for name in unknown})
        current = self.get(user)
        merged = {**current, **fields}
        problems = identity_problems(user, merged["role"], merged["donor_id"], merged["committee"])
        problems.update(self._detail_problems(merged["full_name"], merged["email"]))
        if problems:
            raise InvalidInput(problems)
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"UPDATE {self.table} SET role = {p}, committee = {p}, groups = {p}, donor_id = {p}, "
                      f"full_name = {p}, email = {p} WHERE user_name = {p}",
                      (merged["role"], merged["committee"], json.dumps(sorted(merged["groups"] or [])),
                       merged["donor_id"], merged["full_name"], (merged["email"] or "").lower() or None, user))
        if any(merged[k] != current[k] for k in ("role", "committee", "groups", "donor_id")):
            self.registry.revoke_all_of(user, kind="session")
        return self.get(user)

    def set_password(self, user: str, password: str) -> dict:
        """A new password (the administrator's reset, or the person's own change); unlocks the
        account and ends its sessions."""
        self.get(user)
        if found := password_problems(user, password):
            raise InvalidInput({"password": found})
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"UPDATE {self.table} SET password_hash = {p}, password_set_at = {p}, failed_attempts = 0, "
                      f"locked_until = NULL WHERE user_name = {p}", (_HASHER.hash(password), now_utc().isoformat(), user))
        self.registry.revoke_all_of(user, kind="session")
        return self.get(user)

    def unlock(self, user: str) -> dict:
        self.get(user)
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"UPDATE {self.table} SET failed_attempts = 0, locked_until = NULL WHERE user_name = {p}", (user,))
        return self.get(user)

    def disable(self, user: str) -> dict:
        """The person may no longer sign in; their sessions and API tokens end now."""
        if self.get(user)["disabled_at"]:
            raise RuleBroken("account_disabled_once", f"the account {user} is already disabled")
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"UPDATE {self.table} SET disabled_at = {p} WHERE user_name = {p}", (now_utc().isoformat(), user))
        self.registry.revoke_all_of(user)
        return self.get(user)

    def enable(self, user: str) -> dict:
        if not self.get(user)["disabled_at"]:
            raise RuleBroken("account_enabled_once", f"the account {user} is not disabled")
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"UPDATE {self.table} SET disabled_at = NULL, failed_attempts = 0, locked_until = NULL "
                      f"WHERE user_name = {p}", (user,))
        return self.get(user)

    def get(self, user: str) -> dict:
        p = self.sql.param
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT {', '.join(self.COLUMNS)}, password_hash IS NOT NULL AS has_password "
                      f"FROM {self.table} WHERE user_name = {p}", (user,))
            row = c.fetchone()
        if row is None:
            raise NotFound("account", user)
        return self._shown(row)

    def all(self) -> list[dict]:
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT {', '.join(self.COLUMNS)}, password_hash IS NOT NULL AS has_password "
                      f"FROM {self.table} ORDER BY user_name")
            return [self._shown(row) for row in c.fetchall()]

    def _shown(self, row) -> dict:
        account = dict(row)
        account["groups"] = json.loads(account["groups"])
        account["has_password"] = bool(account["has_password"])
        locked = account["locked_until"]
        account["locked"] = bool(locked and datetime.fromisoformat(locked) > now_utc())
        return account

    @staticmethod
    def _detail_problems(full_name: str | None, email: str | None) -> dict:
        problems = {}
        if full_name is not None and len(full_name) > 200:
            problems["full_name"] = ["at most 200 characters"]
        if email and ("@" not in email or len(email) > 320 or any(ch.isspace() for ch in email)):
            problems["email"] = ["an e-mail address such as name@un.org"]
        return problems

    # -- the person's side ----------------------------------------------------------------------

    def sign_in(self, user: str, password: str, *, signed_in_by: str = "password") -> Session:
        """Check ``password``; a session if it is right. ``Unauthenticated`` with one message
        for a wrong name or password (which of the two is not said), ``Locked`` while locked."""
        user = (user or "").strip()
        p = self.sql.param
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.table} WHERE user_name = {p}", (user,))
            row = c.fetchone()
        wrong = Unauthenticated("the user name or the password is wrong")
        if row is None or not row["password_hash"]:
            _verify(_NOBODY, password or "")
            raise wrong
        now = now_utc()
        if row["locked_until"] and datetime.fromisoformat(row["locked_until"]) > now:
            raise Locked(f"too many wrong passwords: the account is locked until "
                         f"{row['locked_until'][11:16]} UTC; try again then, or ask an administrator to unlock it")
        if not _verify(row["password_hash"], password or ""):
            self._failed(user, now)
            raise wrong
        if row["disabled_at"]:
            raise Unauthenticated("this account is disabled: ask an administrator")
        if _HASHER.check_needs_rehash(row["password_hash"]):
            with self.sql.transaction() as c:
                c.execute(f"UPDATE {self.table} SET password_hash = {p} WHERE user_name = {p}",
                          (_HASHER.hash(password), user))
        return self._open(row, now, signed_in_by)

    def sign_in_with_provider(self, issuer: str, claims: dict) -> Session:
        """The identity provider vouched for ``claims`` (its ID token, already checked): the
        account linked to its subject, else the one whose e-mail address it verified (linked
        now). ``Unauthenticated`` if there is none."""
        subject = f"{issuer}#{claims.get('sub')}"
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"SELECT * FROM {self.table} WHERE oidc_subject = {p}", (subject,))
            row = c.fetchone()
            email = str(claims.get("email") or "").lower()
            if row is None and email and claims.get("email_verified", False) is not False:
                c.execute(f"SELECT * FROM {self.table} WHERE email = {p} AND oidc_subject IS NULL", (email,))
                row = c.fetchone()
                if row is not None:
                    c.execute(f"UPDATE {self.table} SET oidc_subject = {p} WHERE user_name = {p}",
                              (subject, row["user_name"]))
        if row is None:
            raise Unauthenticated(f"the identity provider signed in {email or claims.get('sub')}, who has no "
                                  "account here: ask an administrator to add one with that e-mail address")
        if row["disabled_at"]:
            raise Unauthenticated("this account is disabled: ask an administrator")
        return self._open(row, now_utc(), "identity provider")

    def sign_out(self, session_id: str) -> None:
        self.registry.revoke(session_id)

    def _failed(self, user: str, now: datetime) -> None:
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"UPDATE {self.table} SET failed_attempts = failed_attempts + 1 WHERE user_name = {p}", (user,))
            c.execute(f"SELECT failed_attempts FROM {self.table} WHERE user_name = {p}", (user,))
            if c.fetchone()["failed_attempts"] >= self.policy.attempts:
                c.execute(f"UPDATE {self.table} SET failed_attempts = 0, locked_until = {p} WHERE user_name = {p}",
                          ((now + self.policy.lockout).isoformat(), user))

    def _open(self, row, now: datetime, signed_in_by: str) -> Session:
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"UPDATE {self.table} SET failed_attempts = 0, locked_until = NULL, last_signed_in_at = {p} "
                      f"WHERE user_name = {p}", (now.isoformat(), row["user_name"]))
        session_id, secret = self.registry.open_session(
            row["user_name"], row["role"], groups=json.loads(row["groups"]), donor_id=row["donor_id"],
            committee=row["committee"], lasts=self.policy.lasts, idle=self.policy.idle,
            signed_in_by=f"{row['user_name']} ({signed_in_by})")
        return Session(session_id, secret, row["user_name"], now + self.policy.lasts)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False
