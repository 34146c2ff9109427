"""Hole 2 (and finance at the pumps, hole 10): every staff API and page checks the role's permission, not only
the station scope. One row per role × endpoint; a refusal is a 403 and changes nothing."""

import pytest

from pumpgateway.models import PumpAuthorization
from stations.models import GradePrice, StationStatusChange
from tests.factories.stations import FuelGradeFactory, NozzleFactory

pytestmark = pytest.mark.django_db

ROLES = ["platform", "enterprise_a", "manager_a1", "cashier_a1", "finance_a", "nobody"]

# endpoint -> roles that may use it (at station a1, which every role here can see)
ALLOWED = {
    "station_list": {"platform", "enterprise_a", "manager_a1", "cashier_a1", "finance_a"},
    "station_detail": {"platform", "enterprise_a", "manager_a1", "cashier_a1", "finance_a"},
    "transition": {"platform", "enterprise_a"},
    "prices": {"platform", "enterprise_a", "manager_a1"},
    "console": {"platform", "enterprise_a", "manager_a1", "cashier_a1"},
    "console_state": {"platform", "enterprise_a", "manager_a1", "cashier_a1"},
    "console_authorize": {"platform", "enterprise_a", "manager_a1", "cashier_a1"},
}


def _call(client, endpoint, station):
    api = f"/api/staff/stations/{station.pk}/"
    json = {"content_type": "application/json"}
    return {
        "station_list": lambda: client.get("/api/staff/stations/"),
        "station_detail": lambda: client.get(api),
        "transition": lambda: client.post(f"{api}transition/", {"to_status": "suspended", "note": "x"}, **json),
        "prices": lambda: client.post(
            f"{api}prices/", {"grade_code": "92", "list_price_fen_per_litre": 800, "price_fen_per_litre": 1}, **json
        ),
        "console": lambda: client.get(f"/console/{station.code}/"),
        "console_state": lambda: client.get(f"/console/{station.code}/state/"),
        "console_authorize": lambda: client.post(
            f"/console/{station.code}/nozzles/1/authorize/", {"amount_yuan": "50"}
        ),
    }[endpoint]()


def _changes():
    return (GradePrice.objects.count(), StationStatusChange.objects.count(), PumpAuthorization.objects.count())


@pytest.mark.parametrize("endpoint", sorted(ALLOWED))
@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_use_only_its_endpoints(client, network, role, endpoint):
    FuelGradeFactory(code="92")
    NozzleFactory(dispenser__station=network["a1"], number=1)
    client.force_login(network["users"][role])
    before = _changes()
    response = _call(client, endpoint, network["a1"])
    if role in ALLOWED[endpoint]:
        assert response.status_code in (200, 201, 302), response.content
    else:
        assert response.status_code == 403
        assert _changes() == before


def test_a_cashier_cannot_set_a_price_that_reaches_the_pump(client, network):
    FuelGradeFactory(code="92")
    client.force_login(network["users"]["cashier_a1"])
    assert _call(client, "prices", network["a1"]).status_code == 403
    assert not GradePrice.objects.exists()
