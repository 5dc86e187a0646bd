"""Builds the visits application once per container."""
from shared.runtime import EventSourcedRuntime
from visits.application import VisitsApplication


class VisitsRuntime(EventSourcedRuntime):
    service_name = "visits"
    application_class = VisitsApplication
