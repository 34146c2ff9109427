"""Orders price through the engine: quoted and reserved at confirm, re-quoted on the actual fill at capture,
each receipt line with its promotion and funder; budgets and caps reserved, settled and released."""

import pytest
from django.utils import timezone

from marketing.enums import BenefitKind, Funder, NotificationKind, PointsKind, PromotionScope, StackingClass, UseStatus
from marketing.exceptions import PromotionUsedUp
from marketing.models import Notification, PointsEntry, Promotion, PromotionUse
from marketing.selectors import promotion_quote, standing_get
from marketing.services import quote_reserve
from orders.enums import OrderLineKind, OrderStatus
from orders.models import FuelOrder
from orders.services import order_cancel, order_prepaid_create
from tests.factories.marketing import PromotionFactory
from tests.factories.stations import StationFactory
from tests.factories.wallet import counters_snapshot, top_up
from wallet.enums import HoldStatus
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify

pytestmark = pytest.mark.django_db
STATION_PRICE_NAME = "站点直降 明折明扣"


def today():
    return timezone.localdate()


def _order(store_line, driver, amount_fen=30_000, key="o1"):
    return order_prepaid_create(driver=driver, nozzle=store_line.nozzles[0], idempotency_key=key, amount_fen=amount_fen)


def _fill(store_line, order, *, volume_ml, amount_fen) -> FuelOrder:
    store_line.authorised()
    store_line.fuelling()
    store_line.completed(volume_ml=volume_ml, amount_fen=amount_fen)
    return FuelOrder.objects.select_related("hold").get(pk=order.pk)


def _receipt(order) -> list[tuple[str, str, int, str, int | None]]:
    return list(order.lines.values_list("kind", "label", "amount_fen", "funder", "promotion_id"))


def _uses(promotion) -> list[tuple[str, int]]:
    return list(PromotionUse.objects.filter(promotion=promotion).values_list("status", "cost_fen"))


@pytest.fixture
def funded(driver):
    top_up(driver, 100_000)
    return driver


def test_the_station_price_is_a_promotion_migrated_once():
    (promotion,) = Promotion.objects.filter(benefit_kind=BenefitKind.STATION_PRICE)
    assert (promotion.name, promotion.funder, promotion.scope, promotion.is_active) == (
        STATION_PRICE_NAME,
        Funder.STATION,
        PromotionScope.PLATFORM,
        True,
    )


def test_a_preset_of_300_that_filled_212_gets_the_discount_of_212(store_line, funded):
    level = PromotionFactory(name="金卡95折", name_en="Gold 5% off", budget_fen=10_000)
    order = _order(store_line, funded)
    # Confirm: the preset ¥300 at ¥7.35 (40.816 L) → 5% of ¥300 reserved.
    assert _uses(level) == [(UseStatus.RESERVED, 1500)]
    assert Promotion.objects.get(pk=level.pk).budget_used_fen == 1500
    order = _fill(store_line, order, volume_ml=28_840, amount_fen=21_200)  # 28.84 L at ¥7.35 = ¥212.00
    station_price = Promotion.objects.get(benefit_kind=BenefitKind.STATION_PRICE)
    assert _receipt(order) == [
        (OrderLineKind.FUEL, "92#汽油", 22_063, "", None),  # at list ¥7.65
        (
            OrderLineKind.DISCOUNT,
            f"{STATION_PRICE_NAME}: 油站价低于挂牌价 -¥8.63",
            -863,
            Funder.STATION,
            station_price.pk,
        ),
        (OrderLineKind.DISCOUNT, "金卡95折: 95折 -¥10.60", -1060, Funder.PLATFORM, level.pk),
    ]
    assert order.lines.last().label_en == "Gold 5% off: 95% of the price -¥10.60"
    assert (order.status, order.paid_fen, order.discount_fen, order.fuel_amount_fen) == (
        OrderStatus.PAID,
        20_140,
        1923,
        22_063,
    )
    assert (order.hold.status, order.hold.captured_fen) == (HoldStatus.CAPTURED, 20_140)
    assert _uses(level) == [(UseStatus.SETTLED, 1060)]
    assert Promotion.objects.get(pk=level.pk).budget_used_fen == 1060
    assert wallet_balance_get(driver_id=funded.pk).principal_fen == 100_000 - 20_140
    assert ledger_verify().ok
    assert standing_get(driver_id=funded.pk).points == 201  # a point per ¥1 paid


