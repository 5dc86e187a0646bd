"""HTTP glue every service shares: JSON in, JSON out, and one table from errors to statuses."""
from __future__ import annotations

import functools
import json
import logging
import socket
import uuid
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any, Callable
from uuid import UUID

from marshmallow import Schema, ValidationError
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request, Response

from shared.contract.vocabulary import ROLES
from shared.auth import Identity, require_role
from shared.contract.catalogue import encodable
from shared.domain import Context
from shared.store import closed_connection
from shared.logs import current_correlation_id
from shared.errors import (
    FieldworkError,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleBroken,
    RequestTimeout,
    TooLarge,
    Unauthenticated,
    VersionConflict,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
# How far in the future a user may say something happened (clock skew, time zones).
FUTURE_TOLERANCE = timedelta(days=1)

ERROR_STATUS: dict[type[FieldworkError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    RuleBroken: 409,
    VersionConflict: 409,
    RequestTimeout: 408,
    TooLarge: 413,
}


def jsonable(value: Any) -> Any:
    """Dates, datetimes, UUIDs and enums as JSON values, recursively."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def json_response(status: int, data: Any, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(jsonable(data), indent=1, sort_keys=False) + "\n",
        status=status,
        mimetype="application/json",
        headers=headers,
    )


def error_response(error: FieldworkError) -> Response:
    status = next((ERROR_STATUS[kind] for kind in type(error).__mro__ if kind in ERROR_STATUS), 400)
    return json_response(status, error.to_dict())


PUBLIC = ()  # an endpoint anyone may call (health, the published schedule)


def json_endpoint(*roles: Any) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Wrap an HTTP handler: the caller must present a valid token (401) of one of ``roles``
    (403), unless the endpoint is public (no roles); its FieldworkErrors become their
    statuses (``ERROR_STATUS``); anything else is a 500 with a reference to the log, never a
    stack trace. ``roles`` may instead be one command table (``shared.commands.Commands``):
    the route runs the command its path names, and takes the roles of that command."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def wrapper(self, request: Request, *args: Any, **kwargs: Any) -> Response:
            token = current_correlation_id.set(correlation_of(request))
            try:
                response = _answer(handler, roles, self, request, *args, **kwargs)
                if request.method != "GET" or response.status_code >= 400:
                    identity = request.environ.get("fieldwork.identity")
                    log.info("%s %s answered %s (user %s)", request.method, request.path, response.status_code,
                             identity.user if identity else "anonymous")
                return response
            finally:
                current_correlation_id.reset(token)

        return wrapper

    return decorate


CLOSED_CONNECTION_RETRIES = 8  # a pool's worth of dead connections, and then some


def _answer(handler: Callable[..., Any], roles: tuple[str, ...], service: Any, request: Request,
            *args: Any, **kwargs: Any) -> Response:
    try:
        for attempt in range(1, CLOSED_CONNECTION_RETRIES + 1):
            try:
                if roles:
                    identity = service.tokens.identify(bearer_token(request))
                    require_role(identity.role, allowed_roles(roles, kwargs))
                    request.environ["fieldwork.identity"] = identity
                result = handler(service, request, *args, **kwargs)
                break
            except FieldworkError:
                raise
            except Exception as error:  # noqa: BLE001 - a closed connection: asked again on another
                if attempt == CLOSED_CONNECTION_RETRIES or not closed_connection(error):
                    raise
                # The pool drops the dead connection it lent; the next attempt takes another (or a
                # new one). The failure came on the connection's first statement: nothing stored.
                log.warning("%s %s met a connection the database closed (%s); asking again",
                            request.method, request.path, str(error).splitlines()[0][:200])
    except FieldworkError as error:
        return error_response(error)
    except Exception:  # noqa: BLE001 - answered as 500 and logged with its trace
        reference = uuid.uuid4().hex[:12]
        log.exception("unhandled error in %s %s (reference %s)", request.method, request.path, reference)
        return json_response(
            500, {"error": "internal_error", "message": f"internal error; reference {reference} in the service log"}
        )
    if isinstance(result, Response):
        return result
    status, data = result
    return json_response(status, data)


def allowed_roles(roles: tuple[Any, ...], path_arguments: dict) -> tuple[str, ...]:
    """The roles a route takes: those it names, or, for the step route of a command table, the
    roles of the command its path names (of any step, for a name no command has: the route
    then answers that the command is unknown)."""
    if len(roles) == 1 and not isinstance(roles[0], str):
        table, name = roles[0], path_arguments.get("command")
        return table.steps[name].roles if name in table.steps else table.step_roles()
    return roles


def correlation_of(request: Request) -> str:
    """The request's correlation id: ``X-Correlation-Id``, or one made up once per request."""
    known = request.environ.get("fieldwork.correlation_id")
    if known is None:
        known = request.headers.get("X-Correlation-Id", "").strip()[:200] or str(uuid.uuid4())
        request.environ["fieldwork.correlation_id"] = known
    return known


def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request's body, at most ``limit`` bytes of it (``TooLarge`` beyond: ``MAX_BODY_BYTES``,
    a file's route more), sent with a Content-Length or chunked; ``RequestTimeout`` if the client
    stops sending it for longer than the server's read timeout. Read once, before the request
    takes a worker (shared.web), and kept for the handler."""
    if BODY_KEY in request.environ:
        return request.environ[BODY_KEY]
    length = request.content_length
    if length is not None and length > limit:
        raise TooLarge(f"the body is larger than {limit} bytes")
    if length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower():
        # eventlet's server de-chunks the input but does not say so; without this werkzeug
        # reads a chunked body as empty.
        request.environ["wsgi.input_terminated"] = True
    try:
        body = read_at_most(request.stream, limit)
    except (TimeoutError, socket.timeout, ClientDisconnected):
        # werkzeug reports the read timeout as a client that went away (a body cut short)
        raise RequestTimeout("the client stopped sending the request's body") from None
    request.environ[BODY_KEY] = body
    return body


BODY_KEY = "fieldwork.body"  # where read_body keeps the body it read


def read_json(request: Request) -> dict:
    """The request's JSON object body; 400 (or 413) with a clear message otherwise."""
    raw = read_body(request)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput({"body": ["not valid JSON"]}) from None
    if not isinstance(body, dict):
        raise InvalidInput({"body": ["must be a JSON object"]})
    return body


def read_at_most(stream: Any, limit: int, piece: int = 64 * 1024) -> bytes:
    """The body, read in pieces: ``TooLarge`` as soon as more than ``limit`` bytes came, so a
    body sent chunked (no Content-Length) is never held beyond ``limit`` + 1 bytes. What the
    client still sends after a 413 is read and dropped in small pieces by the server, or the
    connection is closed."""
    pieces, size = [], 0
    while data := stream.read(min(piece, limit + 1 - size)):
        pieces.append(data)
        size += len(data)
        if size > limit:
            raise TooLarge(f"the body is larger than {limit} bytes")
    return b"".join(pieces)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def identity_of(request: Request) -> Identity:
    """Who is acting (set by ``json_endpoint`` from the request's token)."""
    return request.environ["fieldwork.identity"]


def require_sees(request: Request, committee: str | None, kind: str, ident: object) -> None:
    """A record of a Committee the caller's token is not for is, to that caller, no record at
    all (404, as for an id that names nothing)."""
    if not identity_of(request).sees(committee):
        raise NotFound(kind, ident)


def require_own_committee(request: Request, committee: object) -> None:
    """A token limited to one Committee does the work of that Committee only (403)."""
    identity = identity_of(request)
    if isinstance(committee, str) and not identity.sees(committee):
        whose = "both Committees'" if committee == "both" else f"the {committee} Committee's"
        raise Forbidden("committee_not_yours",
                        f"this token is for the {identity.committee} Committee's work, not {whose}")


def actor_of(request: Request) -> dict:
    """Who is acting (from the token) and which request this is (``X-Correlation-Id``, made up
    when absent): what every event of the command records."""
    return {**identity_of(request).actor(), "correlation_id": correlation_of(request)}


def load(schema: Schema, data: Any) -> dict:
    if not encodable(data):
        raise InvalidInput({"body": ["a string holds a lone surrogate (not valid Unicode)"]})
    try:
        return schema.load(data)
    except ValidationError as error:
        raise InvalidInput(error.messages if isinstance(error.messages, dict) else {"body": error.messages}) from None


def context_for(actor: dict | None, occurred_at: datetime | None) -> Context:
    """The Context of one command: the acting user, the request, and when it happened
    (now, unless the user says otherwise; never more than a day ahead)."""
    actor = actor or {}
    if not encodable(actor):
        raise InvalidInput({"actor": ["a string holds a lone surrogate (not valid Unicode)"]})
    user = str(actor.get("user") or "anonymous")[:200]
    role = str(actor.get("role") or "visit_coordinator")
    if role not in ROLES:
        raise InvalidInput({"role": [f"unknown role {role!r}; one of {', '.join(ROLES)}"]})
    now = datetime.now(timezone.utc)
    stated = occurred_at is not None
    if occurred_at is None:
        occurred_at = now
    elif occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidInput({"occurred_at": ["is in the future"]})
    return Context(
        occurred_at=occurred_at,
        user=user,
        role=role,
        correlation_id=str(actor.get("correlation_id") or uuid.uuid4())[:200],
        stated=stated,
    )


def parse_uuid(value: str, kind: str) -> UUID:
    """A path id that is not a UUID names nothing: 404, like any unknown id."""
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(kind, value) from None
