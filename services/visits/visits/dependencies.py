"""Builds the visits application once per container."""
from shared.contract import VISITS_EXCHANGE
from shared.runtime import EventSourcedRuntime
from visits.api import VisitsAPI
from visits.application import VisitsApplication


class VisitsRuntime(EventSourcedRuntime):
    service_name = "visits"
    exchange = VISITS_EXCHANGE
    application_class = VisitsApplication
    api_class = VisitsAPI
