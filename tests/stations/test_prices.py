from datetime import timedelta

import pytest
from django.utils import timezone

from stations.enums import StaffRoleKind
from stations.exceptions import InvalidPrice, NoPriceInEffect
from stations.models import GradePrice
from stations.selectors import station_price_get, station_price_history
from stations.services import station_price_schedule
from tests.factories.stations import FuelGradeFactory, StaffRoleFactory, StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def station_and_grade():
    return StationFactory(), FuelGradeFactory()


def test_price_takes_effect_only_from_its_effective_time(station_and_grade):
    station, grade = station_and_grade
    now = timezone.now()
    station_price_schedule(
        station=station,
        grade=grade,
        list_price_fen_per_litre=765,
        price_fen_per_litre=735,
        effective_from=now - timedelta(hours=1),
    )
    station_price_schedule(
        station=station,
        grade=grade,
        list_price_fen_per_litre=780,
        price_fen_per_litre=750,
        effective_from=now + timedelta(hours=1),
    )
    assert station_price_get(station_id=station.pk, grade_id=grade.pk, at=now).price_fen_per_litre == 735
    later = station_price_get(station_id=station.pk, grade_id=grade.pk, at=now + timedelta(hours=2))
    assert (later.list_price_fen_per_litre, later.price_fen_per_litre, later.discount_fen_per_litre) == (780, 750, 30)


def test_price_history_keeps_every_change(station_and_grade):
    station, grade = station_and_grade
    for price in (735, 740, 745):
        station_price_schedule(station=station, grade=grade, list_price_fen_per_litre=765, price_fen_per_litre=price)
    assert [p.price_fen_per_litre for p in station_price_history(station=station)] == [745, 740, 735]


def test_no_price_before_the_first_one_takes_effect(station_and_grade):
    station, grade = station_and_grade
    station_price_schedule(
        station=station,
        grade=grade,
        list_price_fen_per_litre=765,
        price_fen_per_litre=735,
        effective_from=timezone.now() + timedelta(days=1),
    )
    with pytest.raises(NoPriceInEffect):
        station_price_get(station_id=station.pk, grade_id=grade.pk)


@pytest.mark.parametrize(
    ("_case", "list_price", "price"),
    [
        ("station price above list price", 700, 735),
        ("zero price", 765, 0),
        ("negative price", 765, -5),
    ],
)
def test_invalid_price_is_rejected_and_nothing_is_stored(station_and_grade, _case, list_price, price):
    station, grade = station_and_grade
    with pytest.raises(InvalidPrice):
        station_price_schedule(
            station=station, grade=grade, list_price_fen_per_litre=list_price, price_fen_per_litre=price
        )
    assert GradePrice.objects.count() == 0


def test_price_schedule_api_scoped_and_validated(client, station_and_grade):
    station, grade = station_and_grade
    client.force_login(StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=station).user)
    bad = client.post(
        f"/api/staff/stations/{station.pk}/prices/",
        {"grade_code": grade.code, "list_price_fen_per_litre": 700, "price_fen_per_litre": 735},
        content_type="application/json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "station_invalid_price"
    good = client.post(
        f"/api/staff/stations/{station.pk}/prices/",
        {"grade_code": grade.code, "list_price_fen_per_litre": 765, "price_fen_per_litre": 735},
        content_type="application/json",
    )
    assert good.status_code == 201
    assert GradePrice.objects.count() == 1
