"""docs/api-meetings.md stays true to the code: every HTTP route, RPC method, command, input
field and rule the meetings service has is documented, in the right section, and the doc names
none it lacks.

Routes, their roles and RPC methods are read from the service class itself, the commands and
their fields from the command tables (``meetings.commands``), the rule names from ``domain/model.py`` and
``application.py`` (``RuleBroken(...)`` and ``Forbidden(...)``), the view keys from views the
service really answers.
"""
from __future__ import annotations

import ast
from uuid import UUID
import re
from pathlib import Path

import pytest
from icalendar import vDuration
from marshmallow import fields as mfields

from doc_checks import MarkdownDoc, declared_routes, declared_rpc_methods, field_names, mentions, table_rows
from shared.contract.vocabulary import ROLES
from shared.http import MAX_BODY_BYTES
from meetings.commands import GROUPS, MEETINGS, TABLES
from meetings.service import MeetingsService
from meetings.views import AWAITING, MeetingFilters
from meetings.calendar import REMINDERS
from shared.domain import DOCUMENT_NOTICE

ROOT = Path(__file__).resolve().parents[3]
API_MD = ROOT / "docs" / "api-meetings.md"
PACKAGE = ROOT / "services" / "meetings" / "meetings"
CONFIG_YML = ROOT / "services" / "meetings" / "config.yml"
# Where the service's rules are raised: the brief's two files, the shared store (which
# raises ``ids_unique`` for a client-chosen id that is taken) and the shared access control
# (``role_may_not_do_this``, for a token or an actor of a role that may not do it).
MODEL_PY = PACKAGE / "domain" / "model.py"
RULE_SOURCES = (MODEL_PY, PACKAGE / "application.py")
SHARED_RULE_SOURCES = (*sorted((ROOT / "shared" / "store").glob("*.py")), ROOT / "shared" / "auth.py", ROOT / "shared" / "http.py",
                       ROOT / "shared" / "domain.py", ROOT / "shared" / "documents.py")

DOCUMENT = MarkdownDoc(API_MD)
DOC = DOCUMENT.text
headings, section, subsections = DOCUMENT.headings, DOCUMENT.section, DOCUMENT.subsections
# The fields every command takes (occurred_at, expected_version): documented once, and named
# in each command's section.
COMMAND_INPUTS = {c.name: c.input for c in MEETINGS.steps.values()}
MEETING_COMMANDS = {c.name: c.method.__name__ for c in MEETINGS.steps.values()}
COMMON_FIELDS = set.intersection(*(set(schema.fields) for schema in COMMAND_INPUTS.values()))

# -- reading the code ----------------------------------------------------------------------


def _rules_raised_in(tree: ast.AST) -> dict[str, set[str]]:
    """Rule name -> the error classes that carry it, for the calls under ``tree``. A rule name
    is the first argument of each ``RuleBroken(...)`` / ``Forbidden(...)`` call, and of the
    helpers that raise ``RuleBroken`` with a rule they are given
    (``self._require_not_held("announce_before_the_meeting", ...)``); every string of a
    conditional first argument counts (``RuleBroken("a" if x else "b", ...)``)."""
    rules: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if name in ("RuleBroken", "Forbidden"):
            kind = name
        elif name.startswith("_require_"):
            kind = "RuleBroken"
        else:
            continue
        for constant in ast.walk(node.args[0]):
            if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                rules.setdefault(constant.value, set()).add(kind)
    return rules


def raised_rules(*paths: Path) -> dict[str, set[str]]:
    rules: dict[str, set[str]] = {}
    for path in paths:
        for rule, kinds in _rules_raised_in(ast.parse(path.read_text(encoding="utf-8"))).items():
            rules.setdefault(rule, set()).update(kinds)
    return rules


