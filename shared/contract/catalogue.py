"""The catalogue: every event type, the exchange it travels on, and its payload schema per
schema version. Consumers validate against it; publishers build envelopes with it."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import orjson
from marshmallow import Schema, ValidationError

from shared.contract import meetings, notifications, visits
from shared.contract.envelope import EnvelopeSchema, plain_envelope
from shared.domain import EVENT_ID_NAMESPACE, event_id

VISITS_EXCHANGE = "visits.events"
MEETINGS_EXCHANGE = "meetings.events"
NOTIFICATIONS_EXCHANGE = "notifications.events"
CONTENT_TYPE = "application/json"

# Event ids are derived from (aggregate id, version, the command that stored it): unique per
# stored event, never made again by a restored store, and the same every time the outbox relay
# (re)publishes it, so that consumers can deduplicate on them (shared.domain.event_id).


@dataclass(frozen=True)
class EventType:
    name: str  # snake_case, the routing key
    exchange: str
    aggregate: str  # visit, donor, working_group, meeting
    versions: dict[int, type[Schema]]

    @property
    def current_version(self) -> int:
        return max(self.versions)

    def schema(self, version: int | None = None) -> Schema:
        """The payload schema of a version; one instance each, reused (a marshmallow schema
        keeps no state between loads, and building one costs more than a load)."""
        key = (self.name, version or self.current_version)
        schema = _SCHEMAS.get(key)
        if schema is None:
            schema = _SCHEMAS[key] = self.versions[key[1]]()
        return schema


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def wire_name(event_class_name: str) -> str:
    """The event type on the wire for a class name: ``ConsentGranted`` -> ``consent_granted``."""
    return _CAMEL.sub("_", event_class_name).lower()


_SCHEMAS: dict[tuple[str, int], Schema] = {}
_ENVELOPE = EnvelopeSchema()


def _types(module, exchange: str) -> dict[str, EventType]:
    """Every event type of one module of payload schemas, in the order they are defined: the
    schemas that name their ``aggregate`` (a nested schema, such as a need, names none)."""
    found: dict[str, EventType] = {}
    for class_name, schema in vars(module).items():
        if isinstance(schema, type) and issubclass(schema, Schema) and isinstance(getattr(schema, "aggregate", None), str):
            # a schema names its event type and version where they are not its name's and 1
            name = getattr(schema, "event_type", None) or wire_name(class_name)
            version = getattr(schema, "schema_version", 1)
            event_type = found.setdefault(name, EventType(name, exchange, schema.aggregate, {}))
            event_type.versions[version] = schema
    return found


# Every event type, in lifecycle order (the order of the payload schemas in their modules).
CATALOGUE: dict[str, EventType] = {**_types(visits, VISITS_EXCHANGE), **_types(meetings, MEETINGS_EXCHANGE),
                                   **_types(notifications, NOTIFICATIONS_EXCHANGE)}


class ContractViolation(Exception):
    """A message that is not a valid event of the contract; ``reason`` says why."""

    def __init__(self, reason: str, detail: Any = None) -> None:
        super().__init__(reason if detail is None else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


event_id_for = event_id  # the contract's name for it (shared.domain.event_id)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat()


def build_envelope(
    *,
    event_type: str,
    aggregate_id: UUID,
    aggregate_version: int,
    occurred_at: datetime,
    recorded_at: datetime,
    user: str,
    role: str,
    correlation_id: str,
    payload_source: Any,
    command_id: str = "",
) -> dict:
    """The JSON-ready envelope of one event. ``payload_source`` is any object (a domain event)
    or mapping holding the payload fields: the schema picks the fields it names, so the
    contract, not the domain, decides what goes on the wire."""
    spec = CATALOGUE[event_type]
    schema = spec.schema()
    if isinstance(payload_source, dict):
        values = {k: payload_source[k] for k in schema.fields if k in payload_source}
    else:
        values = {k: getattr(payload_source, k) for k in schema.fields if hasattr(payload_source, k)}
    payload = schema.dump(values)
    return {
        "event_id": str(event_id_for(aggregate_id, aggregate_version, command_id)),
        "event_type": event_type,
        "aggregate_id": str(aggregate_id),
        "aggregate_version": aggregate_version,
        "occurred_at": _iso(occurred_at),
        "recorded_at": _iso(recorded_at),
        "actor": {"user": user, "role": role},
        "correlation_id": correlation_id,
        "schema_version": spec.current_version,
        "payload": payload,
    }


def validate_envelope(message: Any) -> dict:
    """Check a decoded message against the contract; returns it with typed values
    (UUIDs, datetimes, dates) or raises ContractViolation naming the reason."""
    if not isinstance(message, dict):
        raise ContractViolation("not_an_object", type(message).__name__)
    envelope = plain_envelope(message)
    if envelope is None:
        try:
            envelope = _ENVELOPE.load(message)
        except ValidationError as error:
            raise ContractViolation("invalid_envelope", error.messages) from None
    spec = CATALOGUE.get(envelope["event_type"])
    if spec is None:
        raise ContractViolation("unknown_event_type", envelope["event_type"])
    if envelope["schema_version"] not in spec.versions:
        raise ContractViolation(
            "unknown_schema_version", f"{envelope['event_type']} v{envelope['schema_version']}"
        )
    try:
        envelope["payload"] = spec.schema(envelope["schema_version"]).load(envelope["payload"])
    except ValidationError as error:
        raise ContractViolation("invalid_payload", error.messages) from None
    return envelope


def canonical_envelope(envelope: dict) -> dict:
    """A validated envelope (typed values) back to JSON values in one canonical form: times in
    UTC ISO 8601, the payload dumped by its schema. Equal events give equal JSON."""
    spec = CATALOGUE[envelope["event_type"]]
    payload = {k: v.astimezone(timezone.utc) if isinstance(v, datetime) else v for k, v in envelope["payload"].items()}
    return {
        "event_id": str(envelope["event_id"]),
        "event_type": envelope["event_type"],
        "aggregate_id": str(envelope["aggregate_id"]),
        "aggregate_version": envelope["aggregate_version"],
        "occurred_at": _iso(envelope["occurred_at"]),
        "recorded_at": _iso(envelope["recorded_at"]),
        "actor": {"user": envelope["actor"]["user"], "role": envelope["actor"]["role"]},
        "correlation_id": envelope["correlation_id"],
        "schema_version": envelope["schema_version"],
        "payload": spec.schema(envelope["schema_version"]).dump(payload),
    }


def decode_message(body: bytes | str, content_type: str | None) -> dict:
    """Bytes from the broker to a validated envelope, or ContractViolation."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in (CONTENT_TYPE, ""):
        raise ContractViolation("wrong_content_type", content_type)
    try:
        # orjson: strict RFC 8259 JSON in UTF-8, five times faster than json.loads here; it
        # refuses what no store could keep (a lone surrogate, NaN, a number past a double)
        message = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ContractViolation("not_json", str(error)) from None
    return validate_envelope(message)


def encodable(value: Any) -> bool:
    """Whether every string in a decoded JSON value is valid Unicode (JSON's \\ud800 escapes
    decode to lone surrogates, which no store can encode)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        return False
    return True


def encode_envelope(envelope: dict) -> bytes:
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()
