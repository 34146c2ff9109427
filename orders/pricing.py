"""An order's price comes from the promotion engine (marketing): the same quote before the pump runs and,
re-quoted on the actual fill with the promotions reserved at confirm, on the receipt after it stops."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from marketing.engine import Draft, DraftItem, Quote
from marketing.exceptions import CouponNotApplicable
from marketing.selectors import promotion_quote
from orders.enums import OrderLineKind
from orders.models import FuelOrder, OrderLine
from stations.models import Station
from stations.selectors import PriceInEffect


@dataclass(frozen=True)
class PromotionChoice:
    """What the driver chose on the confirm page: a coupon (None: the engine's best), no coupon at all, and
    whether to pay part with points."""

    coupon_id: int | None = None
    use_coupons: bool = True
    use_points: bool = False


AUTOMATIC = PromotionChoice()
NO_COUPON = "none"


def promotion_choice_from_input(*, coupon: str, use_points: bool) -> PromotionChoice:
    """The confirm form's (and the API's) coupon field: empty for the engine's best, "none", or a coupon id;
    anything else is CouponNotApplicable."""
    coupon = coupon.strip()
    if not coupon:
        return PromotionChoice(use_points=use_points)
    if coupon == NO_COUPON:
        return PromotionChoice(use_coupons=False, use_points=use_points)
    if not coupon.isascii() or not coupon.isdigit():
        raise CouponNotApplicable()
    return PromotionChoice(coupon_id=int(coupon), use_points=use_points)


def order_draft(
    *,
    station: Station,
    price: PriceInEffect,
    volume_ml: int,
    amount_fen: int,
    mode: str,
    at: datetime | None = None,
    items: tuple[DraftItem, ...] = (),
) -> Draft:
    """What the engine needs to know about a sale: the fuel, any non-fuel items and the moment
    (marketing.selectors.promotion_quote adds who buys it: the driver's level, segment, first order, points)."""
    return Draft(
        station_id=station.pk,
        enterprise_id=station.enterprise_id,
        grade_code=price.grade_code,
        grade_name=price.grade_name,
        list_price_fen_per_litre=price.list_price_fen_per_litre,
        price_fen_per_litre=price.price_fen_per_litre,
        volume_ml=volume_ml,
        amount_fen=amount_fen,
        at=timezone.localtime(at or timezone.now()),
        payment_mode=mode,
        items=items,
    )


def draft_items(lines: list[OrderLine]) -> tuple[DraftItem, ...]:
    """An order's non-fuel lines as the engine sees them (a category promotion applies to them)."""
    return tuple(DraftItem(category=line.category, label=line.label, amount_fen=line.amount_fen) for line in lines)


def paid_split(*, amounts_fen: list[int], discount_fen: int) -> list[int]:
    """What was paid for each of several lines sharing one discount: the discount is shared in proportion
    to the amounts (rounded down), the remainder of it on the last line, so the parts sum exactly."""
    total = sum(amounts_fen)
    shares = [discount_fen * amount // total if total else 0 for amount in amounts_fen]
    if shares:
        shares[-1] += discount_fen - sum(shares)
    return [amount - share for amount, share in zip(amounts_fen, shares, strict=True)]


def order_requote(order: FuelOrder, *, volume_ml: int, amount_fen: int, promotion_ids: list[int]) -> Quote:
    """The quote on the actual fill: judged at the confirmation's moment, with the promotions reserved then."""
    price = PriceInEffect(
        grade_code=order.nozzle.grade.code,
        grade_name=order.grade_name,
        list_price_fen_per_litre=order.list_price_fen_per_litre,
        price_fen_per_litre=order.price_fen_per_litre,
        effective_from=order.created_at,
    )
    draft = order_draft(
        station=order.station,
        price=price,
        volume_ml=volume_ml,
        amount_fen=amount_fen,
        mode=order.mode,
        at=order.created_at,
        items=draft_items(list(order.lines.filter(kind=OrderLineKind.NON_FUEL))),
    )
    return promotion_quote(draft=draft, driver_id=order.driver_id, reference=order.order_no, only_ids=promotion_ids)
