"""Hole 6: ten wrong codes from anywhere locked a phone for everyone, and the per-IP limit could not see the
real client behind the proxy. Now the attempting client (address + bound device) is locked, codes are usable
only by the client that asked, and the address is read behind TRUSTED_PROXY_COUNT proxies."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from drivers.models import SmsCode
from drivers.selectors import driver_get_by_phone

pytestmark = pytest.mark.django_db(transaction=True)
VICTIM = "13912345678"


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"


def _last_code(outbox) -> str:
    message = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["message"]
    return next(word for word in message.replace("，", " ").replace(",", " ").split() if word.isdigit())


def _attack(attacker: Client, rounds: int = 2) -> None:
    for _ in range(rounds):
        attacker.post("/login/", {"phone": VICTIM})
        for _ in range(5):
            attacker.post("/login/verify/", {"code": "0000000"})
        SmsCode.objects.update(created_at=timezone.now() - timedelta(seconds=61))  # past the resend interval


def test_an_attacker_locks_only_itself_and_the_owner_signs_in_on_a_new_device(outbox):
    attacker = Client(REMOTE_ADDR="10.0.0.66")
    _attack(attacker)
    assert 'data-code="auth_sign_in_locked"' in attacker.post("/login/", {"phone": VICTIM}).content.decode()
    owner = Client(REMOTE_ADDR="10.0.0.7")
    owner.post("/login/", {"phone": VICTIM, "next": "/me/"})
    response = owner.post("/login/verify/", {"code": _last_code(outbox), "next": "/me/"})
    assert response.status_code == 302 and driver_get_by_phone(phone=VICTIM) is not None


def test_a_stranger_cannot_burn_the_owners_code(outbox):
    owner, stranger = Client(REMOTE_ADDR="10.0.0.7"), Client(REMOTE_ADDR="10.0.0.66")
    owner.post("/login/", {"phone": VICTIM, "next": "/me/"})
    code = _last_code(outbox)
    stranger.post("/login/", {"phone": VICTIM})
    for _ in range(6):
        stranger.post("/login/verify/", {"code": code})  # even the right code is not the stranger's
    assert owner.post("/login/verify/", {"code": code, "next": "/me/"}).status_code == 302


def test_the_owner_on_a_bound_device_is_not_locked_by_a_neighbour_on_the_same_address(outbox):
    owner = Client(REMOTE_ADDR="10.0.0.5")
    owner.post("/login/", {"phone": VICTIM, "next": "/me/"})
    owner.post("/login/verify/", {"code": _last_code(outbox), "next": "/me/"})
    owner.post("/logout/")
    _attack(Client(REMOTE_ADDR="10.0.0.5"))  # same NAT address, no device
    owner.post("/login/", {"phone": VICTIM, "next": "/me/"})
    assert owner.post("/login/verify/", {"code": _last_code(outbox), "next": "/me/"}).status_code == 302


def test_the_per_address_limit_sees_the_real_client_behind_the_trusted_proxy(settings):
    settings.SMS_MAX_PER_IP_PER_HOUR = 2
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="172.18.0.2")  # every request arrives from the proxy
    for n in range(2):
        proxy.post("/login/", {"phone": f"1390000000{n}"}, HTTP_X_FORWARDED_FOR=f"9.9.9.{n}, 203.0.113.9")
    refused = proxy.post("/login/", {"phone": "13900000009"}, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.9")
    assert 'data-code="auth_sms_rate_limited"' in refused.content.decode()
    other = proxy.post("/login/", {"phone": "13900000008"}, HTTP_X_FORWARDED_FOR="198.51.100.4")
    assert other.status_code == 302
    assert set(SmsCode.objects.values_list("client_ip", flat=True)) == {"203.0.113.9", "198.51.100.4"}
