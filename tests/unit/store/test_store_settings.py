"""The store's settings as an operator writes them: one PostgreSQL server, or a pair for a
failover, each mistake named by the setting it is in."""
from __future__ import annotations

import pytest

from shared.errors import InvalidInput
from shared.store import StoreSettings, settings_from_environ


def test_one_server_is_the_default_and_asks_libpq_for_nothing_more():
    settings = StoreSettings.from_config({"STORE": "postgres"})
    assert (settings.postgres_host, settings.postgres_port, settings.target_session_attrs) == ("127.0.0.1", 5432, None)


def test_a_pair_connects_to_the_server_that_takes_writes():
    settings = settings_from_environ({"FIELDWORK_STORE": "postgres", "POSTGRES_HOST": "db1,db2",
                                      "POSTGRES_PORT": "5432,5433"})
    assert settings.postgres_port == "5432,5433" and settings.target_session_attrs == "read-write"
    one_port = StoreSettings.from_config({"STORE": "postgres", "POSTGRES_HOST": "db1,db2", "POSTGRES_PORT": "5432"})
    assert one_port.postgres_port == 5432 and one_port.target_session_attrs == "read-write"
    chosen = StoreSettings.from_config({"STORE": "postgres", "POSTGRES_HOST": "db1,db2",
                                        "POSTGRES_TARGET_SESSION_ATTRS": "primary"})
    assert chosen.target_session_attrs == "primary"


@pytest.mark.parametrize("config, field", [
    ({"POSTGRES_PORT": "54x2"}, "POSTGRES_PORT"),
    ({"POSTGRES_PORT": "70000"}, "POSTGRES_PORT"),
    ({"POSTGRES_HOST": "db1,db2", "POSTGRES_PORT": "1,2,3"}, "POSTGRES_PORT"),
    ({"POSTGRES_TARGET_SESSION_ATTRS": "master"}, "POSTGRES_TARGET_SESSION_ATTRS"),
])
def test_a_mistake_is_named_by_its_setting(config, field):
    with pytest.raises(InvalidInput) as refused:
        StoreSettings.from_config({"STORE": "postgres", **config})
    assert list(refused.value.fields) == [field]