def meeting_command_rules() -> dict[str, set[str]]:
    """Command -> every rule its ``Meeting`` method can raise, itself or through the
    ``self._helpers(...)`` it calls (``_require_not_cancelled``, ``_outcome`` ...)."""
    tree = ast.parse(MODEL_PY.read_text(encoding="utf-8"))
    meeting = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Meeting")
    methods = {f.name: f for f in meeting.body if isinstance(f, ast.FunctionDef)}

    def reachable(name: str, seen: set[str]) -> set[str]:
        if name in seen or name not in methods:
            return set()
        seen.add(name)
        found = set(_rules_raised_in(methods[name]))
        for node in ast.walk(methods[name]):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"):
                found |= reachable(node.func.attr, seen)
        return found

    return {command: reachable(method, set()) for command, method in MEETING_COMMANDS.items()}


ROUTES = declared_routes(MeetingsService)
RPC_METHODS = declared_rpc_methods(MeetingsService)
SERVICE_RULES = raised_rules(*RULE_SOURCES)
SHARED_RULES = raised_rules(*SHARED_RULE_SOURCES)
KNOWN_RULES = set(SERVICE_RULES) | set(SHARED_RULES)
FORBIDDEN_RULES = {rule for rules in (SERVICE_RULES, SHARED_RULES) for rule, kinds in rules.items() if "Forbidden" in kinds}
COMMAND_RULES = meeting_command_rules()


def test_the_code_readers_find_what_is_there():
    # A reader that silently finds nothing would make every test below pass.
    assert ("GET", "/health") in ROUTES
    assert ("POST", "/meetings/{meeting_id}/{command}") in ROUTES
    assert ("GET", "/schedule.ics") in ROUTES
    assert len(ROUTES) == len(set(ROUTES)) >= 14
    assert {"schedule_meeting", "execute", "load_reference_groups"} <= set(RPC_METHODS)
    assert {
        "working_group_names_unique",  # application.py
        "announce_before_the_meeting",  # through _require_not_held
        "cancelled_meeting_cannot_change",  # inside _require_not_cancelled
        "outcome_ids_unique",  # the else branch of a conditional rule name
        "approved_outcomes_are_never_edited",
    } <= set(SERVICE_RULES)
    assert FORBIDDEN_RULES == {"only_the_chair_logs_outcomes", "role_may_not_do_this", "committee_not_yours"}
    assert {"ids_unique", "role_may_not_do_this"} <= set(SHARED_RULES)
    assert COMMAND_RULES["announce"] >= {"cancelled_meeting_cannot_change", "announce_before_the_meeting"}
    assert COMMAND_RULES["approve-outcome"] >= {"outcome_exists"}
    assert "only_the_chair_logs_outcomes" in COMMAND_RULES["log-outcome"]
    assert COMMON_FIELDS == {"occurred_at", "expected_version"}


# -- reading the doc -----------------------------------------------------------------------


def rules_paragraph(text: str) -> str | None:
    match = re.search(r"^Rules:(.*?)(?:\n\n|\Z)", text, re.S | re.M)
    return match.group(1) if match else None


def snake_names(text: str) -> set[str]:
    return set(re.findall(r"`([a-z0-9]+(?:_[a-z0-9]+)+)`", text))


# -- routes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path", ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_http_route_is_documented(method, path):
    assert mentions(f"{method} {path}", DOC), f"docs/api-meetings.md does not mention `{method} {path}`"


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
            or (want == "{command}" and part in {c.name for t in TABLES for c in t.steps.values()})
            or (want.startswith("{") and want != "{command}" and part != "")
            for part, want in zip(parts, declared)
        ):
            return True
    return False


def test_the_doc_mentions_no_route_the_service_lacks():
    mentioned = re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`\s]*)`", DOC)
    assert mentioned
    unknown = sorted({f"{m} {p}" for m, p in mentioned if not _is_declared(m, p.split("?")[0])})
    assert not unknown, f"docs/api-meetings.md mentions routes service.py does not declare: {unknown}"


