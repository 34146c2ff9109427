import io
from datetime import time
from decimal import Decimal

import pytest
import segno
from django.test import override_settings
from django.utils import timezone

from stations.enums import StationStatus
from stations.selectors import station_list_nearby
from tests.factories.stations import FuelGradeFactory, NozzleFactory, StationFactory

pytestmark = pytest.mark.django_db
PEOPLES_SQUARE = (31.2304, 121.4737)


def _station(code, lat, lng, **kwargs):
    return StationFactory(code=code, latitude=Decimal(lat), longitude=Decimal(lng), **kwargs)


def test_nearby_orders_by_distance_and_excludes_inactive_and_far():
    _station("far", "31.9", "121.4737")
    _station("near", "31.2310", "121.4740")
    _station("mid", "31.2500", "121.4737")
    _station("inactive", "31.2305", "121.4737", status=StationStatus.SUSPENDED)
    codes = [
        s.station.code
        for s in station_list_nearby(latitude=PEOPLES_SQUARE[0], longitude=PEOPLES_SQUARE[1], radius_km=20)
    ]
    assert codes == ["near", "mid"]


def test_nearby_filters_by_fuel_grade():
    diesel = FuelGradeFactory(code="0", name="0#柴油", kind="diesel")
    NozzleFactory(dispenser__station=_station("gas", "31.2310", "121.4740"))
    NozzleFactory(dispenser__station=_station("diesel", "31.2320", "121.4740"), grade=diesel)
    nearby = station_list_nearby(latitude=PEOPLES_SQUARE[0], longitude=PEOPLES_SQUARE[1], grade_code="0")
    assert [s.station.code for s in nearby] == ["diesel"]


def test_nearby_open_now_handles_hours_past_midnight():
    now = timezone.localtime().time()
    # Closed: opens an hour from now and closes two hours from now (wrapping midnight if need be).
    opens = time((now.hour + 1) % 24, 0)
    closes = time((now.hour + 2) % 24, 0)
    _station("closed-now", "31.2310", "121.4740", opens_at=opens, closes_at=closes)
    _station("always-open", "31.2320", "121.4740")
    _station(
        "overnight",
        "31.2330",
        "121.4740",
        opens_at=time((now.hour + 2) % 24, 0),
        closes_at=time((now.hour + 1) % 24, 0),
    )
    nearby = station_list_nearby(latitude=PEOPLES_SQUARE[0], longitude=PEOPLES_SQUARE[1], open_now=True)
    assert {s.station.code for s in nearby} == {"always-open", "overnight"}


def test_nearby_api_rejects_bad_coordinates(client):
    response = client.get("/api/stations/nearby/", {"lat": "91", "lng": "abc"})
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"lat", "lng"}


@override_settings(SITE_URL="https://pay.example.cn")
@pytest.mark.parametrize("image_format", ["png", "svg"])
def test_nozzle_qr_encodes_the_nozzle_deep_link(client, image_format):
    nozzle = NozzleFactory(number=7)
    response = client.get(f"/stations/{nozzle.station.code}/nozzles/7/qr.{image_format}")
    assert response.status_code == 200
    assert response["Content-Type"] == {"png": "image/png", "svg": "image/svg+xml"}[image_format]
    expected = io.BytesIO()
    segno.make(f"https://pay.example.cn/s/{nozzle.station.code}/7/", error="m").save(
        expected, kind=image_format, scale=8, border=2
    )
    assert response.content == expected.getvalue()


def test_qr_for_unknown_nozzle_is_404(client):
    station = StationFactory()
    assert client.get(f"/stations/{station.code}/nozzles/99/qr.png").status_code == 404
    assert client.get(f"/stations/{station.code}/qr.gif").status_code == 404
