"""docs/reports.md stays true to the code: every HTTP route and RPC method of the reporting
service, every query parameter of ``GET /reports``, every option of ``fieldwork reports
build``, every dead-letter reason of the contract, every format, every key of the report JSON
(semi-annual and annual) with its type, and every key of ``GET /status`` and ``GET /health``
is documented; and the doc's JSON schema names no key a real report lacks.

Routes and RPC methods are read from the text of ``service.py`` (its decorators), the dead-letter
reasons from ``shared/contract/catalogue.py`` (the ``ContractViolation(...)`` calls), the query
fields from ``ReportQuery`` itself, the report keys from reports really built by
``reporting.reports.build_report`` from records folded by ``reporting.records.fold`` out of
valid envelopes made by ``shared.contract.build_envelope``, and the status and health keys from
answers of a real ``ReportingApplication`` over a SQLite store, with kombu's in-memory broker (or none).
The queue type and delivery limit are read from the broker definitions.

The doc writes a key path with dots, ``[]`` for the items of a list, and a ``{placeholder}``
for the keys of an object whose keys are data (a thematic area, a committee, a figure's name):
``visits.conducted[].member_state``, ``visits.needs.by_area.{thematic_area}.high``.
"""
from __future__ import annotations

import ast
import inspect
import json
import re
import uuid
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import kombu
import doc_checks
import pytest

from shared.contract import CATALOGUE, build_envelope, encode_envelope
from shared.contract.vocabulary import ALL_THEMATIC_AREAS, COMMITTEES
from shared.messaging import topology
from shared.messaging.consumer import QueueConsumer
from shared.store import StoreSettings
from reporting import dependencies
from reporting.service import ReportingService
from reporting.views import ReportQuery
from reporting.application import ReportingApplication
from reporting.reports import BASES
from reporting.cli import build as build_command
from reporting.dependencies import DEAD_LETTER_QUEUE, QUEUE, ReportingRuntime
from reporting.projection import ProjectionRunner
from reporting.worker import Workers
from reporting.formats import FORMATS, render
from reporting.intake import INTAKE_REASONS, Incoming
from reporting.projection import EMPTY_HASH, chain
from reporting.records import fold
from reporting.reports import KINDS, annual, build_report, semi_annual
from shared.domain import DOCUMENT_NOTICE

ROOT = Path(__file__).resolve().parents[3]
REPORTS_MD = ROOT / "docs" / "reports.md"
CATALOGUE_PY = ROOT / "shared" / "contract" / "catalogue.py"
DEFINITIONS_JSON = ROOT / "deploy" / "rabbitmq" / "definitions.json"

DOC = REPORTS_MD.read_text(encoding="utf-8")

# Objects whose keys are data, and the placeholder the doc writes for their keys.
REPORT_MAPS = {
    "visits.conducted_by_committee": "{committee}",
    "visits.needs.by_area": "{thematic_area}",
    "visits.recommendations.by_area": "{thematic_area}",
    "key_figures": "{figure}",
}
STATUS_MAPS = {
    "dead_letters": "{reason}",
    "open_dead_letters": "{reason}",
    "last_event_by_source": "{source}",
    "broker": "{queue}",
}
JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


# -- a few valid envelopes -------------------------------------------------------------------


def when(moment: str) -> datetime:
    """``"2025-01-10"`` (09:00 UTC) or ``"2025-01-10T15:30"``, in UTC."""
    return datetime.fromisoformat(moment if "T" in moment else moment + "T09:00").replace(tzinfo=timezone.utc)


class Stream:
    """Envelopes as the owning services put them on the wire, versions numbered per aggregate."""

    def __init__(self) -> None:
        self.envelopes: list[dict] = []
        self.versions: dict[uuid.UUID, int] = defaultdict(int)

    def emit(self, event_type: str, aggregate_id: uuid.UUID, at: str, payload: dict | None = None) -> None:
        moment = when(at)
        self.versions[aggregate_id] += 1
        self.envelopes.append(build_envelope(
            event_type=event_type, aggregate_id=aggregate_id, aggregate_version=self.versions[aggregate_id],
            occurred_at=moment, recorded_at=moment + timedelta(minutes=5), user="ana", role="secretariat",
            correlation_id=f"docs-{len(self.envelopes)}", payload_source=payload or {},
        ))


