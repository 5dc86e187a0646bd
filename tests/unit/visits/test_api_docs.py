"""docs/api.md stays true to the code: every HTTP route, RPC method, command, input field and
rule the service has is documented, in the right section, and the doc names none it lacks.

Routes, their roles and RPC methods are read from the service class itself, the commands and
their fields from the command tables (``visits.commands``), the rule names from ``domain/model.py``.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from marshmallow import fields as mfields

from doc_checks import MarkdownDoc, declared_routes, declared_rpc_methods, field_names, mentions, table_rows
from shared.contract.vocabulary import ROLES
from shared.http import MAX_BODY_BYTES
from visits.commands import DONORS, VISITS
from visits.service import VisitsService
from visits.views import ListFilters

ROOT = Path(__file__).resolve().parents[3]
API_MD = ROOT / "docs" / "api.md"
MODEL_PY = ROOT / "services" / "visits" / "visits" / "domain" / "model.py"

DOCUMENT = MarkdownDoc(API_MD)
DOC = DOCUMENT.text
headings, section, subsections = DOCUMENT.headings, DOCUMENT.section, DOCUMENT.subsections
# The fields every command takes (occurred_at, expected_version): documented once, and named
# in each command's section.
COMMAND_INPUTS = {c.name: c.input for c in VISITS.steps.values()}
COMMON_FIELDS = set.intersection(*(set(schema.fields) for schema in COMMAND_INPUTS.values()))

# -- reading the code ----------------------------------------------------------------------


def model_rules() -> set[str]:
    """Rule names: the first argument of each ``RuleBroken(...)``, and of the helpers that
    raise it with a rule name they are given (``_require_conducted("close_requires_...", ...)``),
    in the model, the application (the rules over more than one record: the directory of
    organizations), the shared domain and the shared rules of documents as files."""
    text = "".join(path.read_text(encoding="utf-8")
                   for path in (MODEL_PY, MODEL_PY.parents[1] / "application.py", ROOT / "shared" / "domain.py",
                                ROOT / "shared" / "documents.py"))
    return set(re.findall(r'(?:RuleBroken|_require_\w+)\(\s*["\'](\w+)["\']', text))


ROUTES = declared_routes(VisitsService)
RPC_METHODS = declared_rpc_methods(VisitsService)


def test_the_code_readers_find_what_is_there():
    # A regex that silently matches nothing would make every test below pass.
    assert ("GET", "/health") in ROUTES
    assert ("POST", "/visits/{visit_id}/{command}") in ROUTES
    assert len(ROUTES) == len(set(ROUTES)) >= 10
    assert {"propose_visit", "execute"} <= set(RPC_METHODS)
    assert {"schedule_requires_consent", "ended_visit_cannot_change", "close_requires_conducted_visit"} <= model_rules()
    assert COMMON_FIELDS == {"occurred_at", "expected_version"}


# -- reading the doc -----------------------------------------------------------------------


# -- routes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_http_route_is_documented(method, path):
    assert mentions(f"{method} {path}", DOC), f"docs/api.md does not mention `{method} {path}`"


@pytest.mark.parametrize("method, path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_http_route_has_its_own_section(method, path):
    assert section(f"`{method} {path}`")


def _is_declared(method: str, path: str) -> bool:
    """A route the doc mentions, with placeholders or concrete values (a command name)."""
    parts = path.strip("/").split("/")
    for declared_method, declared_path in ROUTES:
        declared = declared_path.strip("/").split("/")
        if declared_method != method or len(declared) != len(parts):
            continue
        if all(
            part == want
            or (want == "{command}" and part in COMMAND_INPUTS)
            or (want.startswith("{") and want != "{command}" and part != "")
            for part, want in zip(parts, declared)
        ):
            return True
    return False


def test_the_doc_mentions_no_route_the_service_lacks():
    mentioned = re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`", DOC)
    assert mentioned
    unknown = sorted({f"{m} {p}" for m, p in mentioned if not _is_declared(m, p.split("?")[0])})
    assert not unknown, f"docs/api.md mentions routes service.py does not declare: {unknown}"


# -- commands and their fields ---------------------------------------------------------------

COMMANDS = sorted(COMMAND_INPUTS)


def test_the_lifecycle_commands_section_has_one_subsection_per_command_and_no_other():
    titles = subsections("Lifecycle commands")
    assert sorted(titles) == sorted(f"`{c}`" for c in COMMAND_INPUTS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_documented(command):
    assert mentions(command, DOC)
    section(f"`{command}`")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_field_of_a_command_is_in_its_section(command):
    text = section(f"`{command}`")
    missing = sorted(n for n in field_names(COMMAND_INPUTS[command]) if not mentions(n, text))
    assert not missing, f"the section of {command} does not name its fields {missing}"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_commands_own_fields_are_table_rows_saying_whether_they_are_required(command):
    schema = COMMAND_INPUTS[command]
    rows = table_rows(section(f"`{command}`"))
    own = set(schema.fields) - COMMON_FIELDS
    assert set(rows) >= own, f"{command}: no table row for {sorted(own - set(rows))}"
    for name in own:
        _check_required(command, name, schema.fields[name], rows[name])
    if not own:
        assert "No fields of its own" in section(f"`{command}`")


def _check_required(where: str, name: str, field: mfields.Field, cells: list[str]) -> None:
    assert len(cells) >= 3, f"{where}: the row of {name} has no 'required' column"
    says_required = cells[2].lower().startswith("yes")
    assert says_required == field.required, (
        f"{where}: the doc says {name} is {'required' if says_required else 'optional'}; the schema disagrees"
    )


BODY_ROUTES = {
    "`POST /visits`": VISITS.create.input,
    "`POST /donors`": DONORS.create.input,
    "`POST /donors/{donor_id}/update-interests`": DONORS["update-interests"].input,
}


@pytest.mark.parametrize("title", sorted(BODY_ROUTES))
def test_the_body_fields_of_the_other_post_routes_are_table_rows(title):
    schema = BODY_ROUTES[title]
    rows = table_rows(section(title))
    assert set(rows) >= set(schema.fields), f"{title}: no table row for {sorted(set(schema.fields) - set(rows))}"
    for name, field in schema.fields.items():
        _check_required(title, name, field, rows[name])


def test_the_need_objects_fields_are_table_rows():
    need = COMMAND_INPUTS["record-needs-assessment"].fields["needs"].inner.schema
    rows = table_rows(section("`record-needs-assessment`"))
    for name, field in need.fields.items():
        _check_required("a need", name, field, rows[name])


def test_every_list_parameter_is_a_row_of_the_list_section():
    rows = table_rows(section("`GET /visits`"))
    assert set(rows) >= {field.data_key or name for name, field in ListFilters().fields.items()}


# -- rules -------------------------------------------------------------------------------------


def test_every_rule_of_the_model_is_documented():
    missing = sorted(r for r in model_rules() if not mentions(r, DOC))
    assert not missing, f"docs/api.md does not name the rules {missing}"


@pytest.mark.parametrize("command", COMMANDS)
def test_the_rules_a_command_section_names_exist(command):
    text = section(f"`{command}`")
    match = re.search(r"^Rules:(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    assert match, f"the section of {command} has no 'Rules:' paragraph"
    named = set(re.findall(r"`([a-z0-9]+(?:_[a-z0-9]+)+)`", match.group(1))) - field_names(COMMAND_INPUTS[command])
    assert named, f"{command}: 'Rules:' names no rule"
    assert named <= model_rules(), f"{command}: no such rules in model.py: {sorted(named - model_rules())}"


# -- RPC, headers, limits --------------------------------------------------------------------------


def test_every_rpc_method_is_a_row_of_the_rpc_section_and_no_other():
    rows = table_rows(section("RPC"), first_column="method")
    assert set(rows) == set(RPC_METHODS)


def test_the_headers_section_lists_every_role_and_the_body_limit_is_the_codes():
    headers = section("Headers: who is acting")
    for name in ("Authorization", "X-Correlation-Id", "role_may_not_do_this"):
        assert mentions(name, headers)
    missing = [r for r in ROLES if not mentions(r, headers)]
    assert not missing, f"roles missing from the headers section: {missing}"
    assert f"{MAX_BODY_BYTES:,}" in section("Request bodies")


def test_the_identity_headers_that_are_gone_are_not_described():
    for gone in ("X-Fieldwork-User", "X-Fieldwork-Role", "FIELDWORK_USER"):
        assert gone not in DOC, f"docs/api.md still describes {gone}"


def declared_route_roles() -> dict[tuple[str, str], set[str]]:
    """(METHOD, /path) -> the roles its ``@json_endpoint(...)`` takes (for a command table's
    step route, those of any of its steps); an empty set for a public route."""
    from shared.openapi import routes_of

    return {route.key: set(route.roles) for route in routes_of(VisitsService)}


ROUTE_ROLES = declared_route_roles()


def test_the_route_role_reader_finds_what_is_there():
    assert set(ROUTE_ROLES) == set(ROUTES)
    assert ROUTE_ROLES[("GET", "/health")] == set()
    assert ROUTE_ROLES[("POST", "/visits")] == {"visit_coordinator", "administrator"}


@pytest.mark.parametrize("method, path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_route_section_says_which_roles_it_takes(method, path):
    text = section(f"`{method} {path}`")
    match = re.search(r"^Roles:(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    assert match, f"`{method} {path}` has no 'Roles:' paragraph"
    said = set(re.findall(r"`(\w+)`", match.group(1))) & set(ROLES)
    expected = ROUTE_ROLES[(method, path)]
    if expected:
        assert said == expected, f"`{method} {path}`: the doc names {sorted(said)}, service.py {sorted(expected)}"
        assert "401" in match.group(1) and "403" in match.group(1)
    else:
        assert not said and "public" in match.group(1), f"`{method} {path}` is public"
