"""Per-line refunds under real concurrency on PostgreSQL: a line is never refunded past what it paid, and a
retried request arriving many times at once refunds once."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from core.exceptions import FuelpayError
from orders.models import OrderLine
from orders.services import order_line_refund
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify

from .test_order_line_refund import paid_order  # noqa: F401 - the fixture

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 20


def _refund(order, line_id, amount_fen, key):
    try:
        return order_line_refund(
            order=order, line_id=line_id, amount_fen=amount_fen, reason="破损", idempotency_key=key
        )
    except FuelpayError as error:
        return error
    finally:
        connection.close()


def _refund_all_at_once(order, line, keys):
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda key: _refund(order, line.pk, 100, key), keys))


def test_concurrent_refunds_of_one_line_never_exceed_what_it_paid(paid_order, driver):  # noqa: F811
    line = OrderLine.objects.get(order=paid_order, kind="non_fuel")
    before = wallet_balance_get(driver_id=driver.pk).principal_fen
    _refund_all_at_once(paid_order, line, [f"r{n}" for n in range(THREADS)])
    line.refresh_from_db()
    assert line.refunded_fen == line.paid_fen == 600  # two bottles: six refunds of ¥1 fit, the rest are refused
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == before + 600
    assert ledger_verify().ok


def test_a_refund_retried_many_times_at_once_refunds_once(paid_order, driver):  # noqa: F811
    line = OrderLine.objects.get(order=paid_order, kind="non_fuel")
    before = wallet_balance_get(driver_id=driver.pk).principal_fen
    _refund_all_at_once(paid_order, line, ["same"] * THREADS)
    line.refresh_from_db()
    assert line.refunded_fen == 100
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == before + 100
    assert ledger_verify().ok