def envelopes() -> list[dict]:
    """One donor, one working group, two visits and two meetings in 2025 (and one visit in
    2024), and the notifications of one meeting's announcement, enough for every list of the
    report to have an item."""
    s = Stream()
    donor, group = uuid.uuid4(), uuid.uuid4()
    s.emit("donor_registered", donor, "2024-01-15", {"name": "Government of Canada", "donor_kind": "state",
                                                     "thematic_areas": ["border_control"]})
    s.emit("working_group_established", group, "2024-06-03", {"name": "Working Group 1", "committee": "1540",
                                                              "mandate_area": "monitoring"})
    s.emit("chair_assigned", group, "2024-06-03T10:00", {"chair_member_state": "FRA", "chair_user": "chair.fr"})

    earlier = uuid.uuid4()  # conducted in 2024: the previous period of the annual report's trends
    s.emit("visit_proposed", earlier, "2024-02-01", {"member_state": "NGA", "committee": "ctc",
                                                     "origin": "committee_selection"})
    s.emit("visit_approved", earlier, "2024-02-02")
    s.emit("consent_requested", earlier, "2024-02-05", {"due_on": date.fromisoformat("2024-03-05")})
    s.emit("consent_granted", earlier, "2024-02-20")
    s.emit("visit_scheduled", earlier, "2024-02-21", {"starts_on": date.fromisoformat("2024-05-13"), "ends_on": date.fromisoformat("2024-05-17")})
    s.emit("visit_started", earlier, "2024-05-13")
    s.emit("visit_completed", earlier, "2024-05-17T17:00")
    # its report transmitted in 2024, never answered: owed at the end of 2025's periods (the backlog)
    s.emit("visit_report_drafted", earlier, "2024-06-01", {"summary": "Findings.", "draft": 1, "recommendations": [
        {"recommendation_id": "R1", "thematic_area": "law_enforcement", "priority": "medium", "text": "Train.",
         "due_on": date.fromisoformat("2024-12-31")}]})
    s.emit("visit_report_adopted", earlier, "2024-06-10", {"draft": 1, "note": ""})
    s.emit("visit_report_transmitted", earlier, "2024-06-15", {"observations_due_on": date.fromisoformat("2024-07-15"),
                                                               "response_due_on": date.fromisoformat("2024-12-15")})

    visit = uuid.uuid4()
    s.emit("visit_proposed", visit, "2025-01-06", {"member_state": "KEN", "committee": "ctc",
                                                   "origin": "state_invitation"})
    s.emit("visit_approved", visit, "2025-01-07")
    s.emit("consent_requested", visit, "2025-01-10", {"due_on": date.fromisoformat("2025-02-10")})
    s.emit("consent_granted", visit, "2025-01-20")
    s.emit("organization_invited", visit, "2025-01-22", {"organization": "UNODC", "kind": "un_body"})
    s.emit("pre_visit_info_requested", visit, "2025-01-23", {"organization": "UNODC", "due_on": date.fromisoformat("2025-03-01")})
    s.emit("visit_scheduled", visit, "2025-02-05", {"starts_on": date.fromisoformat("2025-03-10"), "ends_on": date.fromisoformat("2025-03-14")})
    s.emit("visit_started", visit, "2025-03-10")
    s.emit("pre_visit_info_received", visit, "2025-03-11", {"organization": "UNODC", "late": True,
                                                            "after_due_date": True})
    s.emit("visit_completed", visit, "2025-03-14T17:00", {"organizations_taking_part": ["UNODC"],
                                                         "team": ["CTED: legal expert"]})
    s.emit("needs_assessment_recorded", visit, "2025-03-20", {"assessment_version": 1, "needs": [
        {"need_id": "KEN-01", "thematic_area": "border_control", "description": "scanners", "priority": "high"},
        {"need_id": "KEN-02", "thematic_area": "legislation", "description": "a law", "priority": "low"},
    ]})
    s.emit("donor_sharing_consent_granted", visit, "2025-04-01")
    s.emit("needs_assessment_shared", visit, "2025-04-02", {
        "donor_id": donor, "donor_name": "Government of Canada", "need_ids": ["KEN-01"],
        "assessment_version": 1, "consent_version": s.versions[visit]})
    s.emit("visit_report_drafted", visit, "2025-03-25", {"summary": "Findings.", "draft": 1, "recommendations": [
        {"recommendation_id": "R1", "thematic_area": "border_control", "priority": "high", "text": "Screen."},
        {"recommendation_id": "R2", "thematic_area": "legislation", "priority": "low", "text": "Legislate."}]})
    s.emit("visit_report_adopted", visit, "2025-04-10", {"draft": 1, "note": ""})
    s.emit("visit_report_transmitted", visit, "2025-04-15", {"observations_due_on": date.fromisoformat("2025-05-15"),
                                                             "response_due_on": date.fromisoformat("2025-10-15")})
    s.emit("state_reminded", visit, "2025-05-20", {"answer": "observations", "due_on": date.fromisoformat("2025-05-15"),
                                                   "note": ""})
    s.emit("state_answer_received", visit, "2025-05-25", {"answer": "observations", "summary": "",
                                                          "due_on": date.fromisoformat("2025-05-15"), "days_late": 10})
    s.emit("recommendation_status_updated", visit, "2025-06-01", {"recommendation_id": "R1", "status": "in_progress",
                                                                  "previous_status": "not_started", "evidence": ""})
    s.emit("follow_up_recorded", visit, "2025-06-10", {"summary": "Committee updated."})

    unfollowed = uuid.uuid4()  # conducted in 2025, no follow-up at all
    s.emit("visit_proposed", unfollowed, "2025-01-08", {"member_state": "SEN", "committee": "1540",
                                                        "origin": "state_invitation"})
    s.emit("visit_approved", unfollowed, "2025-01-09")
    s.emit("visit_scheduled", unfollowed, "2025-01-10", {"starts_on": date.fromisoformat("2025-02-17"),
                                                         "ends_on": date.fromisoformat("2025-02-20")})
    s.emit("visit_started", unfollowed, "2025-02-17")
    s.emit("visit_completed", unfollowed, "2025-02-20T17:00")

    pending = uuid.uuid4()
    s.emit("visit_proposed", pending, "2025-02-01", {"member_state": "PHL", "committee": "1540",
                                                     "origin": "committee_selection"})
    s.emit("visit_approved", pending, "2025-02-02")
    s.emit("consent_requested", pending, "2025-02-03", {"due_on": date.fromisoformat("2025-03-03")})

    unreported = uuid.uuid4()  # held in 2024, never reported: the backlog of 2025's periods
    s.emit("meeting_scheduled", unreported, "2024-10-01", {"group_id": group, "meeting_kind": "working_group",
                                                           "title": "WG1 meeting 3/2024",
                                                           "starts_at": when("2024-11-04T15:00"),
                                                           "ends_at": when("2024-11-04T18:00")})
    s.emit("meeting_announced", unreported, "2024-10-02", {"announced_to": "all_council_delegations"})
    s.emit("meeting_held", unreported, "2024-11-04T15:00")

    held_late = uuid.uuid4()  # a late document; never reported to the Committee
    s.emit("meeting_scheduled", held_late, "2025-01-06", {"group_id": group, "meeting_kind": "working_group",
                                                          "title": "WG1 meeting 1/2025",
                                                          "starts_at": when("2025-02-03T15:00"),
                                                          "ends_at": when("2025-02-03T18:00")})
    s.emit("meeting_announced", held_late, "2025-01-07", {"announced_to": "all_council_delegations"})
    announcement = s.envelopes[-1]
    # its notifications: Kenya's two addresses (one refused, one sent: delivered), France's refused
    for member_state, contact, outcome in (("KEN", 1, "notification_failed"), ("KEN", 2, "notification_sent"),
                                           ("FRA", 1, "notification_failed")):
        notification = uuid.uuid4()
        s.emit("notification_recorded", notification, "2025-01-07T09:01", {
            "cause_event_id": announcement["event_id"], "cause_event_type": "meeting_announced",
            "notice": "meeting_announced", "subject_kind": "meeting", "subject_id": held_late, "committee": "1540",
            "regarding_on": date.fromisoformat("2025-02-03"), "contact_id": uuid.uuid4(), "role": "delegation",
            "recipient": f"Permanent Mission ({member_state})",
            "email": f"{member_state.lower()}{contact}@un.example.org", "member_state": member_state, "subject": "Announcement: WG1 meeting 1/2025", "text": "Announced.",
            "html": "<p>Announced.</p>"})
        answer = "250 OK" if outcome == "notification_sent" else "550 Recipient address rejected"
        s.emit(outcome, notification, "2025-01-07T09:02", {"attempt": 1, "answer": answer})
    s.emit("document_circulated", held_late, "2025-02-01T15:00", {"document_id": "WG1-2025-01-A", "title": "Draft",
                                                                  "hours_before_meeting": 48.0})
    s.emit("meeting_held", held_late, "2025-02-03T15:00", {"delegations": ["FRA", "KEN"], "organizations": ["UNODC"],
                                                           "experts": ["Group of experts"]})
    s.emit("outcome_logged", held_late, "2025-02-04", {"outcome_id": "D1", "outcome_kind": "decision",
                                                       "text": "Agreed."})
    s.emit("outcome_logged", held_late, "2025-02-04T11:00", {"outcome_id": "A1", "outcome_kind": "action_item",
                                                             "text": "Write to the States.", "owner": "the experts",
                                                             "due_on": date.fromisoformat("2025-03-04")})
    no_documents = uuid.uuid4()  # no document; reported; its outcome approved
    s.emit("meeting_scheduled", no_documents, "2025-03-03", {"group_id": group, "meeting_kind": "working_group",
                                                             "title": "WG1 meeting 2/2025",
                                                             "starts_at": when("2025-04-07T15:00"),
                                                             "ends_at": when("2025-04-07T18:00")})
    s.emit("meeting_announced", no_documents, "2025-04-07T15:30", {"announced_to": "all_council_delegations"})
    s.emit("meeting_held", no_documents, "2025-04-07T16:00")  # announced half an hour after its start
    s.emit("outcome_logged", no_documents, "2025-04-08", {"outcome_id": "R1", "outcome_kind": "recommendation",
                                                          "text": "Recommended."})
    s.emit("meeting_reported_to_committee", no_documents, "2025-04-14T15:00", {"summary": "Reported.",
                                                                              "outcome_ids": ["R1"]})
    s.emit("outcome_approved", no_documents, "2025-04-20", {"outcome_id": "R1"})
    return s.envelopes


