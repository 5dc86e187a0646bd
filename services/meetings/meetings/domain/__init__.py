from meetings.domain.model import (  # noqa: F401
    CommitteeMembership,
    Meeting,
    MeetingStatus,
    Outcome,
    WorkingGroup,
)
