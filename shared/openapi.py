"""OpenAPI 3.0 descriptions of the services' HTTP APIs, built from the code itself.

Nothing here is written twice: the routes are the ``@http`` entrypoints of the service class,
who may call each one is the roles its ``@json_endpoint(...)`` takes, and every request body and
query string is the marshmallow input schema the service loads it with (turned into JSON
Schema by apispec's MarshmallowPlugin). A field, a command or a route added to the code is in
the description at once; one removed is gone from it. Each service answers its own at
``GET /openapi.json`` (public); ``tests/integration/test_fuzz.py`` fuzzes the services from it.

Only what the code cannot say is said here: which body or query schema a route loads (and the
query parameters a route reads by hand), which routes
create a record (``201``), and the media types of the answers that are not JSON.
"""
from __future__ import annotations

import copy
import functools
import importlib
import inspect
import re
from dataclasses import dataclass, field
from collections.abc import Mapping
from typing import Any, Callable

import pycountry
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

OPENAPI_VERSION = "3.0.3"
BEARER = "bearerAuth"
ERROR_SCHEMA = "Error"

# The error answers every service gives (shared/http.py ERROR_STATUS), by status.
ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("InvalidInput", "`invalid_input`: the request is malformed; `fields` names each bad field "
                          "(or `body`) with its messages"),
    401: ("Unauthenticated", "`unauthenticated`: no valid bearer token"),
    403: ("Forbidden", "`forbidden`: the token's role may not do this (`rule`: `role_may_not_do_this`)"),
    404: ("NotFound", "`not_found`: no record with that id (a malformed id names nothing either)"),
    409: ("Conflict", "`rule_broken` (`rule` names the business rule) or `version_conflict` "
                      "(the record changed since the client read it)"),
    413: ("TooLarge", "`too_large`: the body is larger than the service accepts"),
}

