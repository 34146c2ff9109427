"""The wallet listens to lower apps: drivers get their accounts and activated stations their receivable
buckets inside the announcing transaction."""

from decimal import Decimal

import pytest

from drivers.services import driver_register
from stations.enums import StationStatus
from stations.services import (
    dispenser_create,
    nozzle_create,
    station_apply,
    station_bank_account_set,
    station_price_schedule,
    station_transition,
)
from tests.factories.stations import EnterpriseFactory, FuelGradeFactory
from wallet.enums import AccountKind
from wallet.models import Account

pytestmark = pytest.mark.django_db


def test_a_registered_driver_has_principal_and_bonus_accounts():
    # The test's transaction never commits: accounts here prove delivery inside the registering transaction.
    driver = driver_register(phone="13911112222")
    kinds = sorted(Account.objects.filter(driver=driver).values_list("kind", flat=True))
    assert kinds == [AccountKind.DRIVER_BONUS, AccountKind.DRIVER_PRINCIPAL]


def test_activating_a_station_provisions_every_receivable_bucket(settings):
    station = station_apply(
        enterprise=EnterpriseFactory(), code="new", name="新站", address="上海", latitude=Decimal(31), longitude=121
    )
    station_bank_account_set(station=station, bank_name="工行", holder="新站", account_number="6222020000123456")
    grade = FuelGradeFactory()
    nozzle_create(dispenser=dispenser_create(station=station, number=1), number=1, logical_number=1, grade=grade)
    station_price_schedule(station=station, grade=grade, list_price_fen_per_litre=765, price_fen_per_litre=735)
    for status in (StationStatus.UNDER_REVIEW, StationStatus.APPROVED):
        station_transition(station=station, to_status=status)
    assert not Account.objects.filter(station=station).exists()
    station_transition(station=station, to_status=StationStatus.ACTIVE)
    buckets = Account.objects.filter(station=station, kind=AccountKind.STATION_RECEIVABLE).count()
    assert buckets == settings.LEDGER_HOT_ACCOUNT_BUCKETS
