"""The event contract: the catalogue against DOMAIN.md, what validate_envelope refuses and
accepts, decoding, event ids, and docs/events.md generated from the catalogue."""
from __future__ import annotations

import copy
import json
from datetime import datetime, timezone
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from shared.contract import (
    CATALOGUE,
    CONTENT_TYPE,
    MEETINGS_EXCHANGE,
    NOTIFICATIONS_EXCHANGE,
    VISITS_EXCHANGE,
    ContractViolation,
    build_envelope,
    decode_message,
    encode_envelope,
    event_id_for,
    validate_envelope,
)
from shared.contract import docs
from shared.contract.envelope import EnvelopeSchema

ROOT = Path(__file__).resolve().parents[3]
EVENTS_MD = ROOT / "docs" / "events.md"

# DOMAIN.md, sections 1 and 2, literally.
VISIT_EVENTS = [
    "visit_proposed",
    "visit_approved",
    "consent_requested",
    "consent_granted",
    "consent_declined",
    "organization_invited",
    "pre_visit_info_requested",
    "pre_visit_info_received",
    "visit_scheduled",
    "visit_started",
    "visit_completed",
    "needs_assessment_recorded",
    "donor_sharing_consent_granted",
    "donor_sharing_consent_declined",
    "donor_sharing_consent_withdrawn",
    "needs_assessment_shared",
    "needs_assessment_share_revoked",  # issue 9: a revocation notice to a donor
    "follow_up_recorded",
    "visit_closed",
    "visit_cancelled",
    "visit_postponed",
]
MEETING_EVENTS = [
    "working_group_established",
    "chair_assigned",
    "meeting_scheduled",
    "meeting_announced",
    "document_circulated",
    "meeting_held",
    "outcome_logged",
    "meeting_reported_to_committee",
    "outcome_approved",
    "outcome_communicated",
    "open_meeting_held",
    "meeting_cancelled",
    "meeting_postponed",
]

EXAMPLES = docs.example_envelopes()
EXAMPLE_IDS = [f"{e['event_type']}-v{e['schema_version']}" for e in EXAMPLES]


def example(event_type: str) -> dict:
    """A fresh, mutable copy of the documented example of an event type."""
    found = [e for e in EXAMPLES if e["event_type"] == event_type]
    return copy.deepcopy(found[-1])


def refused(message) -> ContractViolation:
    with pytest.raises(ContractViolation) as caught:
        validate_envelope(message)
    return caught.value


# -- (a) docs/events.md is generated from the catalogue ------------------------------------------


def test_events_md_is_what_the_renderer_produces():
    rendered = docs.render_events_markdown()
    current = EVENTS_MD.read_text(encoding="utf-8") if EVENTS_MD.exists() else ""
    assert current == rendered, (
        "docs/events.md is out of date with the event catalogue: "
        "run `python -m shared.contract.docs > docs/events.md`"
    )


def test_rendering_is_deterministic():
    assert docs.render_events_markdown() == docs.render_events_markdown()


def test_every_event_type_has_a_section_and_an_example():
    rendered = docs.render_events_markdown()
    for name, spec in CATALOGUE.items():
        assert f"### `{name}`" in rendered
        for version in spec.versions:
            assert (name, version) in {(e["event_type"], e["schema_version"]) for e in EXAMPLES}


def test_every_envelope_field_is_documented():
    rendered = docs.render_events_markdown()
    for name in EnvelopeSchema().fields:
        assert f"| `{name}` |" in rendered


def test_an_invalid_example_stops_the_renderer(monkeypatch):
    bad = copy.deepcopy(docs.EXAMPLE_PAYLOADS)
    bad["visit_proposed"][1]["member_state"] = "XYZ"
    monkeypatch.setattr(docs, "EXAMPLE_PAYLOADS", bad)
    with pytest.raises(ContractViolation) as caught:
        docs.render_events_markdown()
    assert caught.value.reason == "invalid_payload"