def test_a_full_reduction_the_actual_fill_no_longer_reaches_is_released(store_line, funded):
    reduction = PromotionFactory(benefit_kind=BenefitKind.AMOUNT_OFF, benefit_value=1000, min_amount_fen=20_000)
    order = _order(store_line, funded)
    assert _uses(reduction) == [(UseStatus.RESERVED, 1000)]
    order = _fill(store_line, order, volume_ml=20_000, amount_fen=14_700)
    assert order.paid_fen == 14_700
    assert _uses(reduction) == [(UseStatus.RELEASED, 0)]
    assert Promotion.objects.get(pk=reduction.pk).budget_used_fen == 0


def test_a_cancelled_order_gives_its_budget_and_cap_back(store_line, funded):
    capped = PromotionFactory(budget_fen=5_000, per_driver_limit=1)
    order = _order(store_line, funded)
    assert Promotion.objects.get(pk=capped.pk).budget_used_fen == 1500
    order_cancel(driver=funded, order_no=order.order_no)
    assert _uses(capped) == [(UseStatus.RELEASED, 0)]
    assert Promotion.objects.get(pk=capped.pk).budget_used_fen == 0
    second = _order(store_line, funded, key="o2")  # the cap's place came back
    assert _uses(capped) == [(UseStatus.RELEASED, 0), (UseStatus.RESERVED, 1500)]
    assert second.status == OrderStatus.AUTHORIZING


CAPS = [
    # (case, promotion fields, orders before, discount the next quote gives)
    ("per driver 1, used once", {"per_driver_limit": 1}, 1, 0),
    ("per driver 2, used once", {"per_driver_limit": 2}, 1, 1500),
    ("per day 1, used once", {"per_day_limit": 1}, 1, 0),
    ("budget 2000, 1500 used: the rest", {"budget_fen": 2000}, 1, 500),
    ("budget 3000, 3000 used: none", {"budget_fen": 3000}, 2, 0),
]


@pytest.mark.parametrize(("case", "fields", "before", "discount"), CAPS, ids=[c[0] for c in CAPS])
def test_caps_and_budgets_limit_the_next_quote(store_line, funded, case, fields, before, discount):
    promotion = PromotionFactory(**fields)
    for n in range(before):  # earlier orders, each of which used 5% of ¥300
        PromotionUse.objects.create(
            promotion=promotion, driver=funded, reference=f"E{n}", status=UseStatus.SETTLED, cost_fen=1500, day=today()
        )
    Promotion.objects.filter(pk=promotion.pk).update(budget_used_fen=1500 * before)
    from orders.selectors import order_quote_get
    from stations.selectors import station_price_get

    nozzle = store_line.nozzles[0]
    price = station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)
    quote = order_quote_get(station=nozzle.station, price=price, amount_fen=30_000, driver_id=funded.pk)
    assert sum(-line.amount_fen for line in quote.lines if line.promotion_id == promotion.pk) == discount


def test_a_promotion_that_runs_out_between_quote_and_confirm_refuses_and_changes_nothing(store_line, funded):
    promotion = PromotionFactory(budget_fen=2000)
    nozzle = store_line.nozzles[0]
    from orders.pricing import order_draft
    from stations.selectors import station_price_get

    price = station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)
    draft = order_draft(station=nozzle.station, price=price, volume_ml=40_000, amount_fen=29_400, mode="prepaid")
    quote = promotion_quote(draft=draft, driver_id=funded.pk)
    Promotion.objects.filter(pk=promotion.pk).update(budget_used_fen=1000)  # another order took some
    before = (counters_snapshot(), list(PromotionUse.objects.values_list("pk", flat=True)))
    with pytest.raises(PromotionUsedUp):
        quote_reserve(quote=quote, driver_id=funded.pk, reference="X1", at=draft.at)
    assert (counters_snapshot(), list(PromotionUse.objects.values_list("pk", flat=True))) == before
    assert Promotion.objects.get(pk=promotion.pk).budget_used_fen == 1000


