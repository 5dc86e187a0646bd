from meetings.domain.model import (  # noqa: F401
    DOCUMENT_NOTICE,
    Meeting,
    MeetingStatus,
    Outcome,
    WorkingGroup,
)
