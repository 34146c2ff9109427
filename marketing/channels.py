"""Where notifications go. A channel delivers one Notification; settings.NOTIFICATION_CHANNEL names it.

The recording channel (development and tests) delivers into the in-app inbox only: the Notification row
is the record. SMS and WeChat template channels implement the same deliver() against their providers."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class RecordingChannel:
    name = "recording"

    def deliver(self, notification) -> None:
        logger.info("notification recorded", extra={"driver": notification.driver_id, "kind": notification.kind})


def channel_get():
    return import_string(settings.NOTIFICATION_CHANNEL)()
