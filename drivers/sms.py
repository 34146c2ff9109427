"""SMS gateways. Production plugs in a provider (Aliyun SMS, Tencent Cloud SMS) behind `send`; the
development backend prints the message and appends it to a file that demos and browser tests read."""

import json
import logging
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from core.crypto import phone_mask

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, phone: str, message: str) -> None: ...


class ConsoleFileSmsBackend:
    def send(self, *, phone: str, message: str) -> None:
        # Never the message (it carries the code) nor the whole number in a log line.
        logger.info("development SMS to %s written to the outbox file", phone_mask(phone))
        record = {"at": timezone.now().isoformat(), "phone": phone, "message": message}
        with open(settings.SMS_FILE_PATH, "a", encoding="utf-8") as outbox:
            outbox.write(json.dumps(record, ensure_ascii=False) + "\n")


def sms_backend_get() -> SmsBackend:
    return import_string(settings.SMS_BACKEND)()
