"""A visit's documents as files (Visit.attach_file, Visit.file_open_to_donor): the needs
assessment once recorded, the consent letter once the State answered; a donor reads a needs
assessment's file only while a share of its version with it stands."""
from __future__ import annotations

import hashlib

import pytest

from shared.errors import RuleBroken


def metadata(text: bytes = b"needs assessment\n", **given) -> dict:
    return {"version": "original", "language": "en", "symbol": "", "file_name": "assessment.txt",
            "media_type": "text/plain", "size": len(text), "sha256": hashlib.sha256(text).hexdigest(), **given}


def test_a_needs_assessment_file_follows_its_record_and_belongs_to_its_version(make, ctx):
    visit = make.conducted_visit()
    with pytest.raises(RuleBroken) as broken:
        visit.attach_file(ctx(40), document_kind="needs_assessment", **metadata())
    assert broken.value.rule == "needs_assessment_file_follows_its_record"
    assert visit.collect_events() == []
    visit = make.assessed_visit()
    visit.attach_file(ctx(40), document_kind="needs_assessment", **metadata())
    [attached] = visit.collect_events()
    assert attached.assessment_version == 1 and attached.document_kind == "needs_assessment"


def test_a_consent_letter_follows_the_states_answer(make, ctx):
    waiting = make.awaiting_consent_visit()
    with pytest.raises(RuleBroken) as broken:
        waiting.attach_file(ctx(3), document_kind="consent_letter", **metadata(b"%PDF-1.4 letter"))
    assert broken.value.rule == "consent_letter_follows_the_states_answer"
    consented = make.consented_visit()
    consented.attach_file(ctx(5), document_kind="consent_letter", **metadata(b"%PDF-1.4 letter", language="fr"))
    assert consented.files[0]["assessment_version"] is None


def test_a_donor_reads_a_needs_assessment_file_only_while_a_share_of_its_version_with_it_stands(make, ctx):
    visit = make.shareable_visit()
    donor, other = make.registered_donor(), make.registered_donor(name="Donor State B")
    visit.attach_file(ctx(40), document_kind="needs_assessment", **metadata())
    visit.share_needs_assessment(ctx(41), donor=donor, donor_id=donor.id, need_ids=["n1"])
    [file] = visit.files
    assert visit.file_open_to_donor(file, donor.id)
    assert not visit.file_open_to_donor(file, other.id)  # shared with another donor
    visit.record_needs_assessment(ctx(42), needs=[make.need("n1"), make.need("n3")])
    visit.attach_file(ctx(43), document_kind="needs_assessment", **metadata(b"version 2\n", version="Rev.1"))
    first, second = visit.files
    assert visit.file_open_to_donor(first, donor.id) and not visit.file_open_to_donor(second, donor.id)
    visit.withdraw_sharing_consent(ctx(44), reason="the State withdrew")
    assert not visit.file_open_to_donor(first, donor.id)  # the share is revoked


def test_a_consent_letter_is_never_a_donors(make, ctx):
    visit = make.shareable_visit()
    donor = make.registered_donor()
    visit.share_needs_assessment(ctx(41), donor=donor, donor_id=donor.id, need_ids=["n1"])
    visit.attach_file(ctx(42), document_kind="consent_letter", **metadata())
    assert not visit.file_open_to_donor(visit.files[0], donor.id)
