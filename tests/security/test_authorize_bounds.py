"""Hole 4: one console entry with a huge preset stopped a station. Authorize amounts are bounded in the one
service every entry point (console, API, orders) goes through."""

import pytest

from pumpgateway.enums import AuthorizationSource
from pumpgateway.exceptions import InvalidPreset
from pumpgateway.models import PumpAuthorization, PumpCommand
from pumpgateway.services import pump_authorization_request
from stations.enums import StaffRoleKind
from tests.factories.stations import StaffRoleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("amount_yuan", ["99999999999", "2000.01", "1e9"])
def test_a_console_entry_over_the_bound_authorizes_nothing(client, store_line, amount_yuan):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=store_line.station).user)
    response = client.post("/console/pay-test/nozzles/1/authorize/", {"amount_yuan": amount_yuan}, follow=True)
    assert response.status_code == 200 and 'id="error"' in response.content.decode()
    assert not PumpAuthorization.objects.exists() and not PumpCommand.objects.exists()
    client.post("/console/pay-test/nozzles/1/authorize/", {"amount_yuan": "2000"})
    assert PumpAuthorization.objects.get().preset_amount_fen == 200_000  # the bound itself is accepted


@pytest.mark.parametrize(
    "preset", [{"preset_amount_fen": 200_001}, {"preset_volume_ml": 300_001}, {"preset_amount_fen": 10**30}]
)
def test_the_service_refuses_presets_over_the_bound(store_line, preset):
    with pytest.raises(InvalidPreset):
        pump_authorization_request(nozzle=store_line.nozzles[0], source=AuthorizationSource.ATTENDANT, **preset)
    assert not PumpAuthorization.objects.exists()
