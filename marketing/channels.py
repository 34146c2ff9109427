"""Where notifications go. A channel delivers one Notification; settings.NOTIFICATION_CHANNEL names it.

Every notification is in the driver's in-app inbox (the Notification row). The recording channel (the
default) stops there. The SMS and WeChat template channels also send it through a gateway named by a
setting: production plugs in the provider's (Aliyun SMS, the WeChat Official Account template API); the
simulator gateways check a message the way the provider would and record it in an outbox file instead of
sending it. Production refuses the simulators unless a demo says so (fuelpay/settings/production.py)."""

import json
import logging
import re
from typing import Protocol

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from drivers.selectors import driver_phone_get
from marketing.exceptions import NotificationNotDelivered

logger = logging.getLogger(__name__)

SMS_PARAM_MAX_CHARS = 35  # Aliyun SMS: one template variable is at most 35 characters
WECHAT_THING_MAX_CHARS = 20  # WeChat template messages: a "thing" value is at most 20 characters
MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


class SmsGateway(Protocol):
    def send(self, *, phone: str, template_code: str, params: dict[str, str]) -> None: ...


class WechatTemplateGateway(Protocol):
    def send(self, *, to_user: str, template_id: str, url: str, data: dict[str, dict[str, str]]) -> None: ...


def _outbox_write(record: dict) -> None:
    with open(settings.NOTIFICATION_OUTBOX_PATH, "a", encoding="utf-8") as outbox:
        outbox.write(json.dumps({"at": timezone.now().isoformat(), **record}, ensure_ascii=False) + "\n")


class SmsSimulatorGateway:
    """Checks what Aliyun's SendSms checks (a mainland mobile number, a template code, variables within
    their length), then records the message in the outbox instead of sending it."""

    def send(self, *, phone: str, template_code: str, params: dict[str, str]) -> None:
        if not MAINLAND_MOBILE.fullmatch(phone):
            raise NotificationNotDelivered(extra={"provider_code": "isv.MOBILE_NUMBER_ILLEGAL"})
        if not template_code or any(len(value) > SMS_PARAM_MAX_CHARS for value in params.values()):
            raise NotificationNotDelivered(extra={"provider_code": "isv.TEMPLATE_PARAMS_ILLEGAL"})
        _outbox_write({"channel": "sms", "PhoneNumbers": phone, "TemplateCode": template_code, "TemplateParam": params})


class WechatTemplateSimulatorGateway:
    """Checks what the template message API checks (a recipient, a template id, "thing" values within 20
    characters), then records the message in the outbox instead of sending it."""

    def send(self, *, to_user: str, template_id: str, url: str, data: dict[str, dict[str, str]]) -> None:
        too_long = any(
            key.startswith("thing") and len(value["value"]) > WECHAT_THING_MAX_CHARS for key, value in data.items()
        )
        if not to_user or not template_id or too_long:
            raise NotificationNotDelivered(extra={"provider_code": "47003"})  # "argument invalid"
        _outbox_write({"channel": "wechat", "touser": to_user, "template_id": template_id, "url": url, "data": data})


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RecordingChannel:
    """The in-app inbox only."""

    name = "recording"

    def deliver(self, notification) -> None:
        logger.info("notification recorded", extra={"driver": notification.driver_id, "kind": notification.kind})


class SmsChannel:
    """Each kind has its own approved SMS template (NOTIFICATION_SMS_TEMPLATES) with a title and a message."""

    name = "sms"

    def deliver(self, notification) -> None:
        gateway: SmsGateway = import_string(settings.NOTIFICATION_SMS_GATEWAY)()
        gateway.send(
            phone=driver_phone_get(driver=notification.driver),
            template_code=settings.NOTIFICATION_SMS_TEMPLATES.get(notification.kind, ""),
            params={
                "title": _fit(notification.title, SMS_PARAM_MAX_CHARS),
                "message": _fit(notification.body, SMS_PARAM_MAX_CHARS),
            },
        )
        logger.info(
            "notification sent by SMS",
            extra={"phone": notification.driver.phone_masked, "kind": notification.kind},
        )


class WechatTemplateChannel:
    """Each kind has its template (NOTIFICATION_WECHAT_TEMPLATES) with two fields: thing1 the title, thing2
    the message; the card opens the driver's inbox. The recipient is the driver's id under the Official
    Account (the real gateway maps it to the follower's openid)."""

    name = "wechat"

    def deliver(self, notification) -> None:
        gateway: WechatTemplateGateway = import_string(settings.NOTIFICATION_WECHAT_GATEWAY)()
        gateway.send(
            to_user=f"driver-{notification.driver_id}",
            template_id=settings.NOTIFICATION_WECHAT_TEMPLATES.get(notification.kind, ""),
            url=settings.SITE_URL + reverse("driver-rewards") + "#inbox",
            data={
                "thing1": {"value": _fit(notification.title, WECHAT_THING_MAX_CHARS)},
                "thing2": {"value": _fit(notification.body, WECHAT_THING_MAX_CHARS)},
            },
        )


def channel_get():
    return import_string(settings.NOTIFICATION_CHANNEL)()
