"""The errors every service raises, and that the edges (HTTP, RPC, CLI) map to answers.

One table (``shared.http.ERROR_STATUS``) maps them to HTTP statuses; nothing else decides.
"""
from __future__ import annotations


class FieldworkError(Exception):
    """Base of the errors a user can be told about."""

    code = "error"

    def to_dict(self) -> dict:
        return {"error": self.code, "message": str(self)}


class NamedRuleError(FieldworkError):
    """An error that names the rule refusing the command: ``rule`` is a snake_case statement
    of it, e.g. ``schedule_requires_consent``."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail

    def to_dict(self) -> dict:
        return {"error": self.code, "rule": self.rule, "message": self.detail}


class NotFound(FieldworkError):
    """No such visit, meeting, group or donor (HTTP 404)."""

    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        super().__init__(f"no {kind} with id {ident}")
        self.kind = kind
        self.ident = str(ident)

    def to_dict(self) -> dict:
        return {"error": self.code, "kind": self.kind, "id": self.ident, "message": str(self)}


class InvalidInput(FieldworkError):
    """The request is malformed; ``fields`` maps each bad field to its messages (HTTP 400)."""

    code = "invalid_input"

    def __init__(self, fields: dict) -> None:
        names = ", ".join(sorted(str(k) for k in fields)) or "body"
        super().__init__(f"invalid input in: {names}")
        self.fields = fields

    def to_dict(self) -> dict:
        return {"error": self.code, "message": str(self), "fields": self.fields}


class TooLarge(FieldworkError):
    """The request body is larger than the service accepts (HTTP 413)."""

    code = "too_large"


class RequestTimeout(FieldworkError):
    """The client stopped sending its request before the body was whole (HTTP 408)."""

    code = "request_timeout"


class VersionConflict(FieldworkError):
    """Someone else changed the record since it was read (HTTP 409, optimistic concurrency)."""

    code = "version_conflict"

    def __init__(self, kind: str, ident: object, expected: int | None, actual: int | None) -> None:
        if expected is None:
            message = f"{kind} {ident} was changed by a concurrent command; read it again and retry"
        else:
            message = (
                f"{kind} {ident} is at version {actual}, not {expected}: "
                "it was changed since you read it; read it again and retry"
            )
        super().__init__(message)
        self.kind = kind
        self.ident = str(ident)
        self.expected = expected
        self.actual = actual

    def to_dict(self) -> dict:
        body = {"error": self.code, "message": str(self)}
        if self.expected is not None:
            body.update(expected_version=self.expected, actual_version=self.actual)
        return body


class RuleBroken(NamedRuleError):
    """A business rule from the documents forbids the command (HTTP 409)."""

    code = "rule_broken"


class Forbidden(NamedRuleError):
    """The acting user may not do this (HTTP 403); ``rule`` names the rule that says so."""

    code = "forbidden"


class Unauthenticated(FieldworkError):
    """No valid credentials (HTTP 401)."""

    code = "unauthenticated"
