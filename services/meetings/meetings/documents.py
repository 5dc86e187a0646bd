"""The meetings service's documents as files: what a meeting's page and its routes show of the
files of its circulated documents (``shared.uploads``; the command is the table's
``attach-file``, the rules ``Meeting.attach_file``). Who may read a meeting may read its files."""
from __future__ import annotations

from shared.uploads import files_view
from meetings.domain import Meeting


def meeting_files(meeting: Meeting) -> list[dict]:
    """Every file of the meeting's documents, each with its download route."""
    return files_view(f"/meetings/{meeting.id}", meeting.files)
