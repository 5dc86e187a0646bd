"""Every command is in its service's table, once, and the table is true to the code: each
command an aggregate offers is reached by one row; each row's use case is a named method of the
service's application that calls the row's aggregate method and takes every field of the row's
input; no use case hides a method of the event-sourcing library's Application; and every use
case an application has is some row's (or runs one)."""
from __future__ import annotations

import inspect

import pytest

from shared.store import FieldworkApplication
from shared.services import manifests
from meetings.application import MeetingsApplication
from meetings.domain import CommitteeMembership, Meeting, WorkingGroup
from visits.application import VisitsApplication
from notifications.application import NotificationsApplication
from notifications.domain import Contact
from visits.domain import Donor, RegisteredOrganization, Visit

APPLICATIONS = {"visits": VisitsApplication, "meetings": MeetingsApplication,
                "notifications": NotificationsApplication}
# (A notification's steps, sent, deferred, failed, are the sender's: recorded by the service,
# never a user's command; so ``Notification`` is not here.)
AGGREGATES = (Visit, Donor, RegisteredOrganization, WorkingGroup, Meeting, CommitteeMembership, Contact)
CREATORS = {Visit: "propose", Meeting: "schedule", Donor: "__init__", WorkingGroup: "__init__",
            CommitteeMembership: "__init__", RegisteredOrganization: "__init__", Contact: "list"}


def takes_a_context(function) -> bool:
    parameters = [p for p in inspect.signature(function).parameters if p not in ("self", "cls")]
    return bool(parameters) and parameters[0] == "ctx"


def aggregate_commands(aggregate: type) -> set:
    """The commands an aggregate offers: its public methods that take a Context first (the
    method that creates it aside)."""
    return {value for name, value in vars(aggregate).items()
            if inspect.isfunction(value) and not name.startswith("_") and name != CREATORS[aggregate]
            and takes_a_context(value)}


TABLES = {manifest.name: manifest.commands() for manifest in manifests() if manifest.commands}
ROWS = [(service, table, command) for service, tables in TABLES.items() for table in tables for command in table]


def test_the_readers_find_what_is_there():
    assert set(TABLES) == {"visits", "meetings", "notifications"}
    assert len(ROWS) >= 35
    assert Visit.schedule in aggregate_commands(Visit) and Meeting.log_outcome in aggregate_commands(Meeting)
    assert Visit.waiting_for not in aggregate_commands(Visit)


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda a: a.__name__)
def test_each_command_of_an_aggregate_is_reached_by_one_row(aggregate):
    reached = [command.method for _, _, command in ROWS if command.method is not None]
    for method in aggregate_commands(aggregate):
        assert reached.count(method) == 1, f"{aggregate.__name__}.{method.__name__}: {reached.count(method)} rows"


@pytest.mark.parametrize("service, table, command", ROWS, ids=[f"{s}:{c.name}" for s, _, c in ROWS])
def test_a_rows_use_case_is_its_applications_named_method_and_calls_its_aggregate_method(service, table, command):
    application = APPLICATIONS[service]
    name = command.use_case.__name__
    assert getattr(application, name, None) is command.use_case, f"{name} is not a method of {application.__name__}"
    assert not hasattr(FieldworkApplication, name), f"{name} hides the library's Application.{name}"
    source = inspect.getsource(command.use_case)
    called = CREATORS[_aggregate_of(command)] if command.creates else command.method.__name__
    if called == "__init__":
        called = _aggregate_of(command).__name__
    assert f"{called}(" in source, f"{name} does not call {called}"


def _aggregate_of(command):
    if command.method is not None:
        return next(a for a in AGGREGATES if command.method in aggregate_commands(a))
    annotation = inspect.signature(command.use_case).return_annotation
    return next(a for a in AGGREGATES if a.__name__ == annotation)


@pytest.mark.parametrize("service, table, command", ROWS, ids=[f"{s}:{c.name}" for s, _, c in ROWS])
def test_a_rows_use_case_takes_every_field_of_its_input(service, table, command):
    parameters = inspect.signature(command.use_case).parameters
    takes_more = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    fields = set(command.input.fields) - {"occurred_at"}  # it is the Context's
    missing = sorted(f for f in fields if f not in parameters and not takes_more)
    assert not missing, f"{command.name}: {command.use_case.__name__} does not take {missing}"
    if not command.creates:
        assert "expected_version" in parameters and table.ident not in fields


@pytest.mark.parametrize("service", sorted(APPLICATIONS))
def test_every_use_case_of_an_application_is_a_rows_or_runs_one(service):
    application = APPLICATIONS[service]
    use_cases = {command.use_case.__name__ for s, _, command in ROWS if s == service}
    for name, method in vars(application).items():
        if name.startswith("_") or not inspect.isfunction(method) or not takes_a_context(method):
            continue
        source = inspect.getsource(method)
        assert name in use_cases or any(f"self.{u}(" in source for u in use_cases), (
            f"{application.__name__}.{name} changes records outside the command table")
