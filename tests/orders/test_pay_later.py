"""闪付 through the pages: the attendant starts the pump from the console, the driver finds the fill by
nozzle and pays it once; a second payer is refused and a wrong pick reaches the attendant."""

import pytest

from orders.enums import OrderStatus
from orders.models import FuelOrder
from pumpgateway.models import Fill, PumpAuthorization
from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.stations import StaffRoleFactory
from tests.factories.wallet import top_up
from tests.forecourt import wait_for
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_attendant_fill_is_found_by_nozzle_paid_once_and_a_wrong_pick_is_reported(forecourt, client):
    from django.test import Client

    station, simulator = forecourt["station"], forecourt["simulator"]
    attendant = Client()
    attendant.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=station).user)
    attendant.post(f"/console/{station.code}/nozzles/2/authorize/", {"amount_yuan": "20"})
    authorization = PumpAuthorization.objects.get()
    wait_for(lambda: PumpAuthorization.objects.get(pk=authorization.pk).status == "authorised")
    simulator.control("/pumps/1/lift", {"nozzle": 2})
    fill = wait_for(lambda: Fill.objects.filter(authorization=authorization).first(), message="fill stored")
    simulator.control("/pumps/1/hangup", {})
    assert attendant.get(f"/console/{station.code}/state/").json()["unpaid_fills"][0]["amount_fen"] == fill.amount_fen

    driver = DriverFactory()
    top_up(driver, 10_000)
    client.force_login(driver.user)
    assert 'form class="row fill"' not in client.get(f"/s/{station.code}/pay-later/?nozzle=1").content.decode()
    page = client.get(f"/s/{station.code}/pay-later/?nozzle=2").content.decode()
    assert f'value="{fill.pk}"' in page
    response = client.post(f"/s/{station.code}/pay-later/", {"fill": fill.pk, "nozzle": 2, "key": "p1"})
    order = FuelOrder.objects.get()
    assert response["Location"] == f"/orders/{order.order_no}/"
    assert order.status == OrderStatus.PAID and order.paid_fen == fill.amount_fen
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 10_000 - fill.amount_fen

    second = DriverFactory()
    top_up(second, 10_000)
    client.force_login(second.user)
    refused = client.post(f"/s/{station.code}/pay-later/", {"fill": fill.pk, "nozzle": 2, "key": "p2"})
    assert 'id="error"' in refused.content.decode()
    assert wallet_balance_get(driver_id=second.pk).available_fen == 10_000

    client.force_login(driver.user)
    client.post(f"/orders/{order.order_no}/wrong-fill/", {"note": "不是我的车"})
    reports = attendant.get(f"/console/{station.code}/state/").json()["wrong_fill_reports"]
    assert reports[0]["note"] == "不是我的车"
    assert ledger_verify().ok
