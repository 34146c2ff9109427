"""转赠 from its page: phone and amount, a confirm step with the recipient masked, an SMS code to the
sender's own phone from a configurable amount up; any refusal says why and moves nothing."""

import json
import re

import pytest

from tests.factories.drivers import DriverFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.WALLET_TRANSFER_SMS_FROM_FEN = 50_000
    return tmp_path / "sms.jsonl"


@pytest.fixture
def sender(client):
    driver = DriverFactory(phone="13900001111")
    top_up(driver, 100_000)
    client.force_login(driver.user)
    return driver


@pytest.fixture
def recipient():
    return DriverFactory(phone="13700002222")


def _last_code(outbox) -> str:
    message = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])["message"]
    return re.search(r"\d{6}", message).group()


def test_a_small_transfer_is_confirmed_with_the_recipient_masked(client, outbox, sender, recipient):
    review = client.post("/me/transfer/", {"phone": "137 0000 2222", "amount_yuan": "100", "key": "t", "step": "enter"})
    page = review.content.decode()
    assert 'id="recipient">137****2222<' in page and "13700002222" not in page.replace('value="13700002222"', "")
    assert 'name="code"' not in page and not outbox.exists()
    assert wallet_balance_get(driver_id=recipient.pk).principal_fen == 0  # nothing moves before confirming
    done = client.post(
        "/me/transfer/", {"phone": "137 0000 2222", "amount_yuan": "100", "key": "t", "step": "confirm"}, follow=True
    )
    assert "¥100.00 已转给 137****2222。" in done.content.decode()
    assert wallet_balance_get(driver_id=recipient.pk).principal_fen == 10_000
    assert wallet_balance_get(driver_id=sender.pk).principal_fen == 90_000


def test_a_large_transfer_needs_the_sms_code_sent_to_the_sender(
    client, outbox, sender, recipient, django_capture_on_commit_callbacks
):
    fields = {"phone": "13700002222", "amount_yuan": "600", "key": "t"}
    with django_capture_on_commit_callbacks(execute=True):  # the SMS leaves after the commit
        page = client.post("/me/transfer/", fields | {"step": "enter"}).content.decode()
    assert 'name="code"' in page
    sent = json.loads(outbox.read_text(encoding="utf-8").splitlines()[-1])
    assert sent["phone"] == "13900001111"
    before = counters_snapshot()
    wrong = client.post("/me/transfer/", fields | {"step": "confirm", "code": "000000"}).content.decode()
    assert 'id="error"' in wrong and counters_snapshot() == before
    client.post("/me/transfer/", fields | {"step": "confirm", "code": _last_code(outbox)})
    assert wallet_balance_get(driver_id=recipient.pk).principal_fen == 60_000


@pytest.mark.parametrize(
    "phone, amount",
    [("13700009999", "10"), ("13900001111", "10"), ("12345", "10"), ("13700002222", "abc"), ("13700002222", "0")],
)
def test_bad_input_is_refused_with_a_message_and_moves_nothing(client, outbox, sender, recipient, phone, amount):
    before = counters_snapshot()
    for step in ("enter", "confirm"):
        page = client.post("/me/transfer/", {"phone": phone, "amount_yuan": amount, "key": "t", "step": step})
        assert 'id="error"' in page.content.decode()
    assert counters_snapshot() == before
