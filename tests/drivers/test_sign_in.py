"""Driver sign-in by SMS code: rate limits, lockout, device binding — through the real pages."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from drivers.models import Driver, SmsCode, TrustedDevice
from drivers.selectors import driver_get_by_phone
from drivers.services import sms_code_send

# Transactional: the SMS is sent on commit, as in production.
pytestmark = pytest.mark.django_db(transaction=True)
PHONE = "13912345678"


@pytest.fixture(autouse=True)
def sms_outbox(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"


def last_code(outbox) -> str:
    message = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["message"]
    return next(
        word for word in message.replace("，", " ").replace(",", " ").split() if word.isdigit() and len(word) == 6
    )


def request_code(client, phone=PHONE):
    return client.post("/login/", {"phone": phone, "next": "/me/"})


def sign_in(client, outbox, phone=PHONE):
    request_code(client, phone)
    return client.post("/login/verify/", {"code": last_code(outbox), "next": "/me/"})


def age_codes(seconds: int) -> None:
    SmsCode.objects.update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_a_new_phone_signs_in_with_the_code_and_gets_a_wallet(client, sms_outbox):
    response = sign_in(client, sms_outbox)
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert driver_get_by_phone(phone=PHONE) is not None
    assert client.get("/me/").status_code == 200


def test_the_sms_carries_the_code_and_only_its_hash_is_stored(client, sms_outbox):
    request_code(client)
    code = last_code(sms_outbox)
    assert code not in SmsCode.objects.get().code_hash


def test_an_invalid_phone_is_rejected_and_nothing_is_sent(client, sms_outbox):
    response = request_code(client, "12345")
    assert "11" in response.content.decode()
    assert not SmsCode.objects.exists() and not sms_outbox.exists()


def test_a_second_code_within_a_minute_is_refused(client, sms_outbox):
    request_code(client)
    response = request_code(client)
    assert 'data-code="auth_sms_rate_limited"' in response.content.decode()
    assert SmsCode.objects.count() == 1


def test_at_most_five_codes_per_phone_per_hour():
    for _ in range(5):
        sms_code_send(phone=PHONE, client_ip="10.0.0.1")
        age_codes(61)
    with pytest.raises(Exception) as refused:
        sms_code_send(phone=PHONE, client_ip="10.0.0.1")
    assert refused.value.code == "auth_sms_rate_limited"
    assert SmsCode.objects.count() == 5


def test_one_address_cannot_spray_codes_over_many_phones(settings):
    settings.SMS_MAX_PER_IP_PER_HOUR = 3
    for n in range(3):
        sms_code_send(phone=f"1390000000{n}", client_ip="10.0.0.9")
    with pytest.raises(Exception) as refused:
        sms_code_send(phone="13900000009", client_ip="10.0.0.9")
    assert refused.value.code == "auth_sms_rate_limited"


def test_a_wrong_code_does_not_sign_in(client, sms_outbox):
    request_code(client)
    response = client.post("/login/verify/", {"code": "000000" if last_code(sms_outbox) != "000000" else "111111"})
    assert 'data-code="auth_sms_code_invalid"' in response.content.decode()
    assert not Driver.objects.exists()
    assert SmsCode.objects.get().failed_attempts == 1


def test_five_wrong_tries_burn_the_code(client, sms_outbox):
    request_code(client)
    code = last_code(sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        client.post("/login/verify/", {"code": wrong})
    response = client.post("/login/verify/", {"code": code, "next": "/me/"})
    assert response.status_code == 200 and not Driver.objects.exists()


def test_ten_wrong_tries_lock_the_client_even_with_a_fresh_right_code(client, sms_outbox):
    for _ in range(2):
        request_code(client)
        wrong = "000000" if last_code(sms_outbox) != "000000" else "111111"
        for _ in range(5):
            client.post("/login/verify/", {"code": wrong})
        age_codes(61)
    response = request_code(client)
    assert 'data-code="auth_sign_in_locked"' in response.content.decode()
    assert not Driver.objects.exists()


def test_the_session_is_bound_to_the_device_it_was_signed_in_on(client, sms_outbox):
    from django.conf import settings
    from django.test import Client

    sign_in(client, sms_outbox)
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert thief.get("/me/").status_code == 302  # a copied session without the device is signed out
    # ...and signing the copy out ended the session itself, so the driver has to prove the phone again too.
    assert client.get("/me/").status_code == 302


def test_a_revoked_device_is_signed_out(client, sms_outbox):
    sign_in(client, sms_outbox)
    device = TrustedDevice.objects.get()
    client.post(f"/me/devices/{device.pk}/revoke/")
    assert client.get("/me/").status_code == 302


def test_signing_in_again_on_the_same_device_reuses_its_binding(client, sms_outbox):
    sign_in(client, sms_outbox)
    client.post("/logout/")
    age_codes(61)
    sign_in(client, sms_outbox)
    assert TrustedDevice.objects.count() == 1


def test_next_never_redirects_off_site(client, sms_outbox):
    request_code(client)
    response = client.post("/login/verify/", {"code": last_code(sms_outbox), "next": "https://evil.example/"})
    assert response["Location"] == "/me/"
