"""The visits service's documents as files: which of a visit's files a caller may read, and how
its page and routes show them (``shared.uploads``; the command is the table's ``attach-file``,
the rules ``Visit.attach_file``).

Staff read a visit's files as they read the visit (a token limited to one Committee, that
Committee's visits only). A donor reads what was shared with it and nothing else
(``Visit.file_open_to_donor``): a visit it holds no share of is, to it, no visit (404); a file
of it that is not open to it is refused with the rule (403)."""
from __future__ import annotations

from uuid import UUID

from shared.auth import Identity
from shared.errors import Forbidden, NotFound
from shared.uploads import files_view, find_file
from visits.domain import Visit


def _donor_of(identity: Identity, visit: Visit) -> UUID | None:
    """The donor a token is, if it is a donor's; NotFound if it holds no share of the visit."""
    if identity.role != "donor":
        return None
    donor = UUID(identity.donor_id) if identity.donor_id else None
    if donor is None or not any(share["donor_id"] == donor for share in visit.shares):
        raise NotFound("visit", visit.id)
    return donor


def visit_files(visit: Visit, identity: Identity) -> list[dict]:
    """The visit's files the caller may read, each with its download route."""
    donor = _donor_of(identity, visit)
    readable = visit.files if donor is None else [f for f in visit.files if visit.file_open_to_donor(f, donor)]
    return files_view(f"/visits/{visit.id}", readable)


def readable_file(visit: Visit, identity: Identity, sha256: str) -> dict:
    """One file of the visit, if the caller may read it."""
    donor = _donor_of(identity, visit)
    file = find_file(visit.files, sha256, "visit", visit.id)
    if donor is not None and not visit.file_open_to_donor(file, donor):
        raise Forbidden("donor_reads_only_what_was_shared_with_it",
                        f"{visit.member_state}'s {file['document'].replace('_', ' ')} ({file['version']}, "
                        f"{file['language']}) is not shared with this donor, or no longer: a donor reads a needs "
                        "assessment's file while a share of its version with it stands and the State's consent holds")
    return file