def records_of(events: list[dict]) -> dict[str, dict]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for envelope in events:
        grouped[envelope["aggregate_id"]].append(envelope)
    return {a: fold(CATALOGUE[evs[0]["event_type"]].aggregate, evs) for a, evs in grouped.items()}


def provenance_of(events: list[dict]) -> dict:
    events_hash = EMPTY_HASH
    for envelope in events:
        events_hash = chain(events_hash, envelope["event_id"])
    return {"as_of": None, "basis": "recorded", "events": len(events), "stream_position": len(events),
            "events_hash": events_hash}


@pytest.fixture(scope="module")
def reports() -> dict[str, dict]:
    events = envelopes()
    records = records_of(events)
    # Through the JSON renderer and back: the report exactly as GET /reports answers it.
    return {
        kind: json.loads(render(build_report(records, kind, period, provenance_of(events)), "json"))
        for kind, period in (("semi-annual", semi_annual(2025, 1)), ("annual", annual(2025)))
    }


# -- key paths -------------------------------------------------------------------------------


def json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def key_paths(value, maps: dict[str, str], path: str = "", found: dict | None = None) -> dict[str, set[str]]:
    """Every path under ``value`` -> the JSON types seen there."""
    found = {} if found is None else found
    if path:
        found.setdefault(path, set()).add(json_type(value))
    if isinstance(value, dict):
        for key, item in value.items():
            name = maps.get(path, key)
            key_paths(item, maps, f"{path}.{name}" if path else name, found)
    elif isinstance(value, list):
        for item in value:
            key_paths(item, maps, f"{path}[]", found)
    return found