def test_scope_keeps_a_stations_promotion_at_that_station(store_line, funded):
    elsewhere = PromotionFactory(scope=PromotionScope.STATIONS, stacking=StackingClass.EXCLUSIVE)
    elsewhere.stations.add(StationFactory())
    here = PromotionFactory(scope=PromotionScope.STATIONS, benefit_value=100, funder=Funder.STATION)
    here.stations.add(store_line.station)
    enterprise = PromotionFactory(scope=PromotionScope.ENTERPRISE, enterprise=store_line.station.enterprise)
    other_enterprise = PromotionFactory(scope=PromotionScope.ENTERPRISE, enterprise=StationFactory().enterprise)
    order = _order(store_line, funded)
    used = set(PromotionUse.objects.filter(reference=order.order_no).values_list("promotion_id", flat=True))
    assert here.pk in used and enterprise.pk in used
    assert elsewhere.pk not in used and other_enterprise.pk not in used


def test_a_first_order_promotion_only_for_the_first_paid_order(store_line, funded):
    first = PromotionFactory(benefit_kind=BenefitKind.AMOUNT_OFF, benefit_value=500, first_order_only=True)
    order = _fill(store_line, _order(store_line, funded), volume_ml=20_000, amount_fen=14_700)
    assert order.lines.filter(promotion=first).get().amount_fen == -500
    second = _fill(store_line, _order(store_line, funded, key="o2"), volume_ml=20_000, amount_fen=14_700)
    assert not second.lines.filter(promotion=first).exists()


def _preset_discount(store_line, driver, promotion) -> int:
    from orders.selectors import order_quote_get
    from stations.selectors import station_price_get

    nozzle = store_line.nozzles[0]
    price = station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)
    quote = order_quote_get(station=nozzle.station, price=price, amount_fen=30_000, driver_id=driver.pk)
    return sum(-line.amount_fen for line in quote.lines if line.promotion_id == promotion.pk)


def test_quotes_see_every_change_to_promotions_at_once(store_line, funded):
    """The quote path keeps promotions between quotes; each edit must show in the very next quote."""
    promotion = PromotionFactory(scope=PromotionScope.STATIONS)
    assert _preset_discount(store_line, funded, promotion) == 0
    promotion.stations.add(store_line.station)
    assert _preset_discount(store_line, funded, promotion) == 1500
    promotion.benefit_value = 1000
    promotion.save()
    assert _preset_discount(store_line, funded, promotion) == 3000
    Promotion.objects.filter(pk=promotion.pk).update(budget_fen=1000)  # budgets are read fresh, not cached
    promotion.refresh_from_db()
    promotion.save()
    assert _preset_discount(store_line, funded, promotion) == 1000
    promotion.stations.remove(store_line.station)
    assert _preset_discount(store_line, funded, promotion) == 0
    promotion.stations.add(store_line.station)
    promotion.is_active = False
    promotion.save()
    assert _preset_discount(store_line, funded, promotion) == 0


def test_a_pump_payment_that_takes_the_wallet_below_the_threshold_warns_the_driver(settings, store_line, driver):
    settings.NOTIFICATION_LOW_BALANCE_FEN = 10_000
    top_up(driver, 20_000)
    order = _fill(store_line, _order(store_line, driver, amount_fen=15_000), volume_ml=20_408, amount_fen=15_000)
    assert order.status == OrderStatus.PAID
    assert wallet_balance_get(driver_id=driver.pk).available_fen < 10_000
    (message,) = Notification.objects.filter(driver=driver, kind=NotificationKind.LOW_BALANCE)
    assert message.dedup_key == f"low_balance:{order.order_no}"


def test_a_paid_fill_is_counted_for_its_stations_own_segments(store_line, funded):
    order = _fill(store_line, _order(store_line, funded), volume_ml=28_840, amount_fen=21_200)
    (entry,) = PointsEntry.objects.filter(driver=funded, kind=PointsKind.EARN)
    assert (entry.reference, entry.station_id) == (order.order_no, order.station_id)
