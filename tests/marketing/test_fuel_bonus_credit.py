"""A fuel promotion's bonus credit (加满300送10元): earned by the paid fill, credited to the wallet's bonus
through the ledger in the paying transaction (marketing announces it, the wallet credits it), charged to
the promotion's budget."""

import pytest

from marketing.enums import BenefitKind, StackingClass, UseStatus
from marketing.models import Promotion, PromotionUse
from orders.enums import OrderStatus
from orders.models import FuelOrder
from orders.services import order_cancel, order_prepaid_create
from tests.factories.marketing import PromotionFactory
from tests.factories.wallet import top_up
from wallet.enums import Operation
from wallet.models import JournalEntry
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(driver):
    top_up(driver, 100_000)
    return driver


@pytest.fixture
def fill_up_bonus():
    return PromotionFactory(
        name="加满300送10元",
        name_en="Fill ¥300, get ¥10",
        benefit_kind=BenefitKind.BONUS_CREDIT,
        benefit_value=1_000,
        min_amount_fen=30_000,
        stacking=StackingClass.STACKABLE,
        budget_fen=5_000,
    )


def _order(store_line, driver, key="o1"):
    return order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key=key, amount_fen=30_000)


def _fill(store_line, order, *, volume_ml, amount_fen) -> FuelOrder:
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=volume_ml, amount_fen=amount_fen)
    return FuelOrder.objects.get(pk=order.pk)


def _uses(promotion):
    return list(PromotionUse.objects.filter(promotion=promotion).values_list("status", "cost_fen"))


def _bonus_entries(order):
    return list(
        JournalEntry.objects.filter(operation=Operation.BONUS_GRANT, reference=order.order_no).values_list(
            "idempotency_key", flat=True
        )
    )


def test_the_full_fill_earns_its_bonus_credit_in_the_wallet(store_line, funded, fill_up_bonus):
    order = _order(store_line, funded)
    assert _uses(fill_up_bonus) == [(UseStatus.RESERVED, 1_000)]
    order = _fill(store_line, order, volume_ml=40_816, amount_fen=30_000)
    assert (order.status, order.paid_fen) == (OrderStatus.PAID, 30_000)
    balance = wallet_balance_get(driver_id=funded.pk)
    assert (balance.principal_fen, balance.bonus_fen) == (100_000 - 30_000, 1_000)
    assert _bonus_entries(order) == [f"bonus:{order.order_no}:{fill_up_bonus.pk}"]
    assert _uses(fill_up_bonus) == [(UseStatus.SETTLED, 1_000)]
    assert Promotion.objects.get(pk=fill_up_bonus.pk).budget_used_fen == 1_000
    assert ledger_verify().ok


def test_a_fill_short_of_the_minimum_earns_no_bonus(store_line, funded, fill_up_bonus):
    order = _fill(store_line, _order(store_line, funded), volume_ml=28_840, amount_fen=21_200)
    assert order.status == OrderStatus.PAID
    assert wallet_balance_get(driver_id=funded.pk).bonus_fen == 0 and _bonus_entries(order) == []
    assert _uses(fill_up_bonus) == [(UseStatus.RELEASED, 0)]
    assert Promotion.objects.get(pk=fill_up_bonus.pk).budget_used_fen == 0


def test_a_cancelled_order_earns_nothing_and_frees_the_budget(store_line, funded, fill_up_bonus):
    order = _order(store_line, funded)
    order_cancel(driver=funded, order_no=order.order_no)
    assert wallet_balance_get(driver_id=funded.pk).bonus_fen == 0 and _bonus_entries(order) == []
    assert Promotion.objects.get(pk=fill_up_bonus.pk).budget_used_fen == 0


def test_a_budget_that_cannot_cover_the_whole_bonus_gives_none(store_line, funded, fill_up_bonus):
    Promotion.objects.filter(pk=fill_up_bonus.pk).update(budget_used_fen=4_500)  # ¥5 left of ¥50
    order = _fill(store_line, _order(store_line, funded), volume_ml=40_816, amount_fen=30_000)
    assert order.status == OrderStatus.PAID
    assert wallet_balance_get(driver_id=funded.pk).bonus_fen == 0 and _uses(fill_up_bonus) == []
