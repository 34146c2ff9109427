"""Hole 10: pay-later is bound to the URL's station and nozzle; the nozzle page renders quote labels as text."""

import pytest

from orders.models import FuelOrder
from pumpgateway.enums import AuthorizationSource
from pumpgateway.models import Fill
from pumpgateway.services import pump_authorization_request
from tests.factories.stations import NozzleFactory, StationFactory
from tests.factories.wallet import top_up
from wallet.models import TopUpOrder
from wallet.selectors import wallet_balance_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def fill(store_line):
    pump_authorization_request(
        nozzle=store_line.nozzles[0], source=AuthorizationSource.ATTENDANT, preset_amount_fen=7_350
    )
    store_line.authorised()
    store_line.fuelling(nozzle=1)
    store_line.completed(volume_ml=10_000, amount_fen=7_350, nozzle=1)
    return Fill.objects.get()


def test_a_fill_is_paid_only_through_its_own_station_and_nozzle(client, driver, fill):
    """Hole 10: pay-later accepted a fill of another nozzle or station than the page's URL names."""
    top_up(driver, 10_000)
    client.force_login(driver.user)
    other_station = StationFactory(code="elsewhere")
    NozzleFactory(dispenser__station=other_station, number=1)
    for url, nozzle in (("/s/elsewhere/pay-later/", 1), ("/s/pay-test/pay-later/", 2), ("/s/pay-test/pay-later/", "")):
        for direct in ("", "1"):
            client.post(url, {"fill": fill.pk, "nozzle": nozzle, "direct": direct, "key": f"k{url}{nozzle}{direct}"})
            assert (
                not FuelOrder.objects.exists()
                and not TopUpOrder.objects.filter(pays_reference__startswith="fill:").exists()
            )
            assert wallet_balance_get(driver_id=driver.pk).available_fen == 10_000
    response = client.post("/s/pay-test/pay-later/", {"fill": fill.pk, "nozzle": 1, "key": "right"})
    assert response.status_code == 302 and FuelOrder.objects.get().fill_id == fill.pk


def test_the_nozzle_page_renders_quote_labels_as_text(client, driver, store_line):
    """Hole 10: the live quote put its labels (promotion names among them) into innerHTML."""
    client.force_login(driver.user)
    page = client.get("/s/pay-test/1/").content.decode()
    assert 'id="quote-live"' in page
    assert "innerHTML" not in page and "textContent" in page
