"""Phone numbers encrypted at rest (issue 12): no table, column or session holds a full number in clear, and
everything that finds a driver by number (sign-in, transfers, referrals, the admin's search) still works."""

import io
import json

import pytest
from cryptography.fernet import Fernet
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import connection
from django.test import Client

from core.crypto import decrypt_text, phone_digest
from drivers.models import Driver, SmsCode
from drivers.selectors import driver_get_by_phone, driver_phone_get
from marketing.services import referral_accept, referral_code_get_or_create
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import CouponTemplateFactory
from tests.factories.wallet import top_up
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db
SIGNER, RECIPIENT = "13912345678", "13787654321"


@pytest.fixture(autouse=True)
def sms_outbox(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    return tmp_path / "sms.jsonl"


def _sign_in(client, outbox, django_capture_on_commit_callbacks, phone=SIGNER):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/login/", {"phone": phone, "next": "/me/"})
    message = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["message"]
    code = next(word for word in message.replace("，", " ").replace(",", " ").split() if word.isdigit())
    return client.post("/login/verify/", {"code": code, "next": "/me/"})


def _columns_holding(text: str) -> list[tuple[str, str]]:
    """Every (table, column) whose raw value contains the text, read with a plain cursor."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - catalogue names
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    raw = bytes(value).decode(errors="ignore") if isinstance(value, bytes | memoryview) else str(value)
                    if text in raw:
                        found.append((table, column))
    return found


def _sessions_holding(text: str) -> list[str]:
    """Session data is signed and encoded: decoded, it must not hold the number either."""
    store = SessionStore()
    return [s.session_key for s in Session.objects.all() if text in json.dumps(store.decode(s.session_data))]


def test_no_table_or_session_holds_a_full_number_after_sign_in_transfer_and_referral(
    sms_outbox, django_capture_on_commit_callbacks
):
    CouponTemplateFactory(name="邀请有礼", benefit_value=5000, for_referrals=True)
    signer_client = Client()
    waiting = Client()  # between the two sign-in steps
    with django_capture_on_commit_callbacks(execute=True):
        waiting.post("/login/", {"phone": "13611112222", "next": "/me/"})
    assert _sign_in(signer_client, sms_outbox, django_capture_on_commit_callbacks).status_code == 302
    signer = driver_get_by_phone(phone=SIGNER)
    recipient = DriverFactory(phone=RECIPIENT)
    referral_accept(invitee_id=recipient.pk, code=referral_code_get_or_create(driver_id=signer.pk), device_digest="d")
    top_up(signer, 10_000)
    transfer = signer_client.post(
        "/api/wallet/transfers/",
        {"to_phone": RECIPIENT, "amount_fen": 2_500, "idempotency_key": "t-1"},
        content_type="application/json",
    )
    assert transfer.status_code == 201
    for phone in (SIGNER, RECIPIENT, "13611112222"):
        assert _columns_holding(phone) == []
        assert _sessions_holding(phone) == []


def test_a_driver_row_holds_ciphertext_digest_and_mask_and_a_non_identifying_user_name():
    driver = DriverFactory(phone=SIGNER)
    assert decrypt_text(driver.phone_encrypted) == SIGNER == driver_phone_get(driver=driver)
    assert driver.phone_digest == phone_digest(SIGNER)
    assert str(driver) == driver.phone_masked == "139****5678"
    assert driver.user.username == f"d-{phone_digest(SIGNER)[:24]}"


def test_registering_the_same_number_again_finds_the_driver_by_its_digest():
    driver = DriverFactory(phone=SIGNER)
    assert DriverFactory(phone=SIGNER) == driver and Driver.objects.count() == 1


def test_a_returning_driver_signs_in_to_the_same_wallet(sms_outbox, django_capture_on_commit_callbacks):
    driver = DriverFactory(phone=SIGNER)
    top_up(driver, 1_234)
    client = Client()
    response = _sign_in(client, sms_outbox, django_capture_on_commit_callbacks, phone="+86 139-1234-5678")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(driver.user.pk)
    assert Driver.objects.count() == 1 and wallet_balance_get(driver_id=driver.pk).available_fen == 1_234


def test_sms_codes_are_counted_per_phone_by_digest(sms_outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Client().post("/login/", {"phone": SIGNER})
    assert list(SmsCode.objects.values_list("phone_digest", flat=True)) == [phone_digest(SIGNER)]


def test_the_sign_in_session_forgets_the_number_once_signed_in(sms_outbox, django_capture_on_commit_callbacks):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/login/", {"phone": SIGNER})
    assert decrypt_text(client.session["sign_in_phone_encrypted"]) == SIGNER
    _sign_in(client, sms_outbox, django_capture_on_commit_callbacks)
    assert "sign_in_phone_encrypted" not in client.session and "_auth_user_id" in client.session


def test_the_transfer_page_still_finds_the_recipient_by_number(client):
    sender = DriverFactory(phone=SIGNER)
    recipient = DriverFactory(phone=RECIPIENT)
    top_up(sender, 10_000)
    client.force_login(sender.user)
    response = client.post("/me/transfer/", {"phone": RECIPIENT, "amount_yuan": "10", "step": "enter"})
    assert response.context["step"] == "confirm" and response.context["recipient"] == recipient


def test_rotation_re_encrypts_numbers_and_makes_the_digests_follow_a_new_secret_key(settings):
    driver = DriverFactory(phone=SIGNER)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *settings.FIELD_ENCRYPTION_KEYS]
    settings.SECRET_KEY = "a-new-secret-key-after-an-incident-0123456789"
    assert driver_get_by_phone(phone=SIGNER) is None  # the stored digest was made under the old key
    call_command("rotate_field_encryption", stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # old key retired
    found = driver_get_by_phone(phone=SIGNER)
    assert found == driver and decrypt_text(found.phone_encrypted) == SIGNER
