"""Who is acting: API tokens, issued and revoked by an administrator, stored hashed.

Every HTTP call but the health checks and the published schedule carries
``Authorization: Bearer <token>``; the token names a user and a role (and, for a donor, which
donor it is). The registry lives in its own small store (``auth.sqlite`` in the data folder,
or the ``auth`` schema in PostgreSQL), read by every service. Only the SHA-256 of a token is
kept: a token is shown once, when it is issued.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from shared.contract.vocabulary import COMMITTEES, ROLES
from shared.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from shared.store import FieldworkApplication, SideTables, StoreSettings, opened

TOKEN_PREFIX = "fw_"


@dataclass(frozen=True)
class Identity:
    user: str
    role: str
    token_id: str
    groups: tuple[str, ...] = ()
    donor_id: str | None = None
    committee: str | None = None  # the one Committee whose work it may read and do; None: both

    def actor(self) -> dict:
        return {"user": self.user, "role": self.role}

    def sees(self, committee: str | None) -> bool:
        """Whether the token may read and act on a record of ``committee``."""
        return self.committee is None or committee == self.committee


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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
            if "committee" not in sql.columns(c, table):
                c.execute(f"ALTER TABLE {table} ADD COLUMN committee TEXT")
        return store, sql, table

    def issue(self, user: str, role: str, *, groups: list[str] | None = None, donor_id: str | None = None,
              issued_by: str = "administrator", committee: str | None = None) -> tuple[str, str]:
        """A new token for ``user`` acting as ``role``: (token id, the token). The token itself
        is not kept; give it to the user now. ``committee`` limits it to one Committee's work
        (a CTED coordinator's to the CTC's)."""
        problems = {}
        if committee is not None and committee not in COMMITTEES:
            problems["committee"] = [f"one of {', '.join(COMMITTEES)}, or none for both"]
        if not user or len(user) > 200:
            problems["user"] = ["1 to 200 characters"]
        if role not in ROLES or role == "system":
            problems["role"] = [f"one of {', '.join(r for r in ROLES if r != 'system')}"]
        if role == "donor" and not donor_id:
            problems["donor_id"] = ["a donor's token names the donor it is"]
        if problems:
            raise InvalidInput(problems)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = secrets.token_hex(6)
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(
                f"INSERT INTO {self.table} (token_hash, token_id, user_name, role, groups, donor_id, issued_at, "
                f"issued_by, revoked_at, committee) VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, NULL, {p})",
                (_hash(token), token_id, user, role, json.dumps(sorted(groups or [])), donor_id,
                 datetime.now(timezone.utc).isoformat(), issued_by, committee),
            )
        return token_id, token

    def revoke(self, token_id: str) -> None:
        p = self.sql.param
        with self.sql.transaction() as c:
            c.execute(f"SELECT revoked_at FROM {self.table} WHERE token_id = {p}", (token_id,))
            row = c.fetchone()
            if row is None or row["revoked_at"]:
                raise NotFound("active token", token_id)
            c.execute(f"UPDATE {self.table} SET revoked_at = {p} WHERE token_id = {p}",
                      (datetime.now(timezone.utc).isoformat(), token_id))

    def tokens(self) -> list[dict]:
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT token_id, user_name, role, committee, groups, donor_id, issued_at, issued_by, "
                      f"revoked_at FROM {self.table} ORDER BY issued_at")
            return [dict(row) for row in c.fetchall()]

    def identify(self, token: str | None) -> Identity:
        """The identity a token stands for; Unauthenticated if it is missing, unknown or revoked."""
        if not token:
            raise Unauthenticated("no token: send Authorization: Bearer <token>")
        p = self.sql.param
        with self.sql.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.table} WHERE token_hash = {p}", (_hash(token),))
            row = c.fetchone()
        if row is None:
            raise Unauthenticated("the token is not valid")
        if row["revoked_at"]:
            raise Unauthenticated("the token was revoked")
        return Identity(user=row["user_name"], role=row["role"], token_id=row["token_id"],
                        groups=tuple(json.loads(row["groups"])), donor_id=row["donor_id"],
                        committee=row["committee"])


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
