from notifications.domain.directory import Contact  # noqa: F401
from notifications.domain.notification import Notification  # noqa: F401