def test_path_parameters_are_written_in_braces():
    # The doc's notation is {meeting_id}; werkzeug's <string:meeting_id> must not leak in.
    assert not re.search(r"<(?:\w+:)?\w+_id>", DOC)
    for placeholder in ("{group_id}", "{meeting_id}", "{command}"):
        assert mentions(placeholder, section("Base URL"))


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
    # A row for a field the command does not take would be an invented field.
    invented = sorted(set(rows) - set(schema.fields))
    assert not invented, f"{command}: the doc lists fields the schema does not take: {invented}"
    if not own:
        assert "No fields of its own" in section(f"`{command}`")


def _check_required(where: str, name: str, field: mfields.Field, cells: list[str]) -> None:
    assert len(cells) >= 3, f"{where}: the row of {name} has no 'required' column"
    says_required = cells[2].lower().startswith("yes")
    assert says_required == field.required, (
        f"{where}: the doc says {name} is {'required' if says_required else 'optional'}; the schema disagrees"
    )


BODY_ROUTES = {
    "`POST /groups`": GROUPS.create.input,
    "`POST /groups/{group_id}/assign-chair`": GROUPS["assign-chair"].input,
    "`POST /meetings`": MEETINGS.create.input,
}


@pytest.mark.parametrize("title", sorted(BODY_ROUTES))
def test_the_body_fields_of_the_other_post_routes_are_table_rows(title):
    schema = BODY_ROUTES[title]
    rows = table_rows(section(title))
    assert set(rows) >= set(schema.fields), f"{title}: no table row for {sorted(set(schema.fields) - set(rows))}"
    for name, field in schema.fields.items():
        _check_required(title, name, field, rows[name])
    invented = sorted(set(rows) - set(schema.fields))
    assert not invented, f"{title}: the doc lists fields the schema does not take: {invented}"


def test_every_list_parameter_is_a_row_of_the_list_section_and_every_awaiting_value_is_named():
    text = section("`GET /meetings`")
    rows = table_rows(text)
    assert set(rows) >= {field.data_key or name for name, field in MeetingFilters().fields.items()}
    for value in AWAITING:
        assert mentions(value, text), f"`GET /meetings` does not explain awaiting={value}"


@pytest.mark.parametrize("title", ["`GET /schedule`", "`GET /schedule.ics`", "`GET /outcomes/awaiting-approval`"])
def test_the_group_filter_of_the_schedule_routes_is_documented(title):
    assert mentions("group_id", section(title))


# -- rules -------------------------------------------------------------------------------------


def test_every_rule_of_the_model_and_the_application_is_documented():
    missing = sorted(r for r in SERVICE_RULES if not mentions(r, DOC))
    assert not missing, f"docs/api-meetings.md does not name the rules {missing}"


def test_the_rule_index_lists_every_rule_once_and_no_other():
    rows = table_rows(section("Every rule"), first_column="rule")
    assert set(rows) == KNOWN_RULES, (
        f"missing: {sorted(KNOWN_RULES - set(rows))}; invented: {sorted(set(rows) - KNOWN_RULES)}"
    )


def test_the_rule_index_gives_each_rule_its_status():
    rows = table_rows(section("Every rule"), first_column="rule")
    for rule, cells in rows.items():
        expected = "403" if rule in FORBIDDEN_RULES else "409"
        assert expected in cells[1], f"{rule}: the doc says {cells[1]}, the code answers {expected}"


@pytest.mark.parametrize("command", COMMANDS)
def test_the_rules_a_command_section_names_exist(command):
    paragraph = rules_paragraph(section(f"`{command}`"))
    assert paragraph is not None, f"the section of {command} has no 'Rules:' paragraph"
    named = snake_names(paragraph) - field_names(COMMAND_INPUTS[command])
    assert named, f"{command}: 'Rules:' names no rule"
    assert named <= KNOWN_RULES, f"{command}: no such rules in the code: {sorted(named - KNOWN_RULES)}"


@pytest.mark.parametrize("command", COMMANDS)
def test_a_command_section_names_every_rule_its_method_can_raise(command):
    paragraph = rules_paragraph(section(f"`{command}`")) or ""
    missing = sorted(r for r in COMMAND_RULES[command] if not mentions(r, paragraph))
    assert not missing, f"{command}: the 'Rules:' paragraph does not name {missing}"


