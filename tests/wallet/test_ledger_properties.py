"""Random sequences of wallet operations keep every ledger invariant, and balances follow a simple model."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exceptions import FuelpayError
from tests.factories.drivers import DriverFactory
from tests.factories.stations import StationFactory
from tests.factories.wallet import top_up
from wallet.enums import HoldStatus
from wallet.models import Hold
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify
from wallet.services.holds import wallet_hold_capture, wallet_hold_place, wallet_hold_release, wallet_payment_refund
from wallet.services.ledger import account_id_cache_clear
from wallet.services.transfers import wallet_transfer

pytestmark = pytest.mark.django_db

amounts = st.integers(min_value=1, max_value=60_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(0, 2), st.integers(100, 200_000)),
        st.tuples(st.just("hold"), st.integers(0, 2), amounts),
        st.tuples(st.just("capture"), st.integers(0, 20), st.floats(0, 1)),
        st.tuples(st.just("release"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("refund"), st.integers(0, 20), st.floats(0, 1)),
        st.tuples(st.just("transfer"), st.integers(0, 2), amounts),
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_operations_keep_the_ledger_exact(ops):
    account_id_cache_clear()
    savepoint = transaction.savepoint()  # each example starts from an empty ledger
    try:
        station = StationFactory()
        drivers = [DriverFactory() for _ in range(3)]
        expected = {d.pk: 0 for d in drivers}
        for step, (name, index, value) in enumerate(ops):
            _apply(name, index, value, step, drivers, station, expected)
        for driver in drivers:
            assert wallet_balance_get(driver_id=driver.pk).available_fen == expected[driver.pk]
            assert wallet_balance_get(driver_id=driver.pk).available_fen >= 0
        report = ledger_verify()
        assert report.ok, report.problems
    finally:
        transaction.savepoint_rollback(savepoint)
        account_id_cache_clear()


def _apply(name, index, value, step, drivers, station, expected):
    holds = list(Hold.objects.order_by("pk"))
    try:
        if name == "top_up":
            driver = drivers[index]
            top_up(driver, value, key=f"t{step}")
            expected[driver.pk] += value
        elif name == "hold":
            driver = drivers[index]
            wallet_hold_place(
                driver_id=driver.pk,
                station_id=station.pk,
                amount_fen=value,
                reference=f"r{step}",
                idempotency_key=f"h{step}",
            )
            expected[driver.pk] -= value
        elif name == "transfer":
            source, target = drivers[index], drivers[(index + 1) % 3]
            wallet_transfer(from_driver=source, to_driver=target, amount_fen=value, idempotency_key=f"x{step}")
            expected[source.pk] -= value
            expected[target.pk] += value
        elif holds:
            hold = holds[index % len(holds)]
            if name == "capture" and hold.status == HoldStatus.HELD:
                amount = int(hold.amount_fen * value)
                wallet_hold_capture(hold_id=hold.pk, amount_fen=amount)
                expected[hold.driver_id] += hold.amount_fen - amount
            elif name == "release" and hold.status == HoldStatus.HELD:
                wallet_hold_release(hold_id=hold.pk)
                expected[hold.driver_id] += hold.amount_fen
            elif name == "refund" and hold.status == HoldStatus.CAPTURED:
                amount = int((hold.captured_fen - hold.refunded_fen) * value)
                if amount > 0:
                    wallet_payment_refund(hold_id=hold.pk, amount_fen=amount, idempotency_key=f"f{step}")
                    expected[hold.driver_id] += amount
    except FuelpayError:
        pass  # refused operations (insufficient funds, limits) must leave the model untouched