def test_an_event_whose_schema_says_nothing_of_its_meaning_stops_the_renderer(monkeypatch):
    from shared.contract import meetings

    monkeypatch.setattr(meetings.MeetingHeld, "__doc__", None)
    with pytest.raises(KeyError, match="MeetingHeld"):
        docs.render_events_markdown()


def test_a_field_without_a_meaning_stops_the_renderer(monkeypatch):
    field = CATALOGUE["visit_scheduled"].schema().fields["ends_on"]
    monkeypatch.setattr(field, "metadata", {})
    with pytest.raises(KeyError, match="VisitScheduled.ends_on"):
        docs.render_events_markdown()


def test_each_event_and_each_of_its_fields_says_what_it_means():
    for name, spec in CATALOGUE.items():
        schema = spec.schema()
        assert docs.summary_of(type(schema)), name
        for field in schema.fields:
            assert len(docs.meaning_of(schema, field)) > 10, f"{name}.{field}"


def test_check_accepts_the_generated_file(tmp_path):
    path = tmp_path / "events.md"
    path.write_text(docs.render_events_markdown(), encoding="utf-8")
    assert docs.main(["--check", str(path)]) == 0


def test_check_refuses_a_stale_file(tmp_path, capsys):
    path = tmp_path / "events.md"
    path.write_text(docs.render_events_markdown().replace("visit_proposed", "visit_suggested"), encoding="utf-8")
    assert docs.main(["--check", str(path)]) == 1
    assert "python -m shared.contract.docs > docs/events.md" in capsys.readouterr().err


def test_check_refuses_a_missing_file(tmp_path, capsys):
    assert docs.main(["--check", str(tmp_path / "nope.md")]) == 1
    assert "python -m shared.contract.docs > docs/events.md" in capsys.readouterr().err


def test_main_prints_the_document(capsys):
    assert docs.main([]) == 0
    assert capsys.readouterr().out == docs.render_events_markdown()


# -- (b) the catalogue holds every event type of DOMAIN.md on its exchange ------------------------


@pytest.mark.parametrize("name", VISIT_EVENTS)
def test_visit_events_travel_on_visits_events(name):
    assert name in CATALOGUE
    assert CATALOGUE[name].exchange == VISITS_EXCHANGE == "visits.events"
    assert CATALOGUE[name].name == name


@pytest.mark.parametrize("name", MEETING_EVENTS)
def test_meeting_events_travel_on_meetings_events(name):
    assert name in CATALOGUE
    assert CATALOGUE[name].exchange == MEETINGS_EXCHANGE == "meetings.events"
    assert CATALOGUE[name].name == name


NOTIFICATION_EVENTS = ["contact_listed", "contact_changed", "contact_ended", "notification_recorded",
                       "notification_sent", "notification_deferred", "notification_failed"]


@pytest.mark.parametrize("name", NOTIFICATION_EVENTS)
def test_the_directory_and_notifications_travel_on_notifications_events(name):
    assert CATALOGUE[name].exchange == NOTIFICATIONS_EXCHANGE == "notifications.events"
    assert CATALOGUE[name].aggregate in ("contact", "notification")


def test_catalogue_has_nothing_but_domain_events_and_the_few_the_domain_needs_besides():
    extra = set(CATALOGUE) - set(VISIT_EVENTS) - set(MEETING_EVENTS) - set(NOTIFICATION_EVENTS)
    assert extra == {"donor_registered", "donor_interests_updated", "due_date_reset", "consent_withdrawn",
                     "committee_membership_recorded", "committee_membership_revised", "organization_registered",
                     # the visit's report and its follow-up (issue 20)
                     "visit_report_drafted", "visit_report_adopted", "visit_report_transmitted",
                     "state_answer_received", "state_reminded", "recommendation_status_updated", "follow_up_ended",
                     # the Committee's decisions (issue 20)
                     "outcome_corrected", "outcome_decided", "action_item_status_changed",
                     # documents as files (issue 23)
                     "document_file_attached", "visit_file_attached"}
    assert {CATALOGUE[n].aggregate for n in extra} == {"donor", "visit", "committee_membership", "organization",
                                                       "meeting"}
    assert {CATALOGUE[n].exchange for n in extra if CATALOGUE[n].aggregate not in ("committee_membership", "meeting")} \
        == {VISITS_EXCHANGE}