def section(heading: str) -> str:
    """The text of the doc's section ``heading`` (up to the next heading of its level or higher)."""
    match = re.search(rf"^(#+) {re.escape(heading)}\s*$", DOC, re.M)
    assert match, f"docs/reports.md has no section {heading!r}"
    level = len(match.group(1))
    rest = DOC[match.end():]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def documented_paths(text: str) -> dict[str, set[str]]:
    """``| `path` | type | meaning |`` rows -> the JSON types named in the type column."""
    rows = {}
    for path, types in re.findall(r"^\| `([^`]+)` \| ([^|]+) \|", text, re.M):
        rows[path] = {t for t in JSON_TYPES if re.search(rf"\b{t}\b", types)}
    return rows


REPORT_SCHEMA_HEADING = "The report JSON, key by key"


@pytest.mark.parametrize("kind", KINDS)
def test_every_key_of_a_real_report_is_documented_with_its_type(reports, kind):
    documented = documented_paths(section(REPORT_SCHEMA_HEADING))
    real = key_paths(reports[kind], REPORT_MAPS)
    missing = sorted(set(real) - set(documented))
    assert not missing, f"report keys missing from docs/reports.md: {missing}"
    wrong = {p: (sorted(t), sorted(documented[p])) for p, t in real.items() if not t <= documented[p]}
    assert not wrong, f"documented types do not match the real report (real, documented): {wrong}"


