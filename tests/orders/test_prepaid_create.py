"""一键加油 in one durable transaction: the hold, the order and the pump authorization exist together or not
at all, and locks are taken in one order (driver wallet rows, then the pump binding)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import FuelOrder
from orders.services import order_prepaid_create
from pumpgateway.enums import AuthorizationSource
from pumpgateway.exceptions import NozzleBusy
from pumpgateway.models import PumpAuthorization
from pumpgateway.services import pump_authorization_request
from tests.factories.wallet import counters_snapshot, top_up
from wallet.models import Hold

pytestmark = pytest.mark.django_db


def test_a_pump_refusal_after_the_hold_leaves_no_hold_no_order_and_no_money_moved(store_line, driver):
    top_up(driver, 50_000)
    # The attendant has the pump for nozzle 2: nozzle 1 looks free, but the pump takes one sale at a time,
    # which only the authorization request (under the binding's row lock) finds out, after the hold.
    pump_authorization_request(nozzle=store_line.nozzles[1], source=AuthorizationSource.ATTENDANT, preset_amount_fen=1)
    before = (counters_snapshot(), PumpAuthorization.objects.count())
    with pytest.raises(NozzleBusy):
        order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key="o1", amount_fen=20_000)
    assert (counters_snapshot(), PumpAuthorization.objects.count()) == before
    assert not Hold.objects.exists() and not FuelOrder.objects.exists()


@pytest.mark.postgres
def test_the_wallet_rows_are_locked_before_the_pump_binding(store_line, driver):
    top_up(driver, 50_000)
    with CaptureQueriesContext(connection) as queries:
        order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key="o1", amount_fen=20_000)
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    names = ("wallet_account", "marketing_promotion", "pumpgateway_pumpbinding")
    tables = [next(t for t in names if f'FROM "{t}"' in sql) for sql in locks]
    in_order = [table for i, table in enumerate(tables) if i == 0 or tables[i - 1] != table]
    assert in_order == ["wallet_account", "marketing_promotion", "pumpgateway_pumpbinding"]