# -- (c) validate_envelope -------------------------------------------------------------------------


@pytest.mark.parametrize("envelope", EXAMPLES, ids=EXAMPLE_IDS)
def test_documented_examples_are_accepted(envelope):
    loaded = validate_envelope(json.loads(json.dumps(envelope)))
    assert loaded["event_id"] == UUID(envelope["event_id"])
    assert loaded["event_id"] == event_id_for(UUID(envelope["aggregate_id"]), envelope["aggregate_version"])
    assert loaded["occurred_at"].tzinfo is not None


CURRENT = [e for e in EXAMPLES if e["schema_version"] == CATALOGUE[e["event_type"]].current_version]


@pytest.mark.parametrize("envelope", CURRENT, ids=[f"{e['event_type']}-v{e['schema_version']}" for e in CURRENT])
def test_publisher_rebuilds_the_documented_example(envelope):
    """build_envelope from the loaded values gives the documented JSON back: load and dump of
    every payload schema agree on the wire format (a publisher publishes the current version)."""
    loaded = validate_envelope(json.loads(json.dumps(envelope)))
    rebuilt = build_envelope(
        event_type=loaded["event_type"],
        aggregate_id=loaded["aggregate_id"],
        aggregate_version=loaded["aggregate_version"],
        occurred_at=loaded["occurred_at"],
        recorded_at=loaded["recorded_at"],
        user=loaded["actor"]["user"],
        role=loaded["actor"]["role"],
        correlation_id=loaded["correlation_id"],
        payload_source=loaded["payload"],
    )
    assert rebuilt == envelope


@pytest.mark.parametrize("message", [[], "visit_proposed", 42, None, ["event_id"]])
def test_refuses_what_is_not_an_object(message):
    assert refused(message).reason == "not_an_object"


@pytest.mark.parametrize("field", list(EnvelopeSchema().fields))
def test_refuses_a_missing_envelope_field(field):
    message = example("visit_proposed")
    del message[field]
    violation = refused(message)
    assert violation.reason == "invalid_envelope"
    assert field in violation.detail


def test_refuses_an_unknown_envelope_field():
    message = example("visit_proposed")
    message["priority"] = "high"
    violation = refused(message)
    assert violation.reason == "invalid_envelope"
    assert "priority" in violation.detail


def test_refuses_an_unknown_event_type():
    message = example("visit_proposed")
    message["event_type"] = "visit_teleported"
    violation = refused(message)
    assert violation.reason == "unknown_event_type"
    assert violation.detail == "visit_teleported"


def test_refuses_an_unknown_schema_version():
    message = example("visit_proposed")
    message["schema_version"] = 99
    assert refused(message).reason == "unknown_schema_version"


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True])
def test_refuses_a_schema_version_that_is_no_version(version):
    message = example("visit_proposed")
    message["schema_version"] = version
    violation = refused(message)
    assert violation.reason == "invalid_envelope"
    assert "schema_version" in violation.detail


