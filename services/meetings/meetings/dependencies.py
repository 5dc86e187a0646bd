"""Builds the meetings application once per container."""
from shared.runtime import EventSourcedRuntime
from meetings.application import MeetingsApplication


class MeetingsRuntime(EventSourcedRuntime):
    service_name = "meetings"
    application_class = MeetingsApplication
