"""A meeting document's files (Meeting.attach_file): a file attaches to a document circulated,
one file a version and language, versions in order, one symbol; each rejection adds nothing.
And the store keeps the bytes with the event, or neither (shared.store.files)."""
from __future__ import annotations

import hashlib

import pytest

from shared.errors import InvalidInput, RuleBroken

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"


def metadata(content: bytes = PDF, **given) -> dict:
    return {"version": "original", "language": "en", "symbol": "", "file_name": "matrix.pdf",
            "media_type": "application/pdf", "size": len(content), "sha256": hashlib.sha256(content).hexdigest(),
            **given}


def refused(meeting, rule: str, ctx, **given) -> None:
    with pytest.raises(RuleBroken) as broken:
        meeting.attach_file(ctx, **{"document_id": "doc-1", **metadata(**given)})
    assert broken.value.rule == rule
    assert meeting.collect_events() == []


def test_a_file_attaches_to_the_document_circulated_and_takes_its_symbol(make, ctx):
    meeting = make.meeting_with_document()
    meeting.attach_file(ctx(11), document_id="doc-1", **metadata())
    [attached] = meeting.collect_events()
    assert type(attached).__name__ == "DocumentFileAttached"
    assert attached.symbol == "S/AC.44/2025/1" and attached.version == "original" and attached.language == "en"
    assert [(f["document"], f["version"], f["language"]) for f in meeting.files] == [("doc-1", "original", "en")]


def test_a_file_of_no_circulated_document_is_refused(make, ctx):
    meeting = make.announced_meeting()
    with pytest.raises(RuleBroken) as broken:
        meeting.attach_file(ctx(11), document_id="doc-1", **metadata())
    assert broken.value.rule == "file_of_a_circulated_document"
    assert meeting.collect_events() == [] and meeting.files == []


def test_a_second_english_original_is_refused_a_revision_is_kept_beside_it(make, ctx):
    meeting = make.meeting_with_document()
    meeting.attach_file(ctx(11), document_id="doc-1", **metadata())
    meeting.collect_events()
    refused(meeting, "one_file_per_version_and_language", ctx(12))
    revised = b"%PDF-1.7\n revised %%EOF\n"
    meeting.attach_file(ctx(12), document_id="doc-1", **metadata(revised, version="Rev.1"))
    assert [f["version"] for f in meeting.files] == ["original", "Rev.1"]  # every version kept


def test_a_corrigendum_before_its_text_and_a_symbol_not_the_documents_are_refused(make, ctx):
    meeting = make.meeting_with_document()
    refused(meeting, "versions_in_order", ctx(11), version="Corr.1")
    refused(meeting, "one_symbol_per_document", ctx(11), symbol="S/AC.44/2025/7")


def test_a_held_meetings_document_may_be_revised_a_cancelled_meetings_not(make, ctx):
    meeting = make.held_meeting()
    meeting.attach_file(ctx(make.STARTS + 2), document_id="doc-1", **metadata())
    assert meeting.collect_events()
    cancelled = make.meeting_with_document()
    cancelled.cancel(ctx(11), reason="no quorum")
    cancelled.collect_events()
    refused(cancelled, "cancelled_meeting_cannot_change", ctx(12))


def test_the_store_keeps_the_bytes_with_the_event_and_a_refused_file_leaves_nothing(make, ctx, open_app):
    app = open_app()
    group = app.establish_group(ctx(0), name="Working Group 4", committee="1540", mandate_area="outreach")
    meeting = app.schedule_meeting(ctx(1), group_id=group.id, meeting_kind="working_group", title="Outreach",
                                   starts_at=make.at(20), ends_at=make.at(20, hours=2), location="")
    app.circulate_document(ctx(2), meeting.id, document_id="D1", title="Plan", symbol="")
    stored = app.attach_file(ctx(3), meeting.id, document_id="D1", content=PDF, language="fr",
                             symbol="S/AC.44/2025/3", file_name="plan.pdf")
    sha = stored.files[0]["sha256"]
    reopened = open_app()
    assert reopened.file(sha) == PDF
    assert reopened.get_meeting(meeting.id).documents["D1"]["symbol"] == "S/AC.44/2025/3"
    events = reopened.recorder.max_notification_id()
    text = b"a note\n"
    with pytest.raises(RuleBroken):  # no document D2: neither the event nor the bytes
        reopened.attach_file(ctx(4), meeting.id, document_id="D2", content=text, language="en")
    with pytest.raises(InvalidInput):  # a PNG: refused before anything
        reopened.attach_file(ctx(4), meeting.id, document_id="D1", content=b"\x89PNG\r\n\x1a\n", language="en")
    assert reopened.recorder.max_notification_id() == events
    assert reopened.file(hashlib.sha256(text).hexdigest()) is None
