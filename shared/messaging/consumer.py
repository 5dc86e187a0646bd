"""A queue consumer that acknowledges only what its handler has decided, in batches.

nameko 2.14's event handlers ack a failing message (it is gone) or requeue it forever, and exit
on a reset connection (RELIABILITY.md). This loop instead hands a batch of messages to a
handler that returns a decision per message (the handler records a dead letter itself, with
its reason), and acknowledges the batch once the handler returned. A batch is what arrives
back to back (up to ``batch_size``; a quiet gap of ``batch_wait`` ends it), acknowledged with
one ``multiple`` ack.

A handler that raises has met a store that cannot be written (disk full, locked, a database
restarting), not a bad message: one message's failure is the handler's to decide. The batch is
kept and tried again in process, with back-off (50 ms doubling to 15 s), for as long as it takes: it is never returned
to the queue, whose ``delivery-limit`` would dead-letter good events after a few seconds of an
outage. While it waits the consumer goes on reading the connection (heartbeats, and what the
broker sends up to the prefetch, kept for the next batches), and ``store_error`` says why it
waits, for the health check. Only once the store writes again (``writable()``), while the batch
still fails after three tries over 3 s, is each message tried alone: one that fails by itself is rejected back to the
queue, and the broker's delivery limit bounds it. A lost connection is re-established with
back-off, reset once a connection consumed again; ``consuming`` says whether it consumes.
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

# seconds between tries of a batch the store refused: short at first (another replica's lock
# on the store is gone in milliseconds), doubling to a quarter of a minute in an outage
RETRY_FIRST, RETRY_MAX = 0.05, 15.0
# a batch is tried one message at a time (if the store writes) only after it failed this often,
# over at least this long: never for a moment's contention
ALONE_AFTER, ALONE_AFTER_SECONDS = 3, 3.0
RECONNECT_FIRST, RECONNECT_MAX = 0.5, 10.0
_FAILED_ALONE = object()


class QueueConsumer:
    def __init__(
        self,
        amqp_uri: str,
        queue: str,
        handle: Callable[[list[kombu.Message]], list],
        *,
        writable: Callable[[], None] | None = None,
        prefetch: int = 200,
        batch_size: int = 100,
        batch_wait: float = 0.002,
        idle_wait: float = 0.1,
        after_batch: Callable[[], None] | None = None,
    ) -> None:
        self.amqp_uri = amqp_uri
        self.queue = queue
        self.handle = handle
        self.writable = writable  # raises while the store cannot be written
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.batch_wait = batch_wait  # the quiet gap that ends a batch
        self.idle_wait = idle_wait  # how long one wait for a message lasts (stop is checked between)
        self.after_batch = after_batch
        self.consuming = False
        self.last_error: str | None = None  # of the connection
        self.store_error: str | None = None  # why the batch in hand waits, while it waits
        self.store_failing_since: float | None = None  # time.time() of the first failure
        self.delivered = 0
        self.retried = 0  # messages of batches tried again in process
        self.rejected_alone = 0  # messages that failed by themselves, returned to the queue
        self._stop = threading.Event()
        self._buffer: list[kombu.Message] = []

    def stop(self) -> None:
        self._stop.set()

    def run_forever(self) -> None:
        backoff = RECONNECT_FIRST
        while not self._stop.is_set():
            self._consumed = False
            try:
                self._consume()
            except Exception as error:  # noqa: BLE001 - logged; reconnect with back-off
                self.consuming = False
                self.last_error = f"{type(error).__name__}: {error}"
                if self._consumed:  # that connection was healthy: start the back-off again
                    backoff = RECONNECT_FIRST
                log.error("consumer of %s lost its connection (%s); reconnecting in %.1fs",
                          self.queue, self.last_error, backoff)
                self._buffer.clear()  # unacked messages return to the queue with the connection
                self._stop.wait(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX)
        self.consuming = False

    def _consume(self) -> None:
        with kombu.Connection(self.amqp_uri, heartbeat=20, connect_timeout=5, transport=ReadAheadTransport) as connection:
            channel = connection.channel()
            channel.basic_qos(0, self.prefetch, False)
            queue = kombu.Queue(self.queue, channel=channel, no_declare=True)
            with kombu.Consumer(channel, queues=[queue], on_message=self._buffer.append, auto_declare=False,
                                no_ack=False, prefetch_count=self.prefetch):
                self.consuming = self._consumed = True
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
                    while self._buffer and not self._stop.is_set():
                        batch = self._buffer[: self.batch_size]
                        del self._buffer[: self.batch_size]  # the same list: kombu appends to it
                        self._settle(batch, connection)
                    connection.heartbeat_check()

    def _settle(self, batch: list[kombu.Message], connection: kombu.Connection) -> None:
        self.delivered += len(batch)
        decisions = self._decide(batch, connection)
        if decisions is None:  # stopping while the store refused it: returned with the connection
            return
        alone = [m for m, d in zip(batch, decisions) if d is _FAILED_ALONE]
        if not alone:
            # one ack for the whole batch: ``multiple`` acknowledges every message up to the
            # batch's last on this channel, and those before the batch were all settled already
            # (batches are taken in delivery order and settled one after another)
            batch[-1].ack(multiple=True)
        else:
            for message, decision in zip(batch, decisions):
                if decision is _FAILED_ALONE:
                    message.reject(requeue=True)  # bounded by the queue's delivery-limit
                else:
                    message.ack()
            self.rejected_alone += len(alone)
        if self.after_batch:
            self.after_batch()

    def _decide(self, batch: list[kombu.Message], connection: kombu.Connection) -> list | None:
        """The handler's decisions for the batch, tried again (the batch kept) until the store
        takes it; None if the consumer was stopped meanwhile."""
        failures, wait, first_failure = 0, RETRY_FIRST, time.monotonic()
        while True:
            try:
                decisions = self.handle(batch)
            except Exception as error:  # noqa: BLE001 - the store: kept and tried again, never requeued
                failures += 1
                self.retried += len(batch)
                self.store_error = f"{type(error).__name__}: {error}"
                self.store_failing_since = self.store_failing_since or time.time()
                log.error("could not record a batch of %d from %s (%s); trying again in %.1fs (try %d)",
                          len(batch), self.queue, self.store_error, wait, failures)
            else:
                self._store_writes()
                return decisions
            if (failures >= ALONE_AFTER and time.monotonic() - first_failure >= ALONE_AFTER_SECONDS
                    and self._writes()):
                # the store writes, the batch still fails: find the messages that fail alone
                decisions = [self._alone(message) for message in batch]
                if len(batch) == 1 or any(d is not _FAILED_ALONE for d in decisions):
                    self._store_writes()
                    return decisions
            if not self._wait(connection, wait):
                return None
            wait = min(wait * 2, RETRY_MAX)

    def _alone(self, message: kombu.Message):
        try:
            return self.handle([message])[0]
        except Exception as error:  # noqa: BLE001 - this message's own failure
            log.error("a message from %s fails by itself (%s: %s); returned to the queue",
                      self.queue, type(error).__name__, error)
            return _FAILED_ALONE

    def _writes(self) -> bool:
        if self.writable is None:
            return True
        try:
            self.writable()
        except Exception:  # noqa: BLE001 - still cannot write
            return False
        return True

    def _store_writes(self) -> None:
        if self.store_error:
            log.info("consumer of %s: the store writes again (it failed for %.0f s)", self.queue,
                     time.time() - (self.store_failing_since or time.time()))
        self.store_error = self.store_failing_since = None

    def _wait(self, connection: kombu.Connection, seconds: float) -> bool:
        """Wait, reading the connection meanwhile (heartbeats; deliveries are kept in the
        buffer, at most the prefetch); False if the consumer was stopped."""
        deadline = time.monotonic() + seconds
        while not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            try:
                connection.drain_events(timeout=min(left, 1.0))
            except (socket.timeout, TimeoutError):
                pass
            connection.heartbeat_check()
        return False