PATH_PARAMETER = re.compile(r"<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Description:
    """What the code of one service cannot say about itself."""

    title: str
    service_class: str  # "module:Class"
    summary: str
    reference: str = ""  # the doc that describes each route in prose (shared.reference writes its tables)
    # Its command tables (shared.commands.Commands): the body of each route that runs a
    # command, one path per command for a route ``/<collection>/{<ident>}/{command}``, the
    # roles of each.
    tables: tuple[Any, ...] = ()
    bodies: dict[tuple[str, str], Schema] = field(default_factory=dict)  # of the routes no table has
    queries: dict[tuple[str, str], Schema] = field(default_factory=dict)
    # Query parameters that no schema loads (a route that reads one argument itself).
    plain_parameters: dict[tuple[str, str], list[dict]] = field(default_factory=dict)
    # Routes whose body (not path) names a record that may not exist: they answer 404 too.
    names_in_body: frozenset[tuple[str, str]] = frozenset()
    media_types: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def commands(self) -> dict[tuple[str, str], Any]:
        """(POST, /<collection>/{<ident>}/{command}) -> its table."""
        return {("POST", f"/{t.collection}/{{{t.ident}}}/{{command}}"): t for t in self.tables}

    def command_at(self, key: tuple[str, str]) -> Any:
        """The command a route runs (POST /<collection>, POST /<collection>/{<ident>}/<name>)."""
        for table in self.tables:
            if table.create is not None and key == ("POST", f"/{table.collection}"):
                return table.create
            for command in table.steps.values():
                if key == ("POST", f"/{table.collection}/{{{table.ident}}}/{command.name}"):
                    return command
        return None

    def body(self, key: tuple[str, str]) -> Schema | None:
        command = self.command_at(key)
        return command.input if command is not None else self.bodies.get(key)

    def creates(self, key: tuple[str, str]) -> bool:
        command = self.command_at(key)
        return command is not None and command.creates


class _Descriptions(Mapping[str, Callable[[], Description]]):
    """Each service's description, as its manifest gives it (``shared.services``)."""

    def _all(self) -> dict[str, Callable[[], Description]]:
        from shared.services import manifests

        return {m.name: m.api for m in manifests() if m.api is not None}

    def __getitem__(self, service: str) -> Callable[[], Description]:
        return self._all()[service]

    def __iter__(self):
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


DESCRIPTIONS: Mapping[str, Callable[[], Description]] = _Descriptions()


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI notation: /visits/{visit_id}
    handler: Callable
    roles: tuple[str, ...]  # empty: public

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def routes_of(service_class: type) -> list[Route]:
    """The service's HTTP routes, read from its nameko ``@http`` entrypoints, with the roles of
    their ``@json_endpoint(...)`` (none: public, as ``/health``, which has no such wrapper)."""
    from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
    from nameko.web.handlers import HttpRequestHandler

    handlers: dict[str, Callable] = {}  # in declaration order, a base class's first
    for cls in reversed(service_class.__mro__):
        handlers.update((name, value) for name, value in vars(cls).items() if inspect.isfunction(value))
    routes = []
    for handler in handlers.values():
        for entrypoint in getattr(handler, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, HttpRequestHandler):
                roles = inspect.getclosurevars(handler).nonlocals.get("roles") or ()
                if len(roles) == 1 and not isinstance(roles[0], str):  # a command table's step route
                    roles = roles[0].step_roles()
                routes.append(Route(entrypoint.method.upper(), PATH_PARAMETER.sub(r"{\1}", entrypoint.url),
                                    handler, tuple(roles)))
    return routes


def _member_state_codes() -> list[str]:
    return sorted(country.alpha_3 for country in pycountry.countries)


def _for_people() -> dict:
    """``x-vocabulary``: the codes in words, the States by name (shared.contract.vocabulary) and
    the time zone each Committee's dates and times are shown in (shared.domain.committee_zone),
    for a page to show them as a person reads them."""
    from shared.contract.vocabulary import COMMITTEES, for_people
    from shared.domain import committee_zone

    return {**for_people(), "time_zones": {committee: committee_zone(committee).key for committee in COMMITTEES}}


def _validator_attributes(self, field, ret, **kwargs) -> dict:
    """What shared/contract/fields.py checks with functions of its own, in JSON Schema terms:
    a State an event names is one of the ISO 3166-1 alpha-3 codes, one a command names a State of
    the United Nations; a date lies in 1945-2200."""
    from shared.contract import fields as contract_fields
    from shared.contract.vocabulary import UN_STATES

    extra: dict[str, Any] = {}
    validators = getattr(field, "validators", ())
    if contract_fields._member_state in validators:
        extra["enum"] = _member_state_codes()
        extra["description"] = "ISO 3166-1 alpha-3 country code, upper case (e.g. KEN)"
    if contract_fields._un_state in validators:
        extra["enum"] = sorted(UN_STATES)
        extra["description"] = ("a Member State or observer State of the United Nations: its ISO 3166-1 alpha-3 code "
                                "(e.g. KEN); `x-vocabulary.states` names each")
    if contract_fields._plausible_date in validators:
        extra["description"] = "a date (or moment) in the years 1945 to 2200; others are refused with 400"
    if "pattern" in ret:
        # Python's end-of-string \Z is $ in the ECMA 262 regular expressions of JSON Schema.
        extra["pattern"] = re.sub(r"\\Z$", "$", ret["pattern"])
    return extra


def _error_schema() -> dict:
    from shared.errors import FieldworkError

    def codes(cls: type) -> list[str]:
        found = []
        for sub in cls.__subclasses__():
            found += [sub.code, *codes(sub)]
        return found

    return {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string", "enum": sorted({*codes(FieldworkError), "internal_error"})},
            "message": {"type": "string"},
            "rule": {"type": "string", "description": "the rule that refused it (409, 403)"},
            "fields": {"type": "object", "additionalProperties": {},
                       "description": "each bad field (or `body`) and its messages (400)"},
        },
        "additionalProperties": True,
    }


def _schema_name(schema: Schema) -> str:
    return type(schema).__name__


def _errors_of(route: Route, has_body: bool, has_query: bool, has_id: bool) -> list[int]:
    if not route.roles and route.path in ("/health", "/openapi.json"):
        return []
    statuses = []
    if has_body or has_query or route.method == "POST":
        statuses.append(400)
    if route.roles:
        statuses += [401, 403]
    if has_id:
        statuses.append(404)
    if route.method == "POST":
        statuses.append(409)
    if has_body:
        statuses.append(413)
    return statuses


