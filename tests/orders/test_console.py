"""The attendant console: scoped to the attendant's station, live state, attendant authorization."""

import json

import pytest

from pumpgateway.models import PumpAuthorization
from stations.enums import StaffRoleKind
from tests.factories.stations import NozzleFactory, StaffRoleFactory, StationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stations():
    mine, theirs = StationFactory(code="mine"), StationFactory(code="theirs")
    NozzleFactory(dispenser__station=mine, number=1)
    NozzleFactory(dispenser__station=theirs, number=1)
    return mine, theirs


@pytest.fixture
def cashier(client, stations):
    role = StaffRoleFactory(role=StaffRoleKind.CASHIER, station=stations[0])
    client.force_login(role.user)
    return client


def test_an_anonymous_visitor_is_sent_to_the_login(client, stations):
    assert client.get("/console/mine/")["Location"].startswith("/admin/login/")
    assert client.get("/console/mine/state/").status_code == 302


def test_the_cashier_sees_the_own_station(cashier):
    assert cashier.get("/console/mine/").status_code == 200
    state = cashier.get("/console/mine/state/").json()
    assert [nozzle["number"] for nozzle in state["nozzles"]] == [1]
    assert state["nozzles"][0]["state"] == "offline"


def test_another_station_is_a_404_and_cannot_be_authorized(cashier):
    assert cashier.get("/console/theirs/").status_code == 404
    assert cashier.get("/console/theirs/state/").status_code == 404
    assert cashier.post("/console/theirs/nozzles/1/authorize/").status_code == 404
    assert not PumpAuthorization.objects.exists()


def test_authorizing_an_offline_pump_shows_why_and_creates_nothing(cashier):
    response = cashier.post("/console/mine/nozzles/1/authorize/", {"amount_yuan": "50"}, follow=True)
    assert 'id="error"' in response.content.decode()
    assert not PumpAuthorization.objects.exists()


def test_a_bad_preset_amount_is_refused(cashier):
    response = cashier.post("/console/mine/nozzles/1/authorize/", {"amount_yuan": "5.001"}, follow=True)
    assert 'id="error"' in response.content.decode()
    assert not PumpAuthorization.objects.exists()


def test_a_waiting_prepaid_order_shows_its_dynamic_code_and_a_masked_phone(cashier, stations):
    from orders.services import order_prepaid_create
    from pumpgateway.enums import NozzleLiveState
    from pumpgateway.models import NozzleState
    from stations.models import Nozzle
    from tests.factories.drivers import DriverFactory
    from tests.factories.pumpgateway import PumpBindingFactory
    from tests.factories.stations import GradePriceFactory
    from tests.factories.wallet import top_up

    nozzle = Nozzle.objects.get(station=stations[0])
    GradePriceFactory(station=stations[0], grade=nozzle.grade)
    PumpBindingFactory(dispenser=nozzle.dispenser, online=True)
    NozzleState.objects.create(nozzle=nozzle, state=NozzleLiveState.READY)
    driver = DriverFactory(phone="13912348888")
    top_up(driver, 50_000)
    order = order_prepaid_create(driver=driver, nozzle=nozzle, idempotency_key="k", amount_fen=10_000)
    state = cashier.get("/console/mine/state/").json()
    assert state["pending_orders"][0]["dynamic_code"] == order.dynamic_code
    assert state["nozzles"][0]["dynamic_code"] == order.dynamic_code
    assert "13912348888" not in json.dumps(state, ensure_ascii=False)
    assert state["pending_orders"][0]["driver"] == "139****8888"


def test_a_silent_controller_raises_an_alert(cashier, stations):
    from tests.factories.pumpgateway import SerialLineFactory

    SerialLineFactory(station=stations[0], last_seen_at=None)
    state = cashier.get("/console/mine/state/").json()
    assert state["controllers_online"] is False
    assert state["alerts"] == ["油机控制器无响应：车主暂时无法在油枪旁支付。"]