@pytest.mark.parametrize(
    "event_type, field, value",
    [
        ("visit_proposed", "member_state", 404),
        ("consent_requested", "due_on", "next week"),
        ("pre_visit_info_received", "late", "maybe"),
        ("needs_assessment_recorded", "needs", "border control"),
        ("needs_assessment_recorded", "assessment_version", "1"),
        ("needs_assessment_shared", "donor_id", "not-a-uuid"),
        ("needs_assessment_shared", "consent_version", 1.5),
        ("meeting_scheduled", "starts_at", 1781103600),
        ("document_circulated", "hours_before_meeting", "three days"),
        ("open_meeting_held", "outcome_ids", "WG2-2026-03-R1"),
    ],
)
def test_refuses_a_payload_field_of_the_wrong_type(event_type, field, value):
    message = example(event_type)
    message["payload"][field] = value
    violation = refused(message)
    assert violation.reason == "invalid_payload"
    assert field in violation.detail


def test_refuses_a_payload_that_is_not_an_object():
    message = example("visit_proposed")
    message["payload"] = ["KEN"]
    assert refused(message).reason == "invalid_envelope"


def test_refuses_an_unknown_payload_field():
    message = example("consent_granted")
    message["payload"]["granted_by"] = "Ministry of Foreign Affairs"
    violation = refused(message)
    assert violation.reason == "invalid_payload"
    assert "granted_by" in violation.detail


def test_refuses_a_missing_required_payload_field():
    message = example("visit_proposed")
    del message["payload"]["committee"]
    violation = refused(message)
    assert violation.reason == "invalid_payload"
    assert "committee" in violation.detail


@pytest.mark.parametrize("field", ["occurred_at", "recorded_at"])
def test_refuses_a_naive_timestamp(field):
    message = example("visit_proposed")
    message[field] = "2026-03-02T09:30:00"
    violation = refused(message)
    assert violation.reason == "invalid_envelope"
    assert field in violation.detail


def test_refuses_a_naive_datetime_in_a_payload():
    message = example("meeting_scheduled")
    message["payload"]["starts_at"] = "2026-06-10T15:00:00"
    violation = refused(message)
    assert violation.reason == "invalid_payload"
    assert "starts_at" in violation.detail


@pytest.mark.parametrize("code", ["XYZ", "ken", "KE", "KENY", "", "KEN\n"])
def test_refuses_an_unknown_member_state(code):
    message = example("visit_proposed")
    message["payload"]["member_state"] = code
    violation = refused(message)
    assert violation.reason == "invalid_payload"
    assert "member_state" in violation.detail


def test_refuses_an_unknown_chair_member_state():
    message = example("chair_assigned")
    message["payload"]["chair_member_state"] = "XYZ"
    assert refused(message).reason == "invalid_payload"


@pytest.mark.parametrize(
    "event_type, field, value",
    [
        ("visit_proposed", "committee", "1267"),
        ("organization_invited", "kind", "ngo"),
        ("meeting_announced", "announced_to", "press"),
        ("outcome_communicated", "recipients", "donors"),
    ],
)
def test_refuses_a_value_outside_its_vocabulary(event_type, field, value):
    message = example(event_type)
    message["payload"][field] = value
    assert refused(message).reason == "invalid_payload"


def test_refuses_an_unknown_thematic_area_in_a_need():
    message = example("needs_assessment_recorded")
    message["payload"]["needs"][0]["thematic_area"] = "space_security"
    violation = refused(message)
    assert violation.reason == "invalid_payload"
    assert "needs" in violation.detail


def test_refuses_an_unknown_actor_role():
    message = example("visit_proposed")
    message["actor"]["role"] = "ambassador"
    violation = refused(message)
    assert violation.reason == "invalid_envelope"
    assert "actor" in violation.detail


@pytest.mark.parametrize("ident", ["o 1", "o-1\n", "", "x" * 101])
def test_refuses_a_malformed_identifier(ident):
    message = example("outcome_approved")
    message["payload"]["outcome_id"] = ident
    violation = refused(message)
    assert violation.reason == "invalid_payload"
    assert "outcome_id" in violation.detail


def test_refuses_an_implausible_date():
    message = example("visit_scheduled")
    message["payload"]["ends_on"] = "9999-05-22"
    assert refused(message).reason == "invalid_payload"