def test_no_rules_paragraph_anywhere_names_a_rule_the_code_lacks():
    # Also the route sections (POST /groups, assign-chair, POST /meetings).
    paragraphs = re.findall(r"^Rules:(.*?)(?:\n\n|\Z)", DOC, re.S | re.M)
    assert len(paragraphs) >= len(COMMAND_INPUTS) + len(BODY_ROUTES)
    every_field = set().union(*(field_names(s) for s in [*COMMAND_INPUTS.values(), *BODY_ROUTES.values()]))
    named = set().union(*(snake_names(p) for p in paragraphs)) - every_field
    assert named <= KNOWN_RULES, f"no such rules in the code: {sorted(named - KNOWN_RULES)}"


def test_the_errors_section_shows_each_kind_of_refusal():
    text = section("Errors")
    for status, code in [("400", "invalid_input"), ("403", "forbidden"), ("404", "not_found"),
                         ("409", "rule_broken"), ("409", "version_conflict")]:
        assert f'"error": "{code}"' in text, f"no real example of {status} {code}"


# -- views -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_views(tmp_path_factory) -> dict:
    """A group and a meeting as the service answers them, to compare the documented keys with."""
    from nameko.testing.services import worker_factory

    from meetings.application import MeetingsApplication
    from meetings.calendar import calendar_of
    from meetings.views import meeting_page
    from shared.store import StoreSettings

    data_dir = tmp_path_factory.mktemp("meetings-doc")
    app = MeetingsApplication(env=StoreSettings(data_dir=str(data_dir)).environment("meetings"))
    service = worker_factory(MeetingsService, app=app)
    actor = {"user": "l.moreau", "role": "secretariat"}
    loaded = service.load_reference_groups(actor)
    group = service.list_groups()[0]
    scheduled = service.schedule_meeting(
        {"group_id": group["id"], "meeting_kind": "working_group", "title": "t",
         "starts_at": "2025-06-10T15:00:00Z", "ends_at": "2025-06-10T18:00:00Z", "occurred_at": "2025-05-02T09:00:00Z"},
        actor,
    )
    meeting = app.get_meeting(UUID(scheduled["id"]))
    return {"loaded": loaded, "group": group, "meeting": meeting_page(meeting, app.find_group(meeting.group_id), actor),
            "summary": service.list_meetings({})[0], "schedule": calendar_of(app).decode()}


def test_every_key_of_the_meeting_view_is_documented(real_views):
    text = section("The meeting view")
    missing = sorted(k for k in real_views["meeting"] if not mentions(k, text))
    assert not missing, f"the meeting view section does not name {missing}"


def test_the_summary_keys_are_the_ones_the_list_section_names(real_views):
    text = section("`GET /meetings`")
    missing = sorted(k for k in real_views["summary"] if not mentions(k, text))
    assert not missing, f"`GET /meetings` does not name the summary keys {missing}"


def test_every_key_of_the_group_view_is_documented(real_views):
    text = section("The working group view")
    missing = sorted(k for k in real_views["group"] if not mentions(k, text))
    assert not missing, f"the working group view section does not name {missing}"


def test_the_reference_groups_are_named(real_views):
    text = section("`POST /groups/load-reference`")
    assert len(real_views["loaded"]) == 4
    for entry in real_views["loaded"]:
        assert entry["name"] in text


# -- the calendar feed -------------------------------------------------------------------------


