"""A queue consumer that acknowledges only what its handler has decided, in batches.

nameko 2.14's event handlers ack a failing message (it is gone) or requeue it forever, and exit
on a reset connection (RELIABILITY.md). This loop instead hands a batch of messages to a
handler that returns a decision per message — recorded or duplicate (ack), or a dead letter
(published to the dead-letter exchange with its reason, then acked) — and on a transient
failure rejects the batch back to the queue, whose ``delivery-limit`` (a policy) bounds the
retries before the broker dead-letters it. A batch is what arrives back to back (up to
``batch_size``; a quiet gap of ``batch_wait`` ends it), acknowledged with one ``multiple`` ack
after the handler returned. A lost connection is re-established with back-off;
``consuming`` says whether it currently consumes, for the health check.
"""
from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable

import kombu

from shared.messaging.readahead import ReadAheadTransport

log = logging.getLogger(__name__)


class QueueConsumer:
    def __init__(
        self,
        amqp_uri: str,
        queue: str,
        handle: Callable[[list[kombu.Message]], list],
        *,
        dead_letter_exchange: str,
        is_dead_letter: Callable[[object], bool],
        prefetch: int = 200,
        batch_size: int = 100,
        batch_wait: float = 0.002,
        idle_wait: float = 0.1,
        after_batch: Callable[[], None] | None = None,
    ) -> None:
        self.amqp_uri = amqp_uri
        self.queue = queue
        self.handle = handle
        self.dead_letter_exchange = dead_letter_exchange
        self.is_dead_letter = is_dead_letter
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.batch_wait = batch_wait  # the quiet gap that ends a batch
        self.idle_wait = idle_wait  # how long one wait for a message lasts (stop is checked between)
        self.after_batch = after_batch
        self.consuming = False
        self.last_error: str | None = None
        self.delivered = 0
        self.retried = 0
        self._stop = threading.Event()
        self._buffer: list[kombu.Message] = []

    def stop(self) -> None:
        self._stop.set()

    def run_forever(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                self._consume()
                backoff = 0.5
            except Exception as error:  # noqa: BLE001 - logged; reconnect with back-off
                self.consuming = False
                self.last_error = f"{type(error).__name__}: {error}"
                log.error("consumer of %s lost its connection (%s); reconnecting in %.1fs",
                          self.queue, self.last_error, backoff)
                self._buffer.clear()  # unacked messages return to the queue with the connection
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 10.0)
        self.consuming = False

    def _consume(self) -> None:
        with kombu.Connection(self.amqp_uri, heartbeat=20, connect_timeout=5, transport=ReadAheadTransport,
                              transport_options={"confirm_publish": True}) as connection:
            channel = connection.channel()
            channel.basic_qos(0, self.prefetch, False)
            dead_letters = kombu.Producer(connection.channel(), auto_declare=False)
            queue = kombu.Queue(self.queue, channel=channel, no_declare=True)
            with kombu.Consumer(channel, queues=[queue], on_message=self._buffer.append, auto_declare=False,
                                no_ack=False, prefetch_count=self.prefetch):
                self.consuming = True
                if self.last_error:
                    log.info("consumer of %s consuming again", self.queue)
                self.last_error = None
                while not self._stop.is_set():
                    try:
                        connection.drain_events(timeout=self.idle_wait)
                    except (socket.timeout, TimeoutError):
                        connection.heartbeat_check()
                        continue
                    # Something arrived: take what follows it closely (a filled queue streams
                    # in without gaps), up to a batch, and settle at once. A lone message waits
                    # for nothing but one quiet gap of ``batch_wait``.
                    while 0 < len(self._buffer) < self.batch_size:
                        try:
                            connection.drain_events(timeout=self.batch_wait)
                        except (socket.timeout, TimeoutError):
                            break
                    while self._buffer:
                        batch = self._buffer[: self.batch_size]
                        del self._buffer[: self.batch_size]  # the same list: kombu appends to it
                        self._settle(batch, dead_letters)
                    connection.heartbeat_check()

    def _settle(self, batch: list[kombu.Message], dead_letters: kombu.Producer) -> None:
        self.delivered += len(batch)
        try:
            decisions = self.handle(batch)
        except Exception as error:  # noqa: BLE001 - transient: back to the queue, bounded by delivery-limit
            self.retried += len(batch)
            log.error("could not record a batch of %d from %s (%s: %s); returned to the queue",
                      len(batch), self.queue, type(error).__name__, error)
            for message in batch:
                message.reject(requeue=True)
            time.sleep(0.5)
            return
        # Dead letters published (each confirmed) before anything is acknowledged; then one
        # ack for the whole batch: ``multiple`` acknowledges every message up to the batch's
        # last on this channel, and those before the batch were all settled already (batches
        # are taken in delivery order and settled one after another).
        for message, decision in zip(batch, decisions):
            if self.is_dead_letter(decision):
                dead_letters.publish(
                    message.body,
                    exchange=self.dead_letter_exchange,
                    routing_key=message.delivery_info.get("routing_key") or "unknown",
                    content_type=message.content_type or "application/octet-stream",
                    content_encoding=message.content_encoding or "binary",
                    headers={**(message.headers or {}), "x-fieldwork-reason": decision.reason,
                             "x-fieldwork-detail": decision.detail[:1000],
                             "x-fieldwork-source-queue": self.queue},
                    delivery_mode=2,
                    retry=False,
                )
        batch[-1].ack(multiple=True)
        if self.after_batch:
            self.after_batch()
