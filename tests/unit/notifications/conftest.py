from __future__ import annotations

import pytest

from shared.store import StoreSettings
from notifications.application import NotificationsApplication


@pytest.fixture
def app(tmp_path):
    application = NotificationsApplication(env=StoreSettings(data_dir=tmp_path).environment("notifications"))
    yield application
    application.close()
