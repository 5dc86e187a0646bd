"""The event contract between the services: one envelope, one schema per event type."""
from shared.contract.catalogue import (  # noqa: F401
    CATALOGUE,
    CONTENT_TYPE,
    MEETINGS_EXCHANGE,
    NOTIFICATIONS_EXCHANGE,
    VISITS_EXCHANGE,
    ContractViolation,
    EventType,
    build_envelope,
    canonical_envelope,
    decode_message,
    encode_envelope,
    event_id_for,
    validate_envelope,
    wire_name,
)
