"""Random sequences of wallet operations keep every ledger invariant, and balances follow a simple model.

The model also predicts every refusal: each operation must succeed exactly when the model says it can,
and fail with exactly the domain error the model names. A wallet that refused everything, or that let
through what its limits forbid, fails here."""

from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.exceptions import FuelpayError
from tests.factories.drivers import DriverFactory
from tests.factories.stations import StationFactory
from tests.factories.wallet import top_up
from wallet.enums import HoldStatus
from wallet.exceptions import InsufficientFunds, InvalidAmount, LimitExceeded, TransferNotAllowed
from wallet.models import Hold
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify
from wallet.services.holds import wallet_hold_capture, wallet_hold_place, wallet_hold_release, wallet_payment_refund
from wallet.services.ledger import account_id_cache_clear
from wallet.services.transfers import wallet_transfer

pytestmark = pytest.mark.django_db

OPENING_TOP_UP_FEN = 100_000
amounts = st.integers(min_value=1, max_value=60_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(0, 2), st.integers(100, 200_000)),
        st.tuples(st.just("hold"), st.integers(0, 2), amounts),
        st.tuples(st.just("capture"), st.integers(0, 20), st.floats(0, 1)),
        st.tuples(st.just("release"), st.integers(0, 20), st.just(0)),
        st.tuples(st.just("refund"), st.integers(0, 20), st.floats(0, 1)),
        # Up to 1.5× the transfer limit, so over-limit transfers are generated too.
        st.tuples(st.just("transfer"), st.integers(0, 2), st.integers(1, 150_000)),
    ),
    max_size=25,
)


@dataclass
class Model:
    """Per driver: posted principal, reserved by open holds, topped up today (no bonus rules here)."""

    posted: dict = field(default_factory=dict)
    held: dict = field(default_factory=dict)
    topped_up_today: dict = field(default_factory=dict)
    transferred_today: dict = field(default_factory=dict)

    def available(self, driver_id: int) -> int:
        return self.posted[driver_id] - self.held[driver_id]


def _expected_error(name, index, value, drivers, model: Model) -> type[FuelpayError] | None:
    """The refusal the wallet's rules call for (in the services' own order of checks), or None."""
    limit = django_settings.WALLET_MAX_BALANCE_FEN
    if name == "top_up":
        driver = drivers[index].pk
        over_daily = model.topped_up_today[driver] + value > django_settings.WALLET_DAILY_TOP_UP_LIMIT_FEN
        return LimitExceeded if over_daily or model.posted[driver] + value > limit else None
    if name == "hold":
        return InsufficientFunds if model.available(drivers[index].pk) < value else None
    if name == "transfer":
        source, target = drivers[index].pk, drivers[(index + 1) % 3].pk
        if value > django_settings.WALLET_TRANSFER_MAX_FEN:
            return InvalidAmount
        if model.transferred_today[source] + value > django_settings.WALLET_TRANSFER_DAILY_LIMIT_FEN:
            return LimitExceeded
        if model.posted[target] + value > limit:
            return TransferNotAllowed
        return InsufficientFunds if model.available(source) < value else None
    return None  # capture, release and refund are only attempted where they apply


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_operations_keep_the_ledger_exact_and_refuse_exactly_what_the_rules_forbid(ops):
    account_id_cache_clear()
    savepoint = transaction.savepoint()  # each example starts from an empty ledger
    try:
        station = StationFactory()
        drivers = [DriverFactory() for _ in range(3)]
        model = Model(*({d.pk: 0 for d in drivers} for _ in range(4)))
        # Every example has money to move: the opening top-up must go through.
        assert _apply("top_up", 0, OPENING_TOP_UP_FEN, "open", drivers, station, model) is None
        for step, (name, index, value) in enumerate(ops):
            expected = _expected_error(name, index, value, drivers, model)
            outcome = _apply(name, index, value, step, drivers, station, model)
            assert type(outcome) is (expected or type(None)), (name, index, value, outcome)
        for driver in drivers:
            balance = wallet_balance_get(driver_id=driver.pk)
            assert (balance.principal_fen, balance.held_fen) == (model.posted[driver.pk], model.held[driver.pk])
            assert balance.available_fen >= 0
        report = ledger_verify()
        assert report.ok, report.problems
    finally:
        transaction.savepoint_rollback(savepoint)
        account_id_cache_clear()


def _apply(name, index, value, step, drivers, station, model: Model) -> FuelpayError | None:
    """Run one operation; on success move the model. Returns the domain error it raised, if any."""
    holds = list(Hold.objects.order_by("pk"))
    try:
        if name == "top_up":
            driver = drivers[index]
            top_up(driver, value, key=f"t{step}")
            model.posted[driver.pk] += value
            model.topped_up_today[driver.pk] += value
        elif name == "hold":
            driver = drivers[index]
            wallet_hold_place(
                driver_id=driver.pk,
                station_id=station.pk,
                amount_fen=value,
                reference=f"r{step}",
                idempotency_key=f"h{step}",
            )
            model.held[driver.pk] += value
        elif name == "transfer":
            source, target = drivers[index], drivers[(index + 1) % 3]
            wallet_transfer(from_driver=source, to_driver=target, amount_fen=value, idempotency_key=f"x{step}")
            model.posted[source.pk] -= value
            model.posted[target.pk] += value
            model.transferred_today[source.pk] += value
        elif holds:
            hold = holds[index % len(holds)]
            if name == "capture" and hold.status == HoldStatus.HELD:
                amount = int(hold.amount_fen * value)
                wallet_hold_capture(hold_id=hold.pk, amount_fen=amount)
                model.held[hold.driver_id] -= hold.amount_fen
                model.posted[hold.driver_id] -= amount
            elif name == "release" and hold.status == HoldStatus.HELD:
                wallet_hold_release(hold_id=hold.pk)
                model.held[hold.driver_id] -= hold.amount_fen
            elif name == "refund" and hold.status == HoldStatus.CAPTURED:
                amount = int((hold.captured_fen - hold.refunded_fen) * value)
                if amount > 0:
                    wallet_payment_refund(hold_id=hold.pk, amount_fen=amount, idempotency_key=f"f{step}")
                    model.posted[hold.driver_id] += amount
    except FuelpayError as error:
        return error  # the model is untouched: a refusal must change nothing
    return None
