"""Notification channels: the SMS and WeChat template channels send through their gateway after the commit;
the simulator gateways check what the provider checks and record the message; production refuses them."""

import json

import pytest

from marketing.channels import SmsSimulatorGateway, WechatTemplateSimulatorGateway
from marketing.enums import NotificationKind, NotificationStatus
from marketing.exceptions import NotificationNotDelivered
from marketing.services import notification_opt_out_set, notifications_send_due, notify
from tests.factories.drivers import DriverFactory
from tests.marketing.test_campaigns_and_notifications import at
from tests.security.test_free_top_up import PRODUCTION_ENV, _python

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, tmp_path):
    settings.NOTIFICATION_OUTBOX_PATH = str(tmp_path / "outbox.jsonl")

    def read() -> list[dict]:
        path = tmp_path / "outbox.jsonl"
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []

    return read


def _send(driver, django_capture_on_commit_callbacks, *, kind=NotificationKind.CAMPAIGN, hour=12, body="送您一张券"):
    with django_capture_on_commit_callbacks(execute=True):
        return notify(driver_id=driver.pk, kind=kind, title="周末加油优惠", body=body, now=at(hour))


def test_the_sms_channel_sends_the_kinds_template_on_commit(settings, outbox, django_capture_on_commit_callbacks):
    settings.NOTIFICATION_CHANNEL = "marketing.channels.SmsChannel"
    driver = DriverFactory(phone="13900001111")
    _send(driver, django_capture_on_commit_callbacks)
    (record,) = outbox()
    assert (record["channel"], record["PhoneNumbers"], record["TemplateCode"]) == ("sms", "13900001111", "SMS_FP_OFFER")
    assert record["TemplateParam"] == {"title": "周末加油优惠", "message": "送您一张券"}


def test_the_wechat_channel_sends_a_template_card_opening_the_inbox(
    settings, outbox, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_CHANNEL = "marketing.channels.WechatTemplateChannel"
    driver = DriverFactory()
    _send(driver, django_capture_on_commit_callbacks, kind=NotificationKind.REFUEL_REMINDER)
    (record,) = outbox()
    assert (record["touser"], record["template_id"]) == (f"driver-{driver.pk}", "WX_FP_REFUEL")
    assert record["url"].endswith("/me/rewards/#inbox")
    assert record["data"] == {"thing1": {"value": "周末加油优惠"}, "thing2": {"value": "送您一张券"}}


@pytest.mark.parametrize(
    ("_case", "channel", "field", "limit"),
    [
        ("SMS variable", "marketing.channels.SmsChannel", lambda r: r["TemplateParam"]["message"], 35),
        ("WeChat thing", "marketing.channels.WechatTemplateChannel", lambda r: r["data"]["thing2"]["value"], 20),
    ],
)
def test_a_long_message_is_cut_to_the_providers_limit(
    settings, outbox, django_capture_on_commit_callbacks, _case, channel, field, limit
):
    settings.NOTIFICATION_CHANNEL = channel
    _send(DriverFactory(), django_capture_on_commit_callbacks, body="很" * 100)
    (record,) = outbox()
    assert field(record) == "很" * (limit - 1) + "…"


@pytest.mark.parametrize(
    ("_case", "hour", "opted_out"), [("quiet hours: it waits", 23, False), ("opted out: never sent", 12, True)]
)
def test_nothing_reaches_the_gateway_for_a_message_not_sent(
    settings, outbox, django_capture_on_commit_callbacks, _case, hour, opted_out
):
    settings.NOTIFICATION_CHANNEL = "marketing.channels.SmsChannel"
    driver = DriverFactory()
    if opted_out:
        notification_opt_out_set(driver_id=driver.pk, kind=NotificationKind.CAMPAIGN, opted_out=True)
    notification = _send(driver, django_capture_on_commit_callbacks, hour=hour)
    assert notification.status != NotificationStatus.SENT
    assert outbox() == []


def test_a_message_held_by_quiet_hours_reaches_the_gateway_when_they_end(
    settings, outbox, django_capture_on_commit_callbacks
):
    settings.NOTIFICATION_CHANNEL = "marketing.channels.SmsChannel"
    _send(DriverFactory(), django_capture_on_commit_callbacks, hour=23)
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications_send_due(now=at(8, day=24)) == 1
    assert [record["TemplateCode"] for record in outbox()] == ["SMS_FP_OFFER"]


@pytest.mark.parametrize(
    ("_case", "kwargs", "provider_code"),
    [
        ("not a mainland mobile", {"phone": "12345", "template_code": "T", "params": {}}, "isv.MOBILE_NUMBER_ILLEGAL"),
        ("no template", {"phone": "13900001111", "template_code": "", "params": {}}, "isv.TEMPLATE_PARAMS_ILLEGAL"),
        (
            "variable too long",
            {"phone": "13900001111", "template_code": "T", "params": {"message": "x" * 36}},
            "isv.TEMPLATE_PARAMS_ILLEGAL",
        ),
    ],
)
def test_the_sms_simulator_refuses_what_the_provider_refuses(outbox, _case, kwargs, provider_code):
    with pytest.raises(NotificationNotDelivered) as refused:
        SmsSimulatorGateway().send(**kwargs)
    assert refused.value.extra == {"provider_code": provider_code}
    assert outbox() == []


@pytest.mark.parametrize(
    ("_case", "to_user", "template_id", "value"),
    [("no recipient", "", "T", "ok"), ("no template", "u", "", "ok"), ("thing over 20", "u", "T", "x" * 21)],
)
def test_the_wechat_simulator_refuses_what_the_provider_refuses(outbox, _case, to_user, template_id, value):
    with pytest.raises(NotificationNotDelivered) as refused:
        WechatTemplateSimulatorGateway().send(
            to_user=to_user, template_id=template_id, url="", data={"thing1": {"value": value}}
        )
    assert refused.value.extra == {"provider_code": "47003"}
    assert outbox() == []


@pytest.mark.parametrize(
    ("_case", "env", "starts"),
    [
        ("SMS simulator", {"NOTIFICATION_CHANNEL": "marketing.channels.SmsChannel"}, False),
        ("WeChat simulator", {"NOTIFICATION_CHANNEL": "marketing.channels.WechatTemplateChannel"}, False),
        (
            "demo allowed",
            {"NOTIFICATION_CHANNEL": "marketing.channels.SmsChannel", "ALLOW_DEMO_NOTIFICATION_GATEWAY": "1"},
            True,
        ),
        (
            "a real gateway",
            {"NOTIFICATION_CHANNEL": "marketing.channels.SmsChannel", "NOTIFICATION_SMS_GATEWAY": "example.Aliyun"},
            True,
        ),
        ("the inbox only", {}, True),
    ],
)
def test_production_refuses_the_notification_simulators(_case, env, starts):
    result = _python("import fuelpay.settings.production", PRODUCTION_ENV | {"PAYMENT_PROVIDER": "wechatpay"} | env)
    assert (result.returncode == 0) is starts, result.stderr
    if not starts:
        assert "ALLOW_DEMO_NOTIFICATION_GATEWAY" in result.stderr
