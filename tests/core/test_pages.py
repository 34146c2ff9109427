"""Every page speaks zh-hans or en at the driver's choice, and errors are designed pages in both, in
development too (no debug page for another driver's order)."""

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import translation

from orders.enums import OrderStatus
from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.orders import FuelOrderFactory
from tests.factories.stations import StaffRoleFactory, StationFactory

pytestmark = pytest.mark.django_db


def test_another_drivers_order_is_the_designed_404_even_in_development(client, settings):
    settings.DEBUG = True
    order = FuelOrderFactory(status=OrderStatus.PAID)
    client.force_login(DriverFactory().user)
    response = client.get(f"/orders/{order.order_no}/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "页面不存在" in page and 'id="error-home"' in page and "Traceback" not in page


def test_a_forbidden_page_is_the_designed_403(client):
    station = StationFactory(code="s403")
    client.force_login(StaffRoleFactory(role=StaffRoleKind.CASHIER, station=station).user)
    response = client.get("/console/s403/overdue/")
    assert response.status_code == 403 and "无权访问" in response.content.decode()


@pytest.mark.parametrize("language, words", [("zh-hans", "出错了"), ("en", "Something went wrong")])
def test_the_500_page_renders_without_a_request_in_both_languages(language, words):
    with translation.override(language):
        assert words in render_to_string("500.html")


def test_the_language_switch_is_on_the_page_and_switches_to_english(client):
    driver = DriverFactory()
    client.force_login(driver.user)
    page = client.get("/me/").content.decode()
    assert 'id="switch-language"' in page and "钱包" in page
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/me/"})
    assert response["Location"] == "/me/"
    english = client.get("/me/").content.decode()
    assert 'lang="en"' in english and "Wallet history" in english


def test_an_unknown_language_changes_nothing(client):
    client.force_login(DriverFactory().user)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/me/"})
    assert 'lang="zh-hans"' in client.get("/me/").content.decode()


@override_settings(DEBUG=False)
def test_an_unknown_address_is_the_designed_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and "页面不存在" in response.content.decode()


def test_a_cancellation_is_a_neutral_notice_and_a_station_nozzle_chip_is_not_a_link_style(client):
    order = FuelOrderFactory(status=OrderStatus.CANCELLED, failure_code="cancelled")
    client.force_login(order.driver.user)
    page = client.get(f"/orders/{order.order_no}/").content.decode()
    assert 'class="notice" id="failure-message"' in page
    refused = FuelOrderFactory(status=OrderStatus.FAILED, failure_code="pump_offline", driver=order.driver)
    assert 'class="error" id="failure-message"' in client.get(f"/orders/{refused.order_no}/").content.decode()
