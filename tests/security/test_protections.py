"""Protections: CSP with script nonces (no 'unsafe-inline' scripts), Permissions-Policy, production transport
headers, and the admin/staff login lockout with failed-login records."""

import os
import re
import subprocess
import sys

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client

from stations.enums import StaffRoleKind
from tests.factories.stations import StaffRoleFactory

pytestmark = pytest.mark.django_db


def test_pages_carry_a_csp_whose_scripts_need_the_nonce(client, driver, store_line):
    client.force_login(driver.user)
    response = client.get("/s/pay-test/1/")
    policy = response["Content-Security-Policy"]
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    nonce = re.search(r"'nonce-([^']+)'", script_src).group(1)
    scripts = re.findall(r"<script([^>]*)>", response.content.decode())
    assert scripts and all(f'nonce="{nonce}"' in attributes for attributes in scripts)
    assert "geolocation=(self)" in response["Permissions-Policy"]
    assert "frame-ancestors 'none'" in policy


def test_only_the_admin_lets_its_theme_evaluate_scripts_and_inline_scripts_stay_blocked(client, driver, store_line):
    def script_src(response):
        return next(part for part in response["Content-Security-Policy"].split(";") if "script-src" in part)

    client.force_login(driver.user)
    assert "'unsafe-eval'" not in script_src(client.get("/s/pay-test/1/"))
    admin_policy = script_src(client.get("/admin/login/"))
    assert "'unsafe-eval'" in admin_policy  # unfold's Alpine.js
    assert "'unsafe-inline'" not in admin_policy
    assert "'unsafe-eval'" in script_src(client.get("/finance/"))  # drawn in the admin theme too


def test_production_sends_hsts_redirects_to_https_and_secures_cookies():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYMENT_", "SMS_", "ALLOW_DEMO"))} | {
        "DEBUG": "false",
        "SECRET_KEY": "k" * 50,
        "FIELD_ENCRYPTION_KEYS": "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LTEyMzQ=",
        "LEDGER_CHAIN_KEY": "c" * 40,
        "PAYMENT_PROVIDER": "wechatpay",
        "SMS_BACKEND": "example.AliyunSms",
    }
    code = (
        "import fuelpay.settings.production as s; "
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_SECURE)"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["31536000", "True", "True", "True"]


def test_staff_login_locks_the_user_and_address_pair_and_logs_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3
    user = StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user
    user.set_password("right-password-123")
    user.save()
    attacker = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(3):
        attacker.post("/admin/login/", {"username": user.username, "password": "wrong"})
    refused = attacker.post("/admin/login/", {"username": user.username, "password": "right-password-123"})
    assert refused.status_code == 429 and "_auth_user_id" not in attacker.session
    assert AccessFailureLog.objects.filter(username=user.username, ip_address="10.1.1.1").count() >= 3
    assert AccessAttempt.objects.filter(username=user.username).exists()
    owner = Client(REMOTE_ADDR="10.2.2.2")
    response = owner.post("/admin/login/", {"username": user.username, "password": "right-password-123"})
    assert response.status_code == 302 and "_auth_user_id" in owner.session


def test_contract_offer_changes_are_audit_logged_with_who_and_where(settings):
    from core.models import AuditEvent
    from marketing.models import ContractOffer
    from tests.factories.stations import StationFactory

    station = StationFactory()
    platform = Client(REMOTE_ADDR="10.3.3.3")
    admin_user = StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user
    platform.force_login(admin_user)
    response = platform.post(
        "/admin/marketing/contractoffer/add/",
        {
            "station": station.pk,
            "committed_fen": "1000.00",  # the console takes yuan; the audit detail records the stored fen
            "days": 30,
            "reward_bonus_fen": "50.00",
            "funder": "station",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    offer = ContractOffer.objects.get()
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.target, event.client_ip) == (
        admin_user,
        "marketing.contractoffer.added",
        f"marketing.contractoffer:{offer.pk}",
        "10.3.3.3",
    )
    assert event.detail["reward_bonus_fen"] == "5000"
    assert platform.get("/admin/core/auditevent/").status_code == 200
