"""Hole 1: the simulator's cashier credited a top-up nobody paid for, under every settings module."""

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from wallet.models import TopUpOrder
from wallet.providers import payment_provider_get
from wallet.selectors import wallet_balance_get
from wallet.services.top_up import wallet_top_up_order_create

pytestmark = pytest.mark.django_db(transaction=True)

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k" * 50,
    "FIELD_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LTEyMzQ=",
    "PAYMENT_SIMULATOR_SECRET": "s" * 32,
    "LEDGER_CHAIN_KEY": "c" * 40,
    "SMS_BACKEND": "example.sms.AliyunSmsBackend",
}


def _python(code: str, env: dict) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ALLOW_DEMO", "PAYMENT_", "SMS_"))}
    return subprocess.run(
        [sys.executable, "-c", code], env=environment | env, capture_output=True, text=True, check=False
    )


def test_cashier_refuses_when_the_simulator_is_not_the_provider(client, driver, settings):
    order = wallet_top_up_order_create(driver=driver, amount_fen=50_000, idempotency_key="k")
    settings.PAYMENT_PROVIDER = "wechatpay"
    assert client.post(f"/sim/pay/{order.out_trade_no}/").status_code == 404
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 0
    assert TopUpOrder.objects.get().status == "created"


def test_provider_honours_the_setting(settings):
    assert payment_provider_get().name == "simulator"
    settings.PAYMENT_PROVIDER = "wechatpay"
    with pytest.raises(ImproperlyConfigured):
        payment_provider_get()


@pytest.mark.parametrize(("provider", "routed"), [("simulator", True), ("wechatpay", False)])
def test_cashier_is_routed_only_with_the_simulator(provider, routed):
    result = _python(
        "import django; django.setup(); from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/sim/pay/T1/'); print('routed')\nexcept Resolver404:\n    print('absent')",
        {"DJANGO_SETTINGS_MODULE": "fuelpay.settings.test", "PAYMENT_PROVIDER": provider},
    )
    assert result.stdout.strip() == ("routed" if routed else "absent"), result.stderr


@pytest.mark.parametrize(
    ("_case", "env", "starts"),
    [
        ("simulator", {"PAYMENT_PROVIDER": "simulator"}, False),
        ("dev sms", {"PAYMENT_PROVIDER": "simulator", "ALLOW_DEMO_PAYMENT_SIMULATOR": "1", "SMS_BACKEND": ""}, False),
        (
            "demo allowed",
            {"PAYMENT_PROVIDER": "simulator", "ALLOW_DEMO_PAYMENT_SIMULATOR": "1", "ALLOW_DEMO_SMS_BACKEND": "1"},
            True,
        ),
        ("real provider", {"PAYMENT_PROVIDER": "wechatpay"}, True),
    ],
)
def test_production_refuses_the_simulator_and_the_dev_sms_backend(_case, env, starts):
    env = PRODUCTION_ENV | env
    if env.get("SMS_BACKEND") == "":
        del env["SMS_BACKEND"]
    result = _python("import fuelpay.settings.production", env)
    assert (result.returncode == 0) is starts, result.stderr
    if not starts:
        assert "ImproperlyConfigured" in result.stderr
