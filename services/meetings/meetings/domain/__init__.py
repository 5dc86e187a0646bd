from meetings.domain.model import (  # noqa: F401
    Meeting,
    MeetingStatus,
    Outcome,
    WorkingGroup,
)
