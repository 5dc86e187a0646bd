"""Log formats: readable lines in development, one JSON object a line in production
(``FIELDWORK_LOG_FORMAT=json``), so that a log collector can index every field. Every line
carries the correlation id of the command that caused it, in every service it reaches: set
from the request (``X-Correlation-Id``) by the HTTP glue, and from the event envelope by the
relay and the reporting intake (``extra={"correlation_id": ...}``)."""
from __future__ import annotations

import contextvars
import json
import logging
from datetime import datetime, timezone

current_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)


class CorrelationFilter(logging.Filter):
    """Gives every record a ``correlation_id`` (``-`` when no command is in hand)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "correlation_id", None):
            record.correlation_id = current_correlation_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str = "", **kwargs) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        correlation = getattr(record, "correlation_id", None)
        if correlation and correlation != "-":
            entry["correlation_id"] = correlation
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)
