"""Hole 7: hostile input answered with a clear 4xx, never a 500."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from wallet.selectors import wallet_balance_get
from wallet.services.top_up import wallet_top_up_order_create

pytestmark = pytest.mark.django_db

NOTIFY = "/api/payments/simulator/notify/"


def test_notify_with_a_non_ascii_signature_is_a_clear_400(client, driver):
    order = wallet_top_up_order_create(driver=driver, amount_fen=20_000, idempotency_key="k")
    params = {"out_trade_no": order.out_trade_no, "total_fee": "20000", "result_code": "SUCCESS", "sign": "签名"}
    response = client.post(NOTIFY, params, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "payment_invalid_signature"
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 0


def test_notify_with_deeply_nested_json_is_a_clear_400(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(NOTIFY, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_image_build_collects_static_with_a_manifest(tmp_path):
    """The image collected under local settings, so production's manifest storage found no manifest."""
    dockerfile = Path("Dockerfile").read_text(encoding="utf-8")
    assert "DJANGO_SETTINGS_MODULE=fuelpay.settings.build python manage.py collectstatic" in dockerfile
    environment = os.environ | {"DJANGO_SETTINGS_MODULE": "fuelpay.settings.build", "FUELPAY_VAR_DIR": str(tmp_path)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], env=environment, check=True, timeout=300
    )
    manifest = json.loads((tmp_path / "staticfiles" / "staticfiles.json").read_text())
    assert "admin/css/base.css" in manifest["paths"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/wallet/hold/?driver=99999999999999999999999",
        "/admin/stations/station/?enterprise=99999999999999999999999",
        "/admin/stations/gradeprice/?station=-99999999999999999999999",
    ],
)
def test_admin_filters_with_out_of_range_integers_are_not_a_500(admin_client, url):
    response = admin_client.get(url)
    # SQLite cannot bind the number: the admin's invalid-filter redirect. PostgreSQL simply finds nothing.
    assert (response.status_code, response.get("Location", "?e=1")[-4:]) in ((302, "?e=1"), (200, "?e=1"))
