"""What the reporting service records: each event it received, once, in its own event store.

One ``ReceivedEvent`` per source event, its id the event's ``event_id``: the store's unique
(id, version) key makes a second delivery of the same event a no-op, and the store's
notification log gives every received event a local position, in the order it was recorded,
whatever order the broker delivered them in."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import get_topic


class ReceivedEvent(Aggregate):
    @event("Received")
    def __init__(self, id: UUID, envelope: dict, exchange: str) -> None:  # noqa: A002
        self.envelope = envelope
        self.exchange = exchange


_TOPIC = get_topic(ReceivedEvent)
RECEIVED_TOPIC = get_topic(ReceivedEvent.Received)
_DATETIME = "datetime_iso"  # how the library's JSON transcoder tags a datetime


def received(envelope: dict, exchange: str) -> ReceivedEvent.Received:
    """The event that records one received message, as ``ReceivedEvent(...)`` would make it
    (the same stored state), made directly: the aggregate has nothing to decide, and building
    it took three times as long as the event."""
    return ReceivedEvent.Received(originator_id=UUID(envelope["event_id"]), originator_version=1,
                                  timestamp=ReceivedEvent.Received.create_timestamp(), originator_topic=_TOPIC,
                                  envelope=envelope, exchange=exchange)


class ReceivedTranscoder(JSONTranscoder):
    """The reporting store's transcoder, installed through the library's seam
    (``ReportingApplication.construct_transcoder``): the library's JSON transcoder, but a
    received event's state (its timestamp the one tagged value, the envelope plain JSON as it
    came off the wire) is written and read in one ``orjson`` call, three to eight times faster
    than the library's ``json`` with its object hook; and an envelope is never read as
    tagged values (an object ``{"_type_": ..., "_data_": ...}`` in a payload stays as it came).
    Anything else (another state, or bytes the strict parser refuses) is the library's."""

    def encode(self, obj: Any) -> bytes:
        if type(obj) is dict and obj.keys() == _STATE_KEYS and type(obj["timestamp"]) is datetime:
            state = self.received_state(obj["envelope"], obj["exchange"], obj["timestamp"])
            if state is not None:
                return state
        return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        decoded = self.received(data)
        if decoded is None:
            return super().decode(data)
        envelope, timestamp, exchange = decoded
        return {"timestamp": timestamp, "originator_topic": _TOPIC, "envelope": envelope, "exchange": exchange}

    @staticmethod
    def received_state(envelope: dict, exchange: str, timestamp: datetime) -> bytes | None:
        """A received event's state, as ``encode`` writes it (None: not JSON values, such as an
        integer past 64 bits: the library's way)."""
        try:
            return orjson.dumps({"timestamp": {"_type_": _DATETIME, "_data_": timestamp.isoformat()},
                                 "originator_topic": _TOPIC, "envelope": envelope, "exchange": exchange})
        except TypeError:
            return None

    @staticmethod
    def received(state: bytes) -> tuple[dict, datetime, str] | None:
        """(envelope, timestamp, exchange) of a received event's state, in one ``orjson.loads``;
        None for a state laid out otherwise, or JSON the strict parser refuses."""
        try:
            decoded = orjson.loads(state)
        except orjson.JSONDecodeError:  # not strict JSON (written by another version?)
            return None
        try:  # a dict of exactly _STATE_KEYS (four keys, each there), else None
            if len(decoded) != 4 or decoded["originator_topic"] != _TOPIC:
                return None
            stamp, envelope, exchange = decoded["timestamp"], decoded["envelope"], decoded["exchange"]
        except (KeyError, TypeError):
            return None
        if type(stamp) is dict and stamp.get("_type_") == _DATETIME and type(envelope) is dict:
            return envelope, datetime.fromisoformat(stamp["_data_"]), exchange
        return None


_STATE_KEYS = {"timestamp", "originator_topic", "envelope", "exchange"}


def plain_json(mapper: Mapper) -> bool:
    """Whether the store keeps a received event's state as ``ReceivedTranscoder`` writes it
    (neither compressed nor encrypted): then it can be written and read without the mapper's
    event objects."""
    return isinstance(mapper.transcoder, ReceivedTranscoder) and mapper.cipher is None and mapper.compressor is None


def stored(envelope: dict, exchange: str, mapper: Mapper) -> StoredEvent:
    """The stored form of ``received(envelope, exchange)``. Where the store keeps plain JSON
    (``plain_json``), the transcoder's state made directly, without the event object (three
    times faster than the mapper); else by the mapper."""
    if plain_json(mapper):
        state = ReceivedTranscoder.received_state(envelope, exchange, datetime.now(timezone.utc))
        if state is not None:
            return StoredEvent(originator_id=UUID(envelope["event_id"]), originator_version=1, topic=RECEIVED_TOPIC,
                               state=state)
    return mapper.to_stored_event(received(envelope, exchange))


def recorded_envelope(event: StoredEvent, mapper: Mapper) -> dict:
    """The envelope one stored received event holds: read by ``from_state`` where the store
    keeps plain JSON, else by the mapper."""
    decoded = from_state(event.state) if plain_json(mapper) else None
    return decoded[0] if decoded else mapper.to_domain_event(event).envelope


def from_state(state: bytes) -> tuple[dict, datetime] | None:
    """(envelope, timestamp) of a received event's state as ``ReceivedTranscoder`` writes it,
    without the mapper's event object; None: the mapper's to decode."""
    decoded = ReceivedTranscoder.received(state)
    return None if decoded is None else (decoded[0], decoded[1])
