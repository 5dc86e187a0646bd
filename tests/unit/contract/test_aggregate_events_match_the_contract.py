"""Every event an aggregate can store has its place in the contract, with the same fields: no
command can store an event the outbox relay could not publish, nor one whose payload would
lose a field on the way (the relay's envelope takes the schema's fields only)."""
from __future__ import annotations

import inspect

import pytest
from eventsourcing.domain import Aggregate

from shared.contract import CATALOGUE
from shared.contract.catalogue import wire_name
from meetings.domain import CommitteeMembership, Meeting, WorkingGroup
from visits.domain.model import Donor, RegisteredOrganization, Visit
from notifications.domain import Contact, Notification

AGGREGATES = (Visit, Donor, RegisteredOrganization, WorkingGroup, Meeting, CommitteeMembership, Contact, Notification)
# what every event of the library carries, and the context every event of ours does: in the
# envelope, not the payload
ENVELOPE_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "originator_id_type", "ctx"}


def events_of(aggregate: type) -> list[tuple[str, type]]:
    """The event classes the library made from the aggregate's ``@event`` methods (its bases
    ``Event`` and ``Created`` left out: each aggregate is created by an event of its own name)."""
    return [(name, value) for name, value in vars(aggregate).items()
            if inspect.isclass(value) and issubclass(value, Aggregate.Event) and name not in ("Created", "Event")]


def fields_of(event_class: type) -> set[str]:
    annotations: dict = {}
    for klass in reversed(event_class.__mro__):
        annotations.update(getattr(klass, "__annotations__", {}))
    return set(annotations) - ENVELOPE_FIELDS


EVENTS = [(aggregate.__name__, name, cls) for aggregate in AGGREGATES for name, cls in events_of(aggregate)]


def test_the_reader_finds_the_aggregates_events():
    assert len(EVENTS) >= 35
    assert ("Visit", "ConsentGranted") in {(a, n) for a, n, _ in EVENTS}
    assert fields_of(Visit.VisitScheduled) == {"starts_on", "ends_on"}


@pytest.mark.parametrize("aggregate, name, event_class", EVENTS, ids=[f"{a}.{n}" for a, n, _ in EVENTS])
def test_each_aggregate_event_is_in_the_contract_with_the_same_fields(aggregate, name, event_class):
    event_type = wire_name(name)
    assert event_type in CATALOGUE, f"{aggregate}.{name} stores {event_type!r}, which the contract does not know"
    payload = set(CATALOGUE[event_type].schema().fields)
    assert fields_of(event_class) == payload, (
        f"{event_type}: the aggregate's event has {sorted(fields_of(event_class) - payload)} the payload lacks, "
        f"the payload has {sorted(payload - fields_of(event_class))} the event lacks")


def test_every_event_of_the_contract_is_stored_by_an_aggregate():
    assert {wire_name(name) for _, name, _ in EVENTS} == set(CATALOGUE)