def test_the_schema_documents_no_key_a_report_lacks(reports):
    real = set(key_paths(reports["semi-annual"], REPORT_MAPS)) | set(key_paths(reports["annual"], REPORT_MAPS))
    stale = sorted(set(documented_paths(section(REPORT_SCHEMA_HEADING))) - real)
    assert not stale, f"docs/reports.md documents keys no report has: {stale}"


@pytest.mark.parametrize("kind", KINDS)
def test_the_test_reports_fill_every_list(reports, kind):
    """Paths inside list items are seen only when the lists have items."""
    paths = key_paths(reports[kind], REPORT_MAPS)
    empty = sorted(p for p, types in paths.items() if "array" in types and f"{p}[]" not in paths)
    assert not empty, f"the test's envelopes leave these lists of the {kind} report empty: {empty}"
    assert ("trends" in reports[kind]) == (kind == "annual")


# A path: names or {placeholders} joined by dots, each optionally followed by [] (list items).
PATH = re.compile(r"(?:[a-z_]+|\{[a-z_]+\})(?:\[\])*(?:\.(?:[a-z_]+|\{[a-z_]+\})(?:\[\])*)*")


@pytest.mark.parametrize("heading", [REPORT_SCHEMA_HEADING, "`GET /status`"])
def test_documented_paths_follow_the_notation(heading):
    rows = documented_paths(section(heading))
    assert rows, f"no key table under {heading!r}"
    bad = sorted(p for p in rows if not PATH.fullmatch(p))
    assert not bad, f"paths not in the notation (dots, [] for list items, {{placeholder}} for data keys): {bad}"
    untyped = sorted(p for p, types in rows.items() if not types)
    assert not untyped, f"paths without a JSON type: {untyped}"
    for notation in ("`[]`", "`{"):
        assert notation in DOC


def test_map_keys_are_what_the_placeholders_say(reports):
    for report in reports.values():
        assert set(report["visits"]["conducted_by_committee"]) <= set(COMMITTEES)
        assert set(report["visits"]["needs"]["by_area"]) <= set(ALL_THEMATIC_AREAS)
        assert set(report["key_figures"]) == {f["figure"] for f in reports["annual"]["trends"]["figures"]}


def test_every_key_figure_is_named_and_explained(reports):
    text = section("Key figures and trends")
    for name in reports["annual"]["key_figures"]:
        assert f"| `{name}` |" in text, f"key figure {name!r} is not explained in docs/reports.md"


# -- routes, RPC, query, CLI -----------------------------------------------------------------


def declared_routes() -> list[tuple[str, str]]:
    return doc_checks.declared_routes(ReportingService)


def declared_rpc_methods() -> list[str]:
    return doc_checks.declared_rpc_methods(ReportingService)


def test_service_py_declares_routes_and_rpc_methods():
    assert len(declared_routes()) >= 7 and set(declared_rpc_methods()) >= {"status", "report"}


@pytest.mark.parametrize("method,path", declared_routes())
def test_every_route_is_documented(method, path):
    assert f"`{method} {path}`" in DOC, f"route {method} {path} is not documented"
    section(f"`{method} {path}`")  # a section of its own (the routes table is generated: shared.reference)