def build(service: str) -> dict:
    """The OpenAPI 3.0 document of ``service`` ("visits", "meetings", "reporting")."""
    from importlib.metadata import PackageNotFoundError, version

    describe = DESCRIPTIONS[service]()
    service_class = service_class_of(describe)
    try:
        api_version = version("fieldwork")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        api_version = "0"

    plugin = MarshmallowPlugin()
    spec = APISpec(
        title=describe.title, version=api_version, openapi_version=OPENAPI_VERSION, plugins=[plugin],
        info={"description": describe.summary + " Built from the service's own input schemas; "
                                                 "errors are JSON objects (schema `Error`)."},
    )
    plugin.converter.add_attribute_function(_validator_attributes)
    spec.components.security_scheme(BEARER, {"type": "http", "scheme": "bearer",
                                             "description": "an API token (`fieldwork admin issue-token`)"})
    spec.components.schema(ERROR_SCHEMA, _error_schema())
    for status, (ref, text) in ERROR_RESPONSES.items():
        spec.components.response(ref, {"description": text, "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}}})

    registered: dict[int, str] = {}

    def body_ref(schema: Schema) -> dict:
        if id(schema) not in registered:
            spec.components.schema(_schema_name(schema), schema=schema)
            registered[id(schema)] = _schema_name(schema)
        return {"$ref": f"#/components/schemas/{registered[id(schema)]}"}

    routes = routes_of(service_class)
    commands = describe.commands()
    paths: dict[str, dict[str, dict]] = {}
    for route in routes:
        if route.key in commands:
            for command in commands[route.key].steps.values():
                path = route.path.replace("{command}", command.name)
                operation_id = f"{_handler_name(route)}_{command.name.replace('-', '_')}"
                paths.setdefault(path, {})[route.method.lower()] = _operation(
                    describe, route, path, command.input, body_ref(command.input), operation_id,
                    summary=f"command `{command.name}`", roles=command.roles)
            continue
        body = describe.body(route.key)
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(
            describe, route, route.path, body, body_ref(body) if body is not None else None, _handler_name(route))
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    document = spec.to_dict()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            plain = {p["name"] for p in describe.plain_parameters.get((method.upper(), path), [])}
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query" and parameter["name"] not in plain:
                    _no_null(parameter)
    document["info"]["x-service"] = service
    document["x-vocabulary"] = _for_people()
    return document


def service_class_of(describe: Description) -> type:
    module, _, name = describe.service_class.partition(":")
    return getattr(importlib.import_module(module), name)


def _no_null(parameter: dict) -> None:
    """A query string has no null: the loaders drop empty values before loading, so an empty
    parameter is an absent one (its default); ``nullable``, a null default and null among the
    choices go."""
    if not parameter.get("required"):
        parameter["allowEmptyValue"] = True
    schema = parameter["schema"]
    schema.pop("nullable", None)
    if "default" in schema and schema["default"] is None:
        del schema["default"]
    if "enum" in schema:
        schema["enum"] = [value for value in schema["enum"] if value is not None]


def _handler_name(route: Route) -> str:
    return route.handler.__name__.removeprefix("http_")


def _operation(describe: Description, route: Route, path: str, body_schema: Schema | None, body: dict | None,
               operation_id: str, summary: str | None = None, roles: tuple[str, ...] | None = None) -> dict:
    key = route.key
    roles = route.roles if roles is None else roles
    query = describe.queries.get(key)
    ids = re.findall(r"{(\w+)}", path)
    parameters: list[dict] = [
        {"name": ident, "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
        for ident in ids
    ]
    if query is not None:
        parameters.append({"in": "query", "schema": query})
    parameters += copy.deepcopy(describe.plain_parameters.get(key, []))

    doc = (inspect.getdoc(route.handler) or "").strip()
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary or f"{route.method} {path}",
        "security": [{BEARER: []}] if roles else [],
        "x-roles": list(roles),
        "responses": {},
    }
    if doc:
        operation["description"] = doc
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        # An empty body is read as {} (shared/http.py read_json): required only when a field is.
        operation["requestBody"] = {"required": any(f.required for f in body_schema.fields.values()),
                                    "content": {"application/json": {"schema": body}}}

    success = "201" if describe.creates(key) else "200"
    media_types = describe.media_types.get(key, ["application/json"])
    operation["responses"][success] = {
        "description": "created" if success == "201" else "OK",
        "content": {media_type: {"schema": {}} for media_type in media_types},
    }
    if route.path == "/health":
        operation["responses"]["503"] = {"description": "unhealthy: the report says why",
                                         "content": {"application/json": {"schema": {}}}}
    for status in _errors_of(route, body is not None, query is not None or key in describe.plain_parameters,
                             bool(ids) or key in describe.names_in_body):
        operation["responses"][str(status)] = ERROR_RESPONSES[status][0]
    return operation


@functools.lru_cache(maxsize=None)
def _cached(service: str) -> dict:
    return build(service)


def document(service: str) -> dict:
    """The service's OpenAPI document, built once per process (the code does not change)."""
    return copy.deepcopy(_cached(service))
