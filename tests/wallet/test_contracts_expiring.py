"""A contract (合约加油) ending within the notice is announced once, with what is left to use there."""

from datetime import timedelta

import pytest
from django.utils import timezone

from marketing.enums import Funder, NotificationKind
from marketing.models import ContractOffer, Notification
from tests.factories.wallet import top_up
from wallet.services.contracts import wallet_contract_open, wallet_contracts_notify_expiring

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(driver, station):
    top_up(driver, 100_000)
    offer = ContractOffer.objects.create(
        station=station, committed_fen=50_000, days=30, reward_bonus_fen=2_000, funder=Funder.STATION
    )
    return wallet_contract_open(driver=driver, offer_id=offer.pk, idempotency_key="c")


def test_a_contract_ending_within_the_notice_is_announced_once(settings, contract):
    settings.NOTIFICATION_EXPIRING_DAYS = 3
    assert wallet_contracts_notify_expiring(now=contract.ends_at - timedelta(days=4)) == 0
    assert wallet_contracts_notify_expiring(now=contract.ends_at - timedelta(days=2)) == 1
    assert wallet_contracts_notify_expiring(now=contract.ends_at - timedelta(days=1)) == 0
    (message,) = Notification.objects.filter(kind=NotificationKind.EXPIRING)
    assert (message.driver_id, message.dedup_key) == (contract.driver_id, f"contract_expiring:{contract.pk}")
    assert contract.station.name in message.body and "¥500.00" in message.body


def test_an_ended_contract_is_not_announced(contract):
    assert wallet_contracts_notify_expiring(now=contract.ends_at + timedelta(minutes=1)) == 0
    assert not Notification.objects.filter(kind=NotificationKind.EXPIRING).exists()  # the top-up has its own


def test_a_contract_with_a_month_left_is_not_announced_yet(contract):
    assert wallet_contracts_notify_expiring(now=timezone.now()) == 0  # 30 days left: nothing yet