def test_the_calendar_section_states_the_documents_notice_and_the_reminders():
    hours = int(DOCUMENT_NOTICE.total_seconds() // 3600)
    assert f"{hours} hours" in section("`circulate-document`")
    feed = section("`GET /schedule.ics`")
    for before in REMINDERS:
        trigger = vDuration(-before).to_ical().decode()
        assert f"TRIGGER:{trigger}" in feed, f"the feed section does not show the reminder {trigger}"
    for word in ("UID", "SEQUENCE", "STATUS", "CANCELLED", "TENTATIVE", "subscribe by URL"):
        assert word in feed


def test_the_calendar_excerpt_has_the_shape_the_service_writes(real_views):
    feed = section("`GET /schedule.ics`")
    real = real_views["schedule"]
    for line in ("BEGIN:VCALENDAR", "METHOD:PUBLISH", "X-WR-CALNAME:Committee meetings"):
        assert line in real
    assert "BEGIN:VCALENDAR" in feed and "METHOD:PUBLISH" in feed
    assert re.search(r"^UID:[0-9a-f-]{36}@fieldwork$", feed, re.M)
    assert re.search(r"^UID:[0-9a-f-]{36}@fieldwork\r?$", real, re.M)


# -- RPC, headers, limits, base URL, CLI ----------------------------------------------------------


def test_every_rpc_method_is_a_row_of_the_rpc_section_and_no_other():
    rows = table_rows(section("RPC"), first_column="method")
    assert set(rows) == set(RPC_METHODS)


def test_the_headers_section_lists_every_role_and_the_body_limit_is_the_codes():
    headers = section("Headers: who is acting")
    for name in ("Authorization", "X-Correlation-Id", "role_may_not_do_this", "only_the_chair_logs_outcomes"):
        assert mentions(name, headers)
    missing = [r for r in ROLES if not mentions(r, headers)]
    assert not missing, f"roles missing from the headers section: {missing}"
    assert f"{MAX_BODY_BYTES:,}" in section("Request bodies")


def test_the_identity_headers_that_are_gone_are_not_described():
    for gone in ("X-Fieldwork-User", "X-Fieldwork-Role", "FIELDWORK_USER"):
        assert gone not in DOC, f"docs/api-meetings.md still describes {gone}"


def declared_route_roles() -> dict[tuple[str, str], set[str]]:
    """(METHOD, /path) -> the roles its ``@json_endpoint(...)`` takes (for a command table's
    step route, those of any of its steps); an empty set for a public route."""
    from shared.openapi import routes_of

    return {route.key: set(route.roles) for route in routes_of(MeetingsService)}


ROUTE_ROLES = declared_route_roles()


def test_the_route_role_reader_finds_what_is_there():
    assert set(ROUTE_ROLES) == set(ROUTES)
    assert ROUTE_ROLES[("GET", "/schedule.ics")] == set() and ROUTE_ROLES[("GET", "/health")] == set()
    assert "working_group_chair" in ROUTE_ROLES[("POST", "/meetings/{meeting_id}/{command}")]


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




def test_the_base_url_is_the_configs_default():
    match = re.search(r"\$\{MEETINGS_HTTP_ADDRESS:([^}]+)\}", CONFIG_YML.read_text(encoding="utf-8"))
    assert match, "config.yml no longer reads MEETINGS_HTTP_ADDRESS"
    text = section("Base URL")
    assert f"`http://{match.group(1)}`" in text
    assert mentions("MEETINGS_HTTP_ADDRESS", text)


def test_every_cli_command_is_in_the_cli_section_and_no_other():
    from meetings.cli import meetings

    text = section("The CLI")
    named: set[str] = set()
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) >= 3 and cells[0].startswith("`"):
            named |= set(re.findall(r"`([a-z][a-z-]*)`", cells[0]))
    assert named == set(meetings.commands), (
        f"missing: {sorted(set(meetings.commands) - named)}; invented: {sorted(named - set(meetings.commands))}"
    )
    for command in ("load-groups", "groups", "assign-chair", "schedule", "announce", "circulate-document",
                    "hold", "log-outcome", "report-to-committee", "approve-outcome", "calendar-url"):
        assert f"fieldwork meetings {command}" in text, f"the walk-through does not run {command}"
    assert "FIELDWORK_TOKEN=$(fieldwork admin issue-token --user chair.fr --role working_group_chair)" in text
