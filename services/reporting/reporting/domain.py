"""What the reporting service records: each event it received, once, in its own event store.

One ``ReceivedEvent`` per source event, its id the event's ``event_id``: the store's unique
(id, version) key makes a second delivery of the same event a no-op, and the store's
notification log gives every received event a local position, in the order it was recorded,
whatever order the broker delivered them in."""
from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import get_topic


class ReceivedEvent(Aggregate):
    @event("Received")
    def __init__(self, id: UUID, envelope: dict, exchange: str) -> None:  # noqa: A002
        self.envelope = envelope
        self.exchange = exchange


_TOPIC = get_topic(ReceivedEvent)


def received(envelope: dict, exchange: str) -> ReceivedEvent.Received:
    """The event that records one received message, as ``ReceivedEvent(...)`` would make it
    (the same stored state), made directly: the aggregate has nothing to decide, and building
    it took three times as long as the event."""
    return ReceivedEvent.Received(originator_id=UUID(envelope["event_id"]), originator_version=1,
                                  timestamp=ReceivedEvent.Received.create_timestamp(), originator_topic=_TOPIC,
                                  envelope=envelope, exchange=exchange)
