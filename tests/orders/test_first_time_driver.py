"""A first-time driver at the nozzle: sign in and come back with the amount kept, see which amounts the
balance covers, top up inline and land back on the same nozzle; an offline or busy pump is shown first."""

from urllib.parse import parse_qs, urlsplit

import pytest

from orders.models import FuelOrder
from pumpgateway.enums import AuthorizationSource, AuthorizationStatus, NozzleLiveState
from pumpgateway.models import NozzleState, PumpAuthorization, PumpBinding
from tests.factories.drivers import DriverFactory
from tests.factories.pumpgateway import PumpBindingFactory
from tests.factories.stations import GradePriceFactory, NozzleFactory, StationFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.models import TopUpOrder

pytestmark = pytest.mark.django_db
PAGE = "/s/first/1/"


@pytest.fixture
def nozzle():
    station = StationFactory(code="first")
    nozzle = NozzleFactory(dispenser__station=station, number=1, logical_number=1)
    GradePriceFactory(station=station, grade=nozzle.grade)
    PumpBindingFactory(dispenser=nozzle.dispenser, online=True)
    NozzleState.objects.create(nozzle=nozzle, state=NozzleLiveState.READY)
    return nozzle


@pytest.fixture
def new_driver(client):
    driver = DriverFactory()
    client.force_login(driver.user)
    return driver


def test_sign_in_from_the_nozzle_comes_back_with_the_amount(client, nozzle):
    response = client.post(PAGE, {"choice": "30000"})
    back = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert back.startswith(PAGE) and parse_qs(urlsplit(back).query)["choice"] == ["30000"]
    page = client.get(back).content.decode()
    assert 'id="sign-in-to-pay"' in page and "choice%3D30000" in page


def test_with_an_empty_wallet_every_preset_is_disabled_with_the_reason_and_top_up_is_offered(
    client, nozzle, new_driver
):
    page = client.get(PAGE).content.decode()
    assert page.count('disabled aria-describedby="over-balance"') == 4
    assert 'id="over-balance"' in page and 'id="top-up-form"' in page
    assert f'name="next" value="{PAGE}?choice=20000' in page


def test_presets_the_balance_covers_stay_selectable(client, nozzle, new_driver):
    top_up(new_driver, 25_000)
    page = client.get(PAGE + "?choice=20000").content.decode()
    assert page.count('disabled aria-describedby="over-balance"') == 2  # ¥300 and ¥500
    assert 'value="20000" data-fen="20000" checked' in page


def test_a_disabled_preset_forced_through_is_refused_and_changes_nothing(client, nozzle, new_driver):
    top_up(new_driver, 15_000)
    before = counters_snapshot()
    page = client.post(PAGE, {"choice": "50000", "key": "k"}).content.decode()
    assert 'id="error"' in page
    assert counters_snapshot() == before and not FuelOrder.objects.exists()


def test_inline_top_up_returns_to_the_same_nozzle_with_the_amount(client, nozzle, new_driver):
    back = f"{PAGE}?choice=30000&amount_yuan="
    response = client.post("/me/top-up/", {"tier_yuan": "500", "key": "t1", "next": back})
    assert TopUpOrder.objects.get().amount_fen == 50_000
    cashier = client.post(response["Location"]).content.decode()  # the driver pays in the simulator
    assert 'id="back-to-nozzle"' in cashier and f'href="{back.replace("&", "&amp;")}"' in cashier


def test_a_foreign_return_address_is_ignored(client, nozzle, new_driver):
    response = client.post("/me/top-up/", {"tier_yuan": "500", "key": "t1", "next": "https://evil.example/"})
    cashier = client.post(response["Location"]).content.decode()
    assert 'id="back-to-wallet"' in cashier and "evil.example" not in cashier


def test_a_bad_inline_top_up_amount_goes_back_to_the_nozzle_with_a_message(client, nozzle, new_driver):
    response = client.post("/me/top-up/", {"amount_yuan": "abc", "key": "t1", "next": PAGE}, follow=True)
    assert response.redirect_chain[-1][0] == PAGE
    assert 'id="error"' in response.content.decode() and not TopUpOrder.objects.exists()


def test_an_offline_pump_is_shown_before_choosing(client, nozzle, new_driver):
    top_up(new_driver, 50_000)
    PumpBinding.objects.update(online=False)
    page = client.get(PAGE).content.decode()
    assert 'id="unavailable"' in page and 'id="confirm" disabled' in page


def test_a_pump_busy_on_its_other_nozzle_is_shown_before_choosing(client, nozzle, new_driver):
    top_up(new_driver, 50_000)
    other = NozzleFactory(dispenser=nozzle.dispenser, number=2, logical_number=2)
    PumpAuthorization.objects.create(
        nozzle=other,
        pump=PumpBinding.objects.get(),
        sequence=1,
        source=AuthorizationSource.ATTENDANT,
        status=AuthorizationStatus.AUTHORISED,
    )
    page = client.get(PAGE).content.decode()
    assert 'id="unavailable" role="alert" data-code="pump_nozzle_busy"' in page
    before = counters_snapshot()
    assert 'id="error"' in client.post(PAGE, {"choice": "10000", "key": "k"}).content.decode()
    assert counters_snapshot() == before and not FuelOrder.objects.exists()
