import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from core.crypto import decrypt_text
from stations.exceptions import InvalidBankAccount
from stations.models import Station
from stations.services import station_bank_account_set
from tests.factories.stations import FuelGradeFactory, StationFactory

pytestmark = pytest.mark.django_db


def test_bank_account_is_encrypted_at_rest_and_shown_masked():
    station = station_bank_account_set(
        station=StationFactory(), bank_name="工行", holder="甲", account_number="6222 0200 0012 3456"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT bank_account_number_encrypted FROM stations_station WHERE id = %s", [station.pk])
        stored = cursor.fetchone()[0]
    assert "6222020000123456" not in stored
    assert decrypt_text(stored) == "6222020000123456"
    assert station.bank_account_masked == "**** **** 3456"


@pytest.mark.parametrize("number", ["12345", "6222-0200-0012-3456", "", "1" * 31])
def test_invalid_bank_account_is_rejected_and_nothing_changes(number):
    station = StationFactory()
    with pytest.raises(InvalidBankAccount):
        station_bank_account_set(station=station, bank_name="工行", holder="甲", account_number=number)
    station.refresh_from_db()
    assert station.bank_account_number_encrypted == "" and station.bank_account_number_last4 == ""


def test_key_rotation_reencrypts_with_the_new_key(settings):
    station = station_bank_account_set(
        station=StationFactory(), bank_name="工行", holder="甲", account_number="6222020000123456"
    )
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, old_key]):
        call_command("rotate_field_encryption")
    station.refresh_from_db()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):  # old key retired
        assert decrypt_text(station.bank_account_number_encrypted) == "6222020000123456"


def test_onboard_station_command_creates_an_active_station():
    FuelGradeFactory(code="92", name="92#汽油")
    FuelGradeFactory(code="95", name="95#汽油")
    call_command(
        "onboard_station",
        "--enterprise",
        "独立油站",
        "--code",
        "ops-1",
        "--name",
        "运维站",
        "--address",
        "上海",
        "--lat",
        "31.2",
        "--lng",
        "121.4",
        "--bank-name",
        "工行",
        "--holder",
        "运维站",
        "--account",
        "6222020000999999",
        "--pumps",
        "1:92,95",
        "--prices",
        "92=765/735,95=815/780",
        "--activate",
    )
    station = Station.objects.get(code="ops-1")
    assert station.status == "active"
    assert list(station.nozzles.order_by("number").values_list("number", "grade__code")) == [(1, "92"), (2, "95")]


def test_onboard_station_dry_run_writes_nothing():
    FuelGradeFactory(code="92")
    call_command(
        "onboard_station",
        "--enterprise",
        "独立油站",
        "--code",
        "ops-2",
        "--name",
        "x",
        "--address",
        "y",
        "--lat",
        "31",
        "--lng",
        "121",
        "--bank-name",
        "b",
        "--holder",
        "h",
        "--account",
        "6222020000999999",
        "--pumps",
        "1:92",
        "--prices",
        "92=765/735",
        "--activate",
        "--dry-run",
    )
    assert not Station.objects.filter(code="ops-2").exists()


def test_onboard_station_rejects_unknown_grade_and_writes_nothing():
    with pytest.raises(CommandError, match="unknown fuel grades"):
        call_command(
            "onboard_station",
            "--enterprise",
            "e",
            "--code",
            "ops-3",
            "--name",
            "x",
            "--address",
            "y",
            "--lat",
            "31",
            "--lng",
            "121",
            "--bank-name",
            "b",
            "--holder",
            "h",
            "--account",
            "6222020000999999",
            "--pumps",
            "1:99",
            "--prices",
            "99=765/735",
        )
    assert not Station.objects.filter(code="ops-3").exists()
