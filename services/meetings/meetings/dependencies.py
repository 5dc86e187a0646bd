"""Builds the meetings application once per container."""
from shared.contract import MEETINGS_EXCHANGE
from shared.runtime import EventSourcedRuntime
from meetings.api import MeetingsAPI
from meetings.application import MeetingsApplication


class MeetingsRuntime(EventSourcedRuntime):
    service_name = "meetings"
    exchange = MEETINGS_EXCHANGE
    application_class = MeetingsApplication
    api_class = MeetingsAPI