@pytest.mark.parametrize("method", declared_rpc_methods())
def test_every_rpc_method_is_documented(method):
    assert f"| `{method}` |" in section("RPC"), f"RPC method {method} is not documented"


def query_table() -> list[str]:
    return re.findall(r"^\| `(\w+)` \|", section("Query parameters"), re.M)


def test_every_query_field_of_report_query_is_documented():
    assert sorted(query_table()) == sorted(ReportQuery().fields)


def test_query_values_are_documented():
    text = section("Query parameters")
    for value in (*KINDS, *FORMATS, *BASES):
        assert f"`{value}`" in text, f"{value!r} is not named among the query parameters"


def test_every_option_of_fieldwork_reports_build_is_documented():
    text = section("The CLI")
    for param in build_command.params:
        for option in param.opts:
            if option.startswith("--"):
                assert f"`{option}" in text, f"option {option} of `fieldwork reports build` is not documented"


def test_every_format_is_documented_with_its_content_type():
    text = section("Formats")
    for fmt, content_type in FORMATS.items():
        assert re.search(rf"^\| `{fmt}` \| `{re.escape(content_type)}` \|", text, re.M), fmt


# -- dead letters --------------------------------------------------------------------------


def contract_reasons() -> set[str]:
    tree = ast.parse(CATALOGUE_PY.read_text(encoding="utf-8"))
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "ContractViolation"
        and node.args and isinstance(node.args[0], ast.Constant)
    }


def test_the_contract_has_the_seven_reasons():
    assert contract_reasons() == {"not_json", "wrong_content_type", "not_an_object", "invalid_envelope",
                                  "unknown_event_type", "unknown_schema_version", "invalid_payload"}


def test_every_dead_letter_reason_is_documented():
    listed = set(re.findall(r"^\| `(\w+)` \|", section("Dead letters"), re.M))
    reasons = contract_reasons() | set(INTAKE_REASONS)
    assert listed == reasons, (
        f"reasons missing: {sorted(reasons - listed)}; not in the code: {sorted(listed - reasons)}"
    )
    assert "| `broker_delivery_limit` (and `broker_<reason>`) |" in section("Dead letters")


def test_topology_names_are_documented():
    for name in (QUEUE, DEAD_LETTER_QUEUE, "fieldwork.dead-letters", "x-fieldwork-reason", "x-death",
                 "delivery-limit"):
        assert f"`{name}`" in DOC, name
    assert f"{DOCUMENT_NOTICE.total_seconds() / 3600:g} hours" in DOC


def test_the_queue_and_its_delivery_limit_are_as_the_broker_definitions_say():
    definitions = json.loads(DEFINITIONS_JSON.read_text(encoding="utf-8"))
    queue = next(q for q in definitions["queues"] if q["name"] == QUEUE)
    assert queue["durable"] and queue["arguments"].get("x-queue-type") == "quorum"
    assert f"durable **quorum** queue `{QUEUE}`" in DOC
    policy = next(p for p in definitions["policies"] if re.fullmatch(p["pattern"], QUEUE))
    assert f"`delivery-limit` of {policy['definition']['delivery-limit']}**" in DOC
    assert f"`{policy['name']}`" in DOC and f"`{policy['definition']['dead-letter-exchange']}`" in DOC
    bindings = {(b["source"], b["routing_key"]) for b in definitions["bindings"] if b["destination"] == QUEUE}
    assert bindings == {("visits.events", "#"), ("meetings.events", "#"), ("notifications.events", "#")}
    queue_text = DOC[DOC.index("- **The queue.**"):DOC.index("- **Batches.**")]
    for source, _ in bindings:
        assert f"`{source}`" in queue_text, f"docs/reports.md does not say the queue is bound to {source}"


# -- status and health ---------------------------------------------------------------------


MEMORY_BROKER = "memory://"
RPC_QUEUE = "rpc-reporting"