def test_optional_payload_fields_take_their_defaults():
    message = example("visit_proposed")
    del message["payload"]["purpose"]
    assert validate_envelope(message)["payload"]["purpose"] == ""
    message = example("meeting_held")
    del message["payload"]["organizations"]
    assert validate_envelope(message)["payload"]["organizations"] == []


# -- (d) decode_message ----------------------------------------------------------------------------


def test_decode_accepts_an_encoded_example():
    envelope = example("consent_granted")
    decoded = decode_message(encode_envelope(envelope), CONTENT_TYPE)
    assert decoded["event_type"] == "consent_granted"


@pytest.mark.parametrize("body", [b"not json", b"{\"event_id\": ", b"\xff\xfe\x00garbage", b""])
def test_decode_refuses_what_is_not_json(body):
    with pytest.raises(ContractViolation) as caught:
        decode_message(body, CONTENT_TYPE)
    assert caught.value.reason == "not_json"


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-python-serialize"])
def test_decode_refuses_a_wrong_content_type(content_type):
    with pytest.raises(ContractViolation) as caught:
        decode_message(encode_envelope(example("consent_granted")), content_type)
    assert caught.value.reason == "wrong_content_type"


def test_decode_refuses_a_json_array():
    with pytest.raises(ContractViolation) as caught:
        decode_message(b"[1, 2]", CONTENT_TYPE)
    assert caught.value.reason == "not_an_object"


# -- (e) event ids ---------------------------------------------------------------------------------


def test_event_id_is_stable_for_the_same_aggregate_version():
    aggregate = uuid4()
    assert event_id_for(aggregate, 3) == event_id_for(aggregate, 3)
    assert event_id_for(aggregate, 3) == event_id_for(UUID(str(aggregate)), 3)


def test_event_id_differs_across_versions_and_aggregates():
    aggregate = uuid4()
    ids = {event_id_for(aggregate, v) for v in range(1, 51)}
    assert len(ids) == 50
    assert event_id_for(aggregate, 1) != event_id_for(uuid4(), 1)


def test_a_republished_event_carries_the_same_id():
    aggregate = uuid4()
    moment = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
    kwargs = dict(
        event_type="consent_granted",
        aggregate_id=aggregate,
        aggregate_version=4,
        occurred_at=moment,
        recorded_at=moment,
        user="a.mensah",
        role="visit_coordinator",
        correlation_id="req-1",
        payload_source={},
    )
    first, again = build_envelope(**kwargs), build_envelope(**kwargs)
    assert first["event_id"] == again["event_id"] == str(event_id_for(aggregate, 4))


def test_an_event_id_names_the_command_that_stored_it_and_old_events_keep_theirs():
    aggregate = uuid4()
    assert event_id_for(aggregate, 3, "c1") == event_id_for(aggregate, 3, "c1")  # a re-publish
    assert event_id_for(aggregate, 3, "c1") != event_id_for(aggregate, 3, "c2")  # a restored store's new event
    assert event_id_for(aggregate, 3, "") == event_id_for(aggregate, 3)  # stored before command ids


def test_every_command_gets_a_command_id_of_its_own_and_a_stored_event_keeps_it():
    """The id is made with the context (each command), stored with the event, and read back
    unchanged: so every re-publish names the event alike; a context stored before command ids
    reads back with none."""
    from datetime import datetime, timezone

    from shared.domain import Context
    from shared.store import ContextAsDict

    now = datetime.now(timezone.utc)
    one, two = (Context(occurred_at=now, user="ana", role="visit_coordinator", correlation_id="r") for _ in range(2))
    assert one.command_id and one.command_id != two.command_id
    transcoding = ContextAsDict()
    assert transcoding.decode(transcoding.encode(one)) == one
    old = {k: v for k, v in transcoding.encode(one).items() if k != "command_id"}
    assert transcoding.decode(old).command_id == ""
