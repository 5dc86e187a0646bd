"""Publishing envelopes to RabbitMQ: persistent, mandatory, confirmed (a batch at a time)."""
from __future__ import annotations

import logging
import time

import amqp
import kombu

from shared.contract import CONTENT_TYPE, encode_envelope

log = logging.getLogger(__name__)


class Unroutable(Exception):
    """The broker had no queue for a message published with ``mandatory``."""


class Nacked(Exception):
    """The broker refused to take a message (``basic.nack``)."""


class ConfirmingPublisher:
    """Publishes with publisher confirms and ``mandatory=True``; raises if the broker did not
    take a message (no exchange, no queue bound, nack). The connection is opened lazily and
    thrown away after any failure (``close``), so a broken channel is never reused.

    A batch is **pipelined**: every message of it is sent, then the broker's confirms are
    awaited together (one round trip a batch instead of one a message). ``publish`` returns
    only when each message of the batch was confirmed, and raises if any was returned
    (unroutable) or nacked, so that the caller (the outbox relay) moves its position only
    past messages the broker took."""

    def __init__(self, amqp_uri: str, *, connect_timeout: float = 5.0, confirm_timeout: float = 30.0) -> None:
        self.amqp_uri = amqp_uri
        self.connect_timeout = connect_timeout
        self.confirm_timeout = confirm_timeout
        self._connection: kombu.Connection | None = None
        self._channel = None
        self._last_tag = 0  # the delivery tag of the last message sent on the channel
        self._unconfirmed: set[int] = set()
        self._nacked: list[int] = []
        self._returned: list[tuple[str, str]] = []

    def _ensure(self):
        if self._channel is None:
            connection = kombu.Connection(self.amqp_uri, connect_timeout=self.connect_timeout, heartbeat=0)
            connection.connect()
            channel = connection.channel()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            channel.events["basic_return"].add(self._on_return)
            self._connection, self._channel, self._last_tag = connection, channel, 0
        return self._channel

    def _settled(self, tag: int, multiple: bool) -> set[int]:
        done = {t for t in self._unconfirmed if t <= tag} if multiple else {tag} & self._unconfirmed
        self._unconfirmed -= done
        return done

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        self._settled(delivery_tag, multiple)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked += sorted(self._settled(delivery_tag, multiple))

    def _on_return(self, exc, exchange: str, routing_key: str, message) -> None:
        self._returned.append((exchange, routing_key))

    def publish(self, exchange: str, envelopes: list[dict]) -> None:
        channel = self._ensure()
        self._nacked, self._returned = [], []
        try:
            for envelope in envelopes:
                message = amqp.Message(
                    encode_envelope(envelope),
                    delivery_mode=2,
                    content_type=CONTENT_TYPE,
                    content_encoding="utf-8",
                    message_id=envelope["event_id"],
                    correlation_id=envelope["correlation_id"],
                    type=envelope["event_type"],
                )
                channel.basic_publish(message, exchange=exchange, routing_key=envelope["event_type"], mandatory=True)
                self._last_tag += 1
                self._unconfirmed.add(self._last_tag)
            deadline = time.monotonic() + self.confirm_timeout
            while self._unconfirmed:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the broker did not confirm {len(self._unconfirmed)} message(s) "
                                       f"within {self.confirm_timeout:.0f} s")
                self._connection.drain_events(timeout=left)
        except Exception:
            self.close()
            raise
        if self._returned:
            self.close()
            exchange_name, routing_key = self._returned[0]
            raise Unroutable(
                f"no queue is bound to {exchange_name} for {routing_key}: "
                "load the broker definitions (deploy/rabbitmq/definitions.json)"
            )
        if self._nacked:
            self.close()
            raise Nacked(f"the broker refused {len(self._nacked)} message(s) published to {exchange}")

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        self._unconfirmed.clear()
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close
                log.debug("releasing a broken connection", exc_info=True)
