"""Every API is throttled: outsiders by address, drivers and staff by user; transfers tighter still."""

import pytest

from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.stations import StaffRoleFactory
from tests.factories.wallet import top_up

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _low_rates(settings):
    settings.API_THROTTLE_RATES = {"anon": "3/min", "driver": "3/min", "staff": "3/min", "transfer": "2/hour"}


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("outsider", "/api/stations/nearby/?lat=31.2&lng=121.4"),
        ("driver", "/api/wallet/"),
        ("staff", "/api/staff/stations/"),
    ],
)
def test_each_scope_is_throttled(client, who, url):
    if who == "driver":
        client.force_login(DriverFactory().user)
    elif who == "staff":
        client.force_login(StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user)
    assert [client.get(url).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_transfers_are_throttled_against_phone_enumeration(client, driver):
    top_up(driver, 10_000)
    client.force_login(driver.user)
    statuses = [
        client.post(
            "/api/wallet/transfers/",
            {"to_phone": f"1300000000{n}", "amount_fen": 100, "idempotency_key": str(n)},
            content_type="application/json",
        ).status_code
        for n in range(3)
    ]
    assert statuses == [400, 400, 429]
