"""The driver's pay-at-the-nozzle page and order API: quotes, clear failures that change nothing, privacy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders.enums import OrderStatus
from orders.models import FuelOrder
from pumpgateway.enums import NozzleLiveState
from pumpgateway.models import NozzleState, PumpAuthorization, SerialLine
from pumpgateway.services import authorizations_close_unsent
from tests.factories.drivers import DriverFactory
from tests.factories.pumpgateway import PumpBindingFactory
from tests.factories.stations import GradePriceFactory, NozzleFactory, StationFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.enums import HoldStatus
from wallet.models import Hold, TopUpOrder

pytestmark = pytest.mark.django_db


@pytest.fixture
def nozzle():
    station = StationFactory(code="pay-test")
    nozzle = NozzleFactory(dispenser__station=station, number=1)
    GradePriceFactory(station=station, grade=nozzle.grade, list_price_fen_per_litre=780, price_fen_per_litre=750)
    return nozzle


@pytest.fixture
def ready_nozzle(nozzle):
    PumpBindingFactory(dispenser=nozzle.dispenser, online=True)
    NozzleState.objects.create(nozzle=nozzle, state=NozzleLiveState.READY)
    return nozzle


@pytest.fixture
def signed_in(client, driver):
    client.force_login(driver.user)
    return client


def pay(client, choice="20000", amount_yuan=""):
    return client.post("/s/pay-test/1/", {"choice": choice, "amount_yuan": amount_yuan, "key": "k1"})


def test_the_page_itemises_the_station_discount(signed_in, nozzle):
    page = signed_in.get("/s/pay-test/1/").content.decode()
    # ¥200 at ¥7.50/L is 26.66 L; at the ¥7.80 list price that is ¥207.99, so the station gives ¥7.99.
    assert "26.66L × ¥7.80" in page and "¥207.99" in page and "-¥7.99" in page


def test_the_quote_api_matches_the_page(client, nozzle):
    quote = client.get("/api/orders/quote/", {"station_code": "pay-test", "nozzle_number": 1, "amount_fen": 20000})
    lines = quote.json()["lines"]
    assert [line["amount_fen"] for line in lines] == [20799, -799]
    assert lines[1]["funder"] == "station"


def test_a_bad_quote_request_is_a_clear_400(client, nozzle):
    response = client.get("/api/orders/quote/", {"station_code": "pay-test", "nozzle_number": 1, "amount_fen": "x"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_an_anonymous_driver_is_sent_to_sign_in(client, nozzle):
    response = client.post("/s/pay-test/1/", {"choice": "20000"})
    assert response["Location"].startswith("/login/")
    assert not FuelOrder.objects.exists()


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ("no_binding", "pump_not_configured"),
        ("pump_offline", "pump_offline"),
        ("bridge_silent", "pump_controller_offline"),
    ],
)
def test_an_unreachable_pump_is_refused_in_chinese_and_holds_nothing(signed_in, driver, nozzle, setup, code):
    if setup != "no_binding":
        binding = PumpBindingFactory(dispenser=nozzle.dispenser, online=setup != "pump_offline")
        NozzleState.objects.create(nozzle=nozzle, state=NozzleLiveState.READY)
        if setup == "bridge_silent":
            binding.line.last_seen_at = timezone.now() - timedelta(minutes=1)
            binding.line.save(update_fields=["last_seen_at"])
    top_up(driver, 50_000)
    before = counters_snapshot()
    page = pay(signed_in).content.decode()
    assert f'data-code="{code}"' in page
    assert not Hold.objects.exists() and not FuelOrder.objects.exists()
    assert counters_snapshot() == before


def test_a_request_no_bridge_will_send_is_refused_and_the_hold_released(
    signed_in, driver, ready_nozzle, django_capture_on_commit_callbacks
):
    top_up(driver, 50_000)
    pay(signed_in)
    order = FuelOrder.objects.get()
    # The bridge dies before it picks the request up: after the silence window the watchdog refuses it.
    SerialLine.objects.update(last_seen_at=timezone.now() - timedelta(minutes=1))
    PumpAuthorization.objects.update(requested_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert authorizations_close_unsent() == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.FAILED and order.hold.status == HoldStatus.RELEASED
    page = signed_in.get(f"/orders/{order.order_no}/").content.decode()
    assert 'data-code="controller_unresponsive"' in page


def test_insufficient_balance_is_refused_and_changes_nothing(signed_in, ready_nozzle):
    before = counters_snapshot()
    page = pay(signed_in).content.decode()
    assert 'data-code="wallet_insufficient_funds"' in page
    assert not FuelOrder.objects.exists() and not PumpAuthorization.objects.exists()
    assert counters_snapshot() == before


@pytest.mark.parametrize("typed", ["abc", "0.001", "-5", "1e9", ""])
def test_a_bad_free_amount_is_refused_and_changes_nothing(signed_in, driver, ready_nozzle, typed):
    top_up(driver, 50_000)
    before = counters_snapshot()
    page = pay(signed_in, choice="free", amount_yuan=typed).content.decode()
    assert 'id="error"' in page
    assert not FuelOrder.objects.exists() and counters_snapshot() == before


def test_confirming_holds_the_amount_and_asks_the_pump(signed_in, driver, ready_nozzle):
    top_up(driver, 50_000)
    response = pay(signed_in)
    order = FuelOrder.objects.get()
    assert response["Location"] == f"/orders/{order.order_no}/"
    assert order.hold.amount_fen == 20_000 and order.hold.status == HoldStatus.HELD
    assert order.authorization.preset_amount_fen == 20_000
    detail = signed_in.get(f"/api/orders/{order.order_no}/").json()
    assert detail["status"] == OrderStatus.AUTHORIZING and len(detail["dynamic_code"]) == 4


def test_a_double_submitted_confirm_makes_one_order(signed_in, driver, ready_nozzle):
    top_up(driver, 50_000)
    pay(signed_in)
    pay(signed_in)
    assert FuelOrder.objects.count() == 1 and Hold.objects.count() == 1


def test_cancelling_before_the_lift_releases_the_hold(
    signed_in, driver, ready_nozzle, django_capture_on_commit_callbacks
):
    top_up(driver, 50_000)
    pay(signed_in)
    order = FuelOrder.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(f"/orders/{order.order_no}/cancel/")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.hold.status == HoldStatus.RELEASED
    page = signed_in.get(f"/orders/{order.order_no}/").content.decode()
    assert 'data-code="cancelled"' in page


def test_another_drivers_order_is_not_found(client, driver, ready_nozzle):
    top_up(driver, 50_000)
    client.force_login(driver.user)
    pay(client)
    order_no = FuelOrder.objects.get().order_no
    client.force_login(DriverFactory().user)
    assert client.get(f"/orders/{order_no}/").status_code == 404
    assert client.get(f"/api/orders/{order_no}/").status_code == 404
    assert client.post(f"/orders/{order_no}/cancel/").status_code == 404
    assert FuelOrder.objects.get().status == OrderStatus.AUTHORIZING


def test_an_unknown_nozzle_is_a_readable_404(client, nozzle):
    response = client.get("/s/pay-test/99/")
    assert response.status_code == 404 and 'data-code="station_nozzle_not_found"' in response.content.decode()


def test_the_order_api_creates_with_an_idempotency_key(signed_in, driver, ready_nozzle):
    top_up(driver, 50_000)
    body = {"station_code": "pay-test", "nozzle_number": 1, "amount_fen": 15_000, "idempotency_key": "api-1"}
    first = signed_in.post("/api/orders/", body, content_type="application/json")
    again = signed_in.post("/api/orders/", body, content_type="application/json")
    assert first.status_code == again.status_code == 201
    assert first.json()["order_no"] == again.json()["order_no"]
    assert Hold.objects.count() == 1


@pytest.mark.parametrize("query", ["?nozzle=99", "?nozzle=abc"])
def test_pay_later_with_an_unknown_nozzle_says_so(signed_in, nozzle, query):
    page = signed_in.get(f"/s/pay-test/pay-later/{query}").content.decode()
    assert 'id="error"' in page and 'class="row fill"' not in page


def test_pay_later_with_a_malformed_fill_is_refused_and_changes_nothing(signed_in, driver, nozzle):
    top_up(driver, 50_000)
    before = counters_snapshot()
    page = signed_in.post("/s/pay-test/pay-later/", {"fill": "abc", "nozzle": 1, "key": "k"}).content.decode()
    assert 'id="error"' in page
    assert not FuelOrder.objects.exists() and counters_snapshot() == before


@pytest.mark.parametrize("typed", ["abc", "0.001", "-1", "999999"])
def test_a_bad_top_up_amount_is_refused_and_creates_no_order(signed_in, typed):
    response = signed_in.post("/me/top-up/", {"amount_yuan": typed, "key": "t1"}, follow=True)
    assert 'id="error"' in response.content.decode()
    assert not TopUpOrder.objects.exists()