@pytest.fixture
def runtime(tmp_path):
    """A ReportingRuntime without nameko: a real application over SQLite, a consumer that never
    ran, and kombu's in-memory broker holding the service's queues (without consumers)."""
    with kombu.Connection(MEMORY_BROKER) as connection:
        channel = connection.channel()
        for name in (QUEUE, DEAD_LETTER_QUEUE, RPC_QUEUE):
            channel.queue_declare(name)
    runtime = object.__new__(ReportingRuntime)
    runtime.app = ReportingApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("reporting"))
    runtime.store_kind = "sqlite"
    runtime.amqp_uri = MEMORY_BROKER
    runtime.consumer = QueueConsumer(MEMORY_BROKER, QUEUE, lambda messages: [])
    runtime.dead_letter_consumer = QueueConsumer(MEMORY_BROKER, DEAD_LETTER_QUEUE, lambda messages: [])
    runtime.projector = ProjectionRunner(runtime.app.projection)
    runtime.workers = Workers({}, size=1)  # none started: the status tells what a pool holds
    messages = [Incoming(encode_envelope(e), "application/json", CATALOGUE[e["event_type"]].exchange, e["event_type"])
                for e in envelopes()]
    runtime.app.intake.receive(messages + [Incoming(b"not json", "application/json", "visits.events", "x")])
    return runtime


def status_answer(runtime) -> dict:
    runtime.app.runtime_status = runtime.broker_status
    return runtime.app.status()


def test_every_status_key_is_documented_with_its_type(runtime):
    answer = status_answer(runtime)
    assert set(answer["last_event_by_source"]) == {"visits.events", "meetings.events", "notifications.events"}
    assert {QUEUE, DEAD_LETTER_QUEUE} <= set(answer["broker"]) and "error" not in answer["broker"]
    assert answer["intake"] == {"recorded": len(envelopes()), "duplicate": 0, "dead_lettered": 1}
    documented = documented_paths(section("`GET /status`"))
    real = key_paths(answer, STATUS_MAPS)
    missing = sorted(set(real) - set(documented))
    assert not missing, f"status keys missing from docs/reports.md: {missing}"
    wrong = {p: (sorted(t), sorted(documented[p])) for p, t in real.items() if not t <= documented[p]}
    assert not wrong, f"documented types do not match the real status (real, documented): {wrong}"


def test_a_broker_that_does_not_answer_is_documented(runtime, monkeypatch):
    def refused(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(dependencies.kombu, "Connection", refused)
    answer = status_answer(runtime)
    assert set(answer["broker"]) == {"error"}
    documented = documented_paths(section("`GET /status`"))
    assert "string" in documented["broker.error"]
    healthy, health = runtime.health()
    assert not healthy and health["status"] == "unhealthy"


def test_the_status_table_documents_no_key_the_status_lacks(runtime):
    # Keys only a broker in trouble gives: no answer at all, or a queue that does not exist.
    real = set(key_paths(status_answer(runtime), STATUS_MAPS)) | {"broker.error"}
    if '"missing": True' in inspect.getsource(topology):
        real.add("broker.{queue}.missing")
    stale = sorted(set(documented_paths(section("`GET /status`"))) - real)
    assert not stale, f"docs/reports.md documents status keys the service lacks: {stale}"


def test_the_events_hash_recipe_gives_the_projection_s_hash(runtime):
    """The doc's Python recipe, run over the event ids in the reporting store's order, gives the
    hash the projection computed."""
    recipe = re.search(r"```python\n(.*?)```", section("Provenance and determinism"), re.S)
    assert recipe, "the provenance section has no Python recipe for the events hash"
    namespace: dict = {}
    exec(recipe.group(1), namespace)  # noqa: S102 - the doc's own example
    runtime.app.projection.catch_up()
    in_store_order = [envelope["event_id"] for _, envelope, _ in runtime.app.projection.all_received()]
    assert len(in_store_order) == len(envelopes())
    assert namespace["events_hash"]([]) == EMPTY_HASH and EMPTY_HASH in DOC
    assert namespace["events_hash"](in_store_order) == runtime.app.projection.provenance()["events_hash"]


def test_every_health_key_is_documented(runtime):
    healthy, answer = runtime.health()
    assert not healthy and answer["status"] == "unhealthy"  # the in-memory queues have no consumer
    text = section("`GET /health`")
    for key in answer:
        assert f"| `{key}` |" in text, f"health key {key!r} is not documented"
    assert "| `store_error` |" in text
    for problem in answer.get("problems", []):  # "not consuming: None": the part before the colon
        assert f"`{problem.split(':')[0]}" in text, f"health problem {problem!r} is not documented"
