"""Who is acting: API tokens and sign-in sessions, stored hashed.

Every HTTP call but the health checks and the published schedule carries
``Authorization: Bearer <token>``; the token names a user and a role (and, for a donor, which
donor it is). The registry lives in its own small store (``auth.sqlite`` in the data folder,
or the ``auth`` schema in PostgreSQL), read by every service. Only the SHA-256 of a token is
kept: a token is shown once, when it is issued.

Two kinds of token share the table:

- ``api``: for scripts and the CLI, issued by an administrator, with an expiry date
  (``DEFAULT_TOKEN_DAYS`` unless another is asked for, at most ``MAX_TOKEN_DAYS``);
- ``session``: made when a person signs in to the console (``shared.accounts``), held by the
  browser only in an HttpOnly cookie, which the console turns into the same ``Authorization``
  header. It ends at its expiry, after ``idle_seconds`` without a request, or at sign-out.

Every service checks both the same way, here, so a session ended or expired is refused by all.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

from shared.contract.vocabulary import COMMITTEES, ROLES
from shared.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from shared.store import FieldworkApplication, SideTables, StoreSettings, opened

TOKEN_PREFIX = "fw_"
SESSION_PREFIX = "fs_"
DEFAULT_TOKEN_DAYS = 90
MAX_TOKEN_DAYS = 366
# A session's last request is written down at most this often (every service reads the one
# registry; a write per request would queue them behind each other on SQLite).
LAST_USED_EVERY = timedelta(seconds=60)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


@dataclass(frozen=True)
class Identity:
    user: str
    role: str
    token_id: str
    groups: tuple[str, ...] = ()
    donor_id: str | None = None
    committee: str | None = None  # the one Committee whose work it may read and do; None: both
    kind: str = "api"  # "api" (a script's token) or "session" (a person signed in to the console)
    expires_at: datetime | None = None

    def actor(self) -> dict:
        return {"user": self.user, "role": self.role}

    def sees(self, committee: str | None) -> bool:
        """Whether the token may read and act on a record of ``committee``."""
        return self.committee is None or committee == self.committee


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def identity_problems(user: str, role: str, donor_id: str | None, committee: str | None) -> dict:
    """What is wrong with an identity a token, a session or an account would stand for, by
    field (empty: nothing): one rule for all three."""
    problems = {}
    if committee is not None and committee not in COMMITTEES:
        problems["committee"] = [f"one of {', '.join(COMMITTEES)}, or none for both"]
    if not user or len(user) > 200:
        problems["user"] = ["1 to 200 characters"]
    if role not in ROLES or role == "system":
        problems["role"] = [f"one of {', '.join(r for r in ROLES if r != 'system')}"]
    if role == "donor" and not donor_id:
        problems["donor_id"] = ["a donor's token names the donor it is"]
    return problems


class _AuthStore(FieldworkApplication):
    name = "auth"


class TokenRegistry:
    def __init__(self, settings: StoreSettings) -> None:
        # One registry for every service: auth.sqlite beside their stores, or schema "auth".
        # Every service opens it as it starts: again if SQLite says it is locked (``opened``).
        self.store, self.sql, self.table = opened(lambda: self._open(replace(settings, postgres_schema="auth")))

    @staticmethod
    def _open(settings: StoreSettings) -> tuple[_AuthStore, SideTables, str]:
        store = _AuthStore(env=settings.environment("auth"))  # kept: it owns the connections
        sql = SideTables(store)
        table = sql.table("api_tokens")
        with sql.transaction() as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {table} (token_hash TEXT PRIMARY KEY, token_id TEXT UNIQUE NOT NULL, "
                "user_name TEXT NOT NULL, role TEXT NOT NULL, groups TEXT NOT NULL, donor_id TEXT, "
                "issued_at TEXT NOT NULL, issued_by TEXT NOT NULL, revoked_at TEXT)"
            )
            # a token limited to one Committee (NULL: both); added to registries made before
            columns = sql.columns(c, table)
            if "committee" not in columns:
                c.execute(f"ALTER TABLE {table} ADD COLUMN committee TEXT")
            # sessions beside API tokens, and an end to every token (added to registries made before)
            for name, kind in (("kind", "TEXT NOT NULL DEFAULT 'api'"), ("expires_at", "TEXT"),
                               ("last_used_at", "TEXT"), ("idle_seconds", "INTEGER")):
                if name not in columns:
                    c.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")
            # A token issued before tokens had an end gets one: DEFAULT_TOKEN_DAYS from now.
            p = sql.param
            c.execute(f"UPDATE {table} SET expires_at = {p} WHERE expires_at IS NULL",
                      ((now_utc() + timedelta(days=DEFAULT_TOKEN_DAYS)).isoformat(),))
        return store, sql, table

    def issue(self, user: str, role: str, *, groups: list[str] | None = None, donor_id: str | None = None,
              issued_by: str = "administrator", committee: str | None = None,
              expires_in_days: int = DEFAULT_TOKEN_DAYS) -> tuple[str, str]:
        """A new API token for ``user`` acting as ``role``: (token id, the token). The token
        itself is not kept; give it to the user now. ``committee`` limits it to one Committee's
        work (a CTED coordinator's to the CTC's); it ends after ``expires_in_days``."""
        problems = {}
        if not isinstance(expires_in_days, int) or not 1 <= expires_in_days <= MAX_TOKEN_DAYS:
            problems["expires_in_days"] = [f"a whole number of days from 1 to {MAX_TOKEN_DAYS}"]
        problems.update(identity_problems(user, role, donor_id, committee))
        if problems:
            raise InvalidInput(problems)
        expires = now_utc() + timedelta(days=expires_in_days)
        return self._insert("api", TOKEN_PREFIX, user, role, groups, donor_id, issued_by, committee, expires, None)

    def open_session(self, user: str, role: str, *, groups: list[str] | None = None, donor_id: str | None = None,
                     committee: str | None = None, lasts: timedelta, idle: timedelta,
                     signed_in_by: str) -> tuple[str, str]:
        """A session for a person who just signed in (``shared.accounts``): (its id, its
        secret, for the cookie). It ends after ``lasts``, or ``idle`` without a request."""
        problems = identity_problems(user, role, donor_id, committee)
        if problems:
            raise InvalidInput(problems)
        return self._insert("session", SESSION_PREFIX, user, role, groups, donor_id, signed_in_by, committee,
                            now_utc() + lasts, int(idle.total_seconds()))

    def _insert(self, kind: str, prefix: str, user: str, role: str, groups: list[str] | None, donor_id: str | None,
                issued_by: str, committee: str | None, expires: datetime, idle_seconds: int | None) -> tuple[str, str]:
        token = prefix + secrets.token_urlsafe(32)
        token_id = secrets.token_hex(6)
        p = self.sql.param
        now = now_utc().isoformat()
        with self.sql.transaction() as c:
            c.execute(
                f"INSERT INTO {self.table} (token_hash, token_id, user_name, role, groups, donor_id, issued_at, "
                f"issued_by, revoked_at, committee, kind, expires_at, last_used_at, idle_seconds) "
                f"VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, NULL, {p}, {p}, {p}, {p}, {p})",
                (_hash(token), token_id, user, role, json.dumps(sorted(groups or [])), donor_id,
                 now, issued_by, committee, kind, expires.isoformat(), now, idle_seconds),
            )
        return token_id, token

    def revoke(self, token_id: str) -> None:
        """End a token or a session now; NotFound if there is no such one still active."""
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"SELECT revoked_at FROM {self.table} WHERE token_id = {p}", (token_id,))
            row = c.fetchone()
            if row is None or row["revoked_at"]:
                raise NotFound("active token", token_id)
            c.execute(f"UPDATE {self.table} SET revoked_at = {p} WHERE token_id = {p}",
                      (now_utc().isoformat(), token_id))

    def revoke_all_of(self, user: str, kind: str | None = None) -> int:
        """End every active token (or only the sessions, ``kind="session"``) of ``user``: when
        an account is disabled, its password reset or its role changed. How many ended."""
        p = self.sql.param
        kinds = (kind,) if kind else ("api", "session")
        which = f"user_name = {p} AND revoked_at IS NULL AND kind IN ({', '.join(p for _ in kinds)})"
        with self.sql.transaction() as c:
            c.execute(f"SELECT COUNT(*) AS n FROM {self.table} WHERE {which}", (user, *kinds))
            ended = c.fetchone()["n"]
            c.execute(f"UPDATE {self.table} SET revoked_at = {p} WHERE {which}", (now_utc().isoformat(), user, *kinds))
        return ended

    def tokens(self, kind: str | None = None) -> list[dict]:
        """Every token (or of one ``kind``), oldest first, with ``status``: active, expired,
        idle (a session unused too long) or revoked."""
        where, args = ("", ()) if kind is None else (f" WHERE kind = {self.sql.param}", (kind,))
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT token_id, kind, user_name, role, committee, groups, donor_id, issued_at, issued_by, "
                      f"expires_at, last_used_at, idle_seconds, revoked_at FROM {self.table}{where} ORDER BY issued_at",
                      args)
            rows = [dict(row) for row in c.fetchall()]
        now = now_utc()
        for row in rows:
            row["groups"] = json.loads(row["groups"])
            row["status"] = self._status(row, now)
        return rows

    @staticmethod
    def _status(row, now: datetime) -> str:
        if row["revoked_at"]:
            return "revoked"
        if _when(row["expires_at"]) is not None and now >= _when(row["expires_at"]):
            return "expired"
        if row["idle_seconds"] and now - _when(row["last_used_at"]) > timedelta(seconds=row["idle_seconds"]):
            return "idle"
        return "active"

    def identify(self, token: str | None) -> Identity:
        """The identity a token stands for; Unauthenticated if it is missing, unknown, revoked,
        expired, or a session left idle too long. A session's use is written down (at most once
        a minute, or a quarter of its idle time)."""
        if not token:
            raise Unauthenticated("no token: send Authorization: Bearer <token>")
        p = self.sql.param
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.table} WHERE token_hash = {p}", (_hash(token),))
            row = c.fetchone()
        if row is None:
            raise Unauthenticated("the token is not valid")
        status = self._status(row, now := now_utc())
        session = row["kind"] == "session"
        if status == "revoked":
            raise Unauthenticated("you signed out, or the session was ended: sign in again" if session
                                  else "the token was revoked")
        if status == "expired":
            raise Unauthenticated("the session has expired: sign in again" if session else
                                  f"the token expired on {row['expires_at'][:10]}: ask an administrator for a new one")
        if status == "idle":
            raise Unauthenticated("the session ended after a time without use: sign in again")
        if session:
            self._touch(row, now)
        return Identity(user=row["user_name"], role=row["role"], token_id=row["token_id"],
                        groups=tuple(json.loads(row["groups"])), donor_id=row["donor_id"],
                        committee=row["committee"], kind=row["kind"], expires_at=_when(row["expires_at"]))

    def _touch(self, row, now: datetime) -> None:
        every = min(LAST_USED_EVERY, timedelta(seconds=row["idle_seconds"] or 60) / 4)
        if now - _when(row["last_used_at"]) < every:
            return
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"UPDATE {self.table} SET last_used_at = {p} WHERE token_id = {p}", (now.isoformat(), row["token_id"]))


def require_role(role: str | None, allowed: tuple[str, ...]) -> None:
    if role not in allowed:
        raise Forbidden("role_may_not_do_this", f"a {role} may not do this; it takes: {', '.join(allowed)}")


# Who may do what: the roles each kind of endpoint takes.
COORDINATION = ("visit_coordinator", "administrator")
SECRETARIAT = ("secretariat", "administrator")
CHAIRS = ("working_group_chair",)
REPORTING = ("reporting_staff", "administrator")
DONORS = ("donor",)
STAFF = ("visit_coordinator", "working_group_chair", "secretariat", "reporting_staff", "administrator")
