"""The queue consumer's reconnect back-off: it doubles while no connection can be made, and
starts again from the first wait once a connection consumed (a sixth socket cut waits 0.5 s,
not 10 s)."""
from __future__ import annotations

from shared.messaging.consumer import RECONNECT_FIRST, RECONNECT_MAX, QueueConsumer


def waits_of(outcomes: list[bool]) -> list[float]:
    """The waits before each reconnect, for connections that consumed (True) or not (False)."""
    consumer = QueueConsumer("memory://", "q", lambda messages: [])
    waits: list[float] = []
    left = list(outcomes)

    def connect() -> None:
        consumer._consumed = left.pop(0)
        raise ConnectionResetError("cut")

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        if not left:
            consumer.stop()
        return consumer._stop.is_set()

    consumer._consume = connect
    consumer._stop.wait = wait
    consumer.run_forever()
    return waits


def test_the_back_off_resets_after_each_connection_that_consumed():
    assert waits_of([True] * 8) == [RECONNECT_FIRST] * 8


def test_the_back_off_doubles_while_no_connection_consumes_and_resets_after_one_does():
    waits = waits_of([False] * 7 + [True, False])
    assert waits[:7] == [0.5, 1.0, 2.0, 4.0, 8.0, RECONNECT_MAX, RECONNECT_MAX]
    assert waits[7:] == [RECONNECT_FIRST, 2 * RECONNECT_FIRST]
