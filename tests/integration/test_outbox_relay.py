"""Nothing stored is lost on the way to the broker, and nothing is published that was not
stored: the outbox relay publishes from the notification log and saves its position only
after the broker confirmed."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import kombu
import pytest

from shared.contract import VISITS_EXCHANGE
from shared.domain import Context
from shared.messaging.outbox import OutboxRelay
from shared.messaging.publisher import ConfirmingPublisher, Nacked, Unroutable
from shared.store import StoreSettings, envelope_of
from visits.application import VisitsApplication

pytestmark = pytest.mark.integration

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=timezone.utc)


def ctx(minute: int = 0) -> Context:
    return Context(T0 + timedelta(minutes=minute), "ana", "visit_coordinator", f"req-{minute}")


def store_proposals(app: VisitsApplication, count: int) -> list[str]:
    return [
        str(app.propose_visit(ctx(i), member_state="KEN", committee="ctc", origin="committee_selection", purpose="").id)
        for i in range(count)
    ]


class CrashingPublisher(ConfirmingPublisher):
    """Publishes (confirmed) the first ``survive`` messages, then the process 'dies'."""

    def __init__(self, uri: str, survive: int) -> None:
        super().__init__(uri)
        self.survive = survive

    def publish(self, exchange, envelopes):
        if self.survive < len(envelopes):
            super().publish(exchange, envelopes[: self.survive])
            raise SystemExit("killed between publishing and saving the position")
        self.survive -= len(envelopes)
        super().publish(exchange, envelopes)


def relay_for(app, publisher, **kwargs) -> OutboxRelay:
    return OutboxRelay(app, publisher, exchange=VISITS_EXCHANGE, envelope_of=envelope_of, **kwargs)


def test_events_stored_while_the_relay_was_down_are_published_after_restart(broker, tmp_path):
    env = StoreSettings(data_dir=str(tmp_path)).environment("visits")
    tap = broker.tap()
    # The service stored these and died before publishing any of them.
    stored = store_proposals(VisitsApplication(env=env), 30)

    restarted = VisitsApplication(env=env)
    relay = relay_for(restarted, ConfirmingPublisher(broker.uri))
    assert relay.lag() == 30
    assert relay.drain() == 30

    published = tap.envelopes(expected=30)
    assert [e["aggregate_id"] for e in published] == stored
    assert relay.lag() == 0
    tap.close()


def test_a_relay_killed_mid_batch_republishes_from_its_saved_position_and_loses_nothing(broker, tmp_path):
    env = StoreSettings(data_dir=str(tmp_path)).environment("visits")
    tap = broker.tap()
    stored = store_proposals(VisitsApplication(env=env), 50)

    dying = relay_for(VisitsApplication(env=env), CrashingPublisher(broker.uri, survive=35), batch_size=20)
    with pytest.raises(SystemExit):
        dying.drain()
    dying.publisher.close()

    relay_for(VisitsApplication(env=env), ConfirmingPublisher(broker.uri), batch_size=20).drain()

    published = tap.envelopes(expected=50)
    ids = [e["aggregate_id"] for e in published]
    assert set(ids) == set(stored), "nothing lost"
    # Only the batch in flight when it died (positions 21-35) is sent twice, same event ids.
    assert len(ids) - len(set(ids)) == 15
    assert len({e["event_id"] for e in published}) == 50
    tap.close()


def test_an_event_no_queue_would_take_is_refused_and_the_position_stays(broker, tmp_path):
    env = StoreSettings(data_dir=str(tmp_path)).environment("visits")
    app = VisitsApplication(env=env)
    store_proposals(app, 3)
    with kombu.Connection(broker.uri) as connection:
        kombu.Exchange("lonely.events", "topic", durable=False, auto_delete=True)(connection.channel()).declare()
        relay = OutboxRelay(app, ConfirmingPublisher(broker.uri), exchange="lonely.events", envelope_of=envelope_of)
        with pytest.raises(Unroutable, match="no queue is bound"):
            relay.run_once()
    assert relay.position == 0 and relay.lag() == 3


def test_a_batch_the_broker_takes_only_in_part_is_refused_and_the_position_stays(broker, tmp_path):
    """A batch is sent pipelined and its confirms awaited together: when the broker nacks one
    message of it (here a queue that takes one message and refuses the rest), the batch is
    refused and the relay's position does not move, so nothing is skipped."""
    env = StoreSettings(data_dir=str(tmp_path)).environment("visits")
    app = VisitsApplication(env=env)
    store_proposals(app, 3)
    with kombu.Connection(broker.uri) as connection:
        channel = connection.channel()
        exchange = kombu.Exchange("full.events", "topic", durable=False, auto_delete=True)
        exchange(channel).declare()
        queue = kombu.Queue("full.queue", exchange, routing_key="#", durable=False, auto_delete=False,
                            queue_arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
        queue(channel).declare()
        relay = OutboxRelay(app, ConfirmingPublisher(broker.uri), exchange="full.events", envelope_of=envelope_of)
        with pytest.raises(Nacked, match="refused 2 message"):
            relay.run_once()
        assert relay.position == 0 and relay.lag() == 3
        queue(channel).purge()
        queue(channel).delete()


def test_a_service_killed_mid_stream_publishes_every_stored_event_after_restart(broker, tmp_path):
    from fieldwork_testing import ServiceProcess

    tap = broker.tap()
    service = ServiceProcess("visits", broker.uri, tmp_path).start()
    accepted = []
    for i in range(150):
        answer = service.post("/visits", {"member_state": "KEN", "committee": "ctc"})
        assert answer.status_code == 201
        accepted.append(answer.json()["id"])
    service.kill()  # kill -9 while the relay may still be publishing
    restarted = ServiceProcess("visits", broker.uri, tmp_path).start()  # same data folder
    published = tap.envelopes(expected=150, timeout=30)
    restarted.stop()
    ids = [e["aggregate_id"] for e in published]
    assert set(ids) == set(accepted), "every accepted command's event was published"
    assert len({e["event_id"] for e in published}) == 150


def test_the_relay_s_saved_position_never_moves_backwards(tmp_path):
    """Two replicas of a service publishing the same batches may confirm them in either order:
    a position saved after a later one leaves the later one (and a PostgreSQL store likewise,
    the same statement)."""
    from shared.messaging.outbox import RelayPositions

    positions = RelayPositions(VisitsApplication(env=StoreSettings(data_dir=str(tmp_path)).environment("visits")))
    positions.save("visits.events", 400)
    positions.save("visits.events", 200)  # the other replica's confirm of the earlier batch, late
    assert positions.get("visits.events") == 400
    positions.save("visits.events", 600)
    assert positions.get("visits.events") == 600
