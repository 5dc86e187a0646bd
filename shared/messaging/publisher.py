"""Publishing envelopes to RabbitMQ: persistent, mandatory, confirmed."""
from __future__ import annotations

import logging

import kombu
from amqp.exceptions import ChannelError

from shared.contract import CONTENT_TYPE, encode_envelope

log = logging.getLogger(__name__)


class Unroutable(Exception):
    """The broker had no queue for a message published with ``mandatory``."""


class ConfirmingPublisher:
    """Publishes with publisher confirms and ``mandatory=True``; raises if the broker did not
    take a message (no exchange, no queue bound, nack). The connection is opened lazily and
    thrown away after any failure (``close``), so a broken channel is never reused."""

    def __init__(self, amqp_uri: str, *, connect_timeout: float = 5.0) -> None:
        self.amqp_uri = amqp_uri
        self.connect_timeout = connect_timeout
        self._connection: kombu.Connection | None = None
        self._producer: kombu.Producer | None = None

    def _ensure(self) -> kombu.Producer:
        if self._producer is None:
            connection = kombu.Connection(
                self.amqp_uri,
                transport_options={"confirm_publish": True},
                connect_timeout=self.connect_timeout,
                heartbeat=0,
            )
            connection.connect()
            self._connection = connection
            self._producer = kombu.Producer(connection.channel(), auto_declare=False)
        return self._producer

    def publish(self, exchange: str, envelopes: list[dict]) -> None:
        producer = self._ensure()
        for envelope in envelopes:
            try:
                producer.publish(
                    encode_envelope(envelope),
                    exchange=exchange,
                    routing_key=envelope["event_type"],
                    mandatory=True,
                    delivery_mode=2,
                    content_type=CONTENT_TYPE,
                    content_encoding="utf-8",
                    message_id=envelope["event_id"],
                    correlation_id=envelope["correlation_id"],
                    type=envelope["event_type"],
                    retry=False,
                )
            except ChannelError as error:
                self.close()
                if getattr(error, "reply_code", None) == 312:
                    raise Unroutable(
                        f"no queue is bound to {exchange} for {envelope['event_type']}: "
                        "load the broker definitions (deploy/rabbitmq/definitions.json)"
                    ) from error
                raise

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close
                log.debug("releasing a broken connection", exc_info=True)
