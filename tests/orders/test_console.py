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


@pytest.fixture
def waiting_order(stations):
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
    return order_prepaid_create(driver=driver, nozzle=nozzle, idempotency_key="k", amount_fen=10_000)


def test_the_code_the_driver_shows_is_confirmed_against_the_open_order(cashier, waiting_order):
    page = cashier.get("/console/mine/", {"code": waiting_order.dynamic_code}).content.decode()
    assert 'class="card ok code-match"' in page and "1号枪" in page and "139****8888" in page
    other = "0000" if waiting_order.dynamic_code != "0000" else "1111"
    page = cashier.get("/console/mine/", {"code": other}).content.decode()
    assert 'id="code-no-match"' in page and "code-match" not in page


@pytest.mark.parametrize("code", ["", "12", "12345", "abcd", "1 23"])
def test_a_malformed_code_is_refused_with_a_message(cashier, waiting_order, code):
    page = cashier.get("/console/mine/", {"code": code}).content.decode()
    assert 'id="code-error"' in page and "code-match" not in page


def test_another_stations_order_never_matches_a_code(client, stations, waiting_order):
    role = StaffRoleFactory(role=StaffRoleKind.CASHIER, station=stations[1])
    client.force_login(role.user)
    page = client.get("/console/theirs/", {"code": waiting_order.dynamic_code}).content.decode()
    assert 'id="code-no-match"' in page


def test_every_nozzle_of_a_busy_pump_is_shown_busy(cashier, stations, waiting_order):
    from stations.models import Nozzle

    NozzleFactory(dispenser=Nozzle.objects.get(station=stations[0]).dispenser, number=2, logical_number=2)
    NozzleFactory(dispenser__station=stations[0], number=3)  # another pump
    nozzles = {n["number"]: n for n in cashier.get("/console/mine/state/").json()["nozzles"]}
    assert nozzles[1]["pump_busy"] and nozzles[2]["pump_busy"] and not nozzles[3]["pump_busy"]
    assert nozzles[2]["state_label"] == "油机占用中（1号枪）"


@pytest.mark.parametrize("amount_yuan", ["1000000", "1e20", "-5"])
def test_an_amount_no_pump_can_take_is_refused_with_a_message_and_nothing_written(client, store_line, amount_yuan):
    from pumpgateway.models import PumpCommand

    client.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=store_line.station).user)
    url = f"/console/{store_line.station.code}/nozzles/{store_line.nozzles[0].number}/authorize/"
    response = client.post(url, {"amount_yuan": amount_yuan}, follow=True)
    assert response.status_code == 200 and 'id="error"' in response.content.decode()
    assert not PumpAuthorization.objects.exists() and not PumpCommand.objects.exists()
    client.post(url, {"amount_yuan": "50"})  # the same console, a sane amount: it goes through
    assert PumpAuthorization.objects.get().preset_amount_fen == 5_000
