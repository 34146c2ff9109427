"""Pay at the pump. Prepaid: hold + order + pump authorization in one transaction → the pump's news moves
the order (orders.lifecycle) → the fill is captured, the rest released. Postpaid: the attendant
authorizes, the driver pays the fill afterwards, exactly once.

Lock order (no path takes these the other way round): an order's row, then its hold's row, then the
driver's wallet rows, then system ledger rows, then promotion rows (marketing.services); and the driver's
wallet rows before the pump binding row (a prepaid order). The pump gateway's own writes lock the binding
and authorizations only, and tell the order side after they commit (pumpgateway.listeners).
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.exceptions import FuelpayError
from core.money import volume_for_amount_ml
from drivers.models import Driver
from marketing.engine import Quote
from marketing.exceptions import CouponNotApplicable
from marketing.selectors import promotion_ids_reserved, promotion_quote
from marketing.services import (
    low_balance_notify,
    order_paid_record,
    quote_release,
    quote_reserve,
    quote_settle,
    receipt_notify,
)
from orders.enums import (
    OPEN_ORDER_STATUSES,
    CounterTender,
    FillResolutionKind,
    OrderCause,
    OrderLineKind,
    OrderMode,
    OrderProblem,
    OrderStatus,
)
from orders.exceptions import (
    FillAlreadyPaid,
    FillAlreadyResolved,
    FillNotPayable,
    FillNotResolvable,
    NonFuelItemInvalid,
    OrderItemsNotAddable,
    OrderLineNotRefundable,
    OrderLineRefundExceedsPaid,
    OrderNotCancellable,
    RefundReasonMissing,
    TenderInvalid,
)
from orders.lifecycle import order_transition
from orders.locks import order_select_for_update
from orders.models import FillResolution, FuelOrder, OrderLine
from orders.pricing import AUTOMATIC, PromotionChoice, draft_items, order_draft, order_requote, paid_split
from orders.selectors import nozzle_unavailable_error, order_list_stale_open
from pumpgateway.enums import AuthorizationEndReason, AuthorizationSource, AuthorizationStatus
from pumpgateway.exceptions import (
    AuthorizationNotCancellable,
)
from pumpgateway.selectors import (
    AuthorizationView,
    FillRecord,
    authorization_get,
    fill_get,
)
from pumpgateway.services import pump_authorization_cancel, pump_authorization_request
from stations.enums import StationStatus
from stations.exceptions import StationNotActive
from stations.models import Nozzle
from stations.selectors import PriceInEffect, non_fuel_item_list_for_station, station_price_get
from wallet.enums import HoldStatus
from wallet.exceptions import DebtOutstanding, IdempotencyConflict, InsufficientFunds, InvalidAmount
from wallet.locks import driver_accounts_select_for_update, hold_select_for_update
from wallet.models import TopUpOrder
from wallet.selectors import WalletBalance, payment_refund_exists, wallet_balance_get
from wallet.services.debt import late_capture_post
from wallet.services.holds import hold_capture, hold_increase, hold_place, hold_release, payment_refund
from wallet.services.ledger import ledger_transaction
from wallet.services.top_up import wallet_top_up_order_create

logger = logging.getLogger(__name__)
# An open order whose authorization closed this long ago missed its news (a lost task): settle it now.
RECONCILE_AFTER = timedelta(minutes=1)
_CLOSED_BY_PUMP = {
    AuthorizationStatus.CANCELLED: (OrderStatus.CANCELLED, OrderCause.PUMP_CANCELLED),
    AuthorizationStatus.REFUSED: (OrderStatus.FAILED, OrderCause.PUMP_REFUSED),
}


def _new_order_no() -> str:
    return "F" + timezone.localtime().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**6):06d}"


def _dynamic_code() -> str:
    """动态辨识口令: what the attendant matches against the car at the nozzle."""
    return f"{secrets.randbelow(10**4):04d}"


def _check_station_and_price(nozzle: Nozzle) -> PriceInEffect:
    if nozzle.station.status != StationStatus.ACTIVE:
        raise StationNotActive()
    return station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)


MAX_ITEM_QUANTITY = 20


def _non_fuel_lines(*, station_id: int, items: dict[int, int]) -> list[OrderLine]:
    """Unsaved order lines for catalogue items {item id: quantity}; anything not sold here is refused."""
    if not items:
        return []
    if any(type(quantity) is not int or not 0 < quantity <= MAX_ITEM_QUANTITY for quantity in items.values()):
        raise NonFuelItemInvalid()
    catalogue = {item.pk: item for item in non_fuel_item_list_for_station(station_id=station_id).filter(pk__in=items)}
    if len(catalogue) != len(items):
        raise NonFuelItemInvalid()
    return [
        OrderLine(
            kind=OrderLineKind.NON_FUEL,
            label=catalogue[item_id].name,
            sku=catalogue[item_id].sku,
            category=catalogue[item_id].category,
            quantity=quantity,
            unit_price_fen=catalogue[item_id].price_fen,
            amount_fen=catalogue[item_id].price_fen * quantity,
        )
        for item_id, quantity in sorted(items.items())
    ]


def _prepaid_amount(*, balance: WalletBalance, amount_fen: int | None, fill_up: bool, items_fen: int = 0) -> int:
    """The fuel preset; the items are held on top of it, so fill-up leaves room for them."""
    if fill_up:
        usable = balance.usable_at_pump_fen - items_fen
        amount_fen = min(settings.ORDER_FILL_UP_CAP_FEN, usable)
        if amount_fen < settings.ORDER_MIN_AMOUNT_FEN:
            raise InsufficientFunds(extra={"available_fen": usable})
        return amount_fen
    if type(amount_fen) is not int or not settings.ORDER_MIN_AMOUNT_FEN <= amount_fen <= settings.ORDER_MAX_AMOUNT_FEN:
        raise InvalidAmount(extra={"min_fen": settings.ORDER_MIN_AMOUNT_FEN, "max_fen": settings.ORDER_MAX_AMOUNT_FEN})
    return amount_fen


def _order_with_hold(
    *, mode: str, driver: Driver, nozzle: Nozzle, price: PriceInEffect, idempotency_key: str, amount_fen: int, **fields
) -> FuelOrder:
    """A new (unsaved) order for the nozzle with amount_fen held for it. A prepaid order owns its hold (no
    expiry); a postpaid one captures it at once."""
    order_no = _new_order_no()
    hold = hold_place(
        driver_id=driver.pk,
        station_id=nozzle.station_id,
        amount_fen=amount_fen,
        reference=order_no,
        idempotency_key=f"order:{driver.pk}:{idempotency_key}",
        owner_releases=mode == OrderMode.PREPAID,
    )
    return FuelOrder(
        order_no=order_no,
        mode=mode,
        driver=driver,
        station_id=nozzle.station_id,
        nozzle=nozzle,
        grade_name=price.grade_name,
        list_price_fen_per_litre=price.list_price_fen_per_litre,
        hold=hold,
        dynamic_code=_dynamic_code(),
        idempotency_key=idempotency_key,
        **fields,
    )


def _replayed_order(*, driver: Driver, nozzle: Nozzle, idempotency_key: str) -> FuelOrder | None:
    existing = FuelOrder.objects.filter(driver=driver, idempotency_key=idempotency_key).first()
    if existing is not None and existing.nozzle_id != nozzle.pk:
        raise IdempotencyConflict()
    return existing


@ledger_transaction
def order_prepaid_create(
    *,
    driver: Driver,
    nozzle: Nozzle,
    idempotency_key: str,
    amount_fen: int | None = None,
    fill_up: bool = False,
    items: dict[int, int] | None = None,
    choice: PromotionChoice = AUTOMATIC,
) -> FuelOrder:
    """一键加油, in one durable transaction: lock the driver's wallet rows, hold the amount (the order owns
    the hold: it never expires on its own), write the order, queue the nozzle's authorization (locking the
    pump binding row). Any refusal rolls all of it back, so no hold is ever left to release.

    items ({catalogue item id: quantity}) are non-fuel goods bought with the fill: held on top of the fuel
    preset (the pump is preset to the fuel only) and captured with the fill in the same posting.
    choice: the coupon and points the driver chose (a coupon the purchase does not meet is refused:
    CouponNotApplicable)."""
    replay = _replayed_order(driver=driver, nozzle=nozzle, idempotency_key=idempotency_key)
    if replay is not None:
        return replay
    price = _check_station_and_price(nozzle)
    unavailable = nozzle_unavailable_error(nozzle=nozzle)
    if unavailable is not None:
        raise unavailable
    driver_accounts_select_for_update(driver_ids=[driver.pk])
    replay = _replayed_order(driver=driver, nozzle=nozzle, idempotency_key=idempotency_key)  # a racing twin won
    if replay is not None:
        return replay
    balance = wallet_balance_get(driver_id=driver.pk)
    if balance.debt_fen:
        raise DebtOutstanding(extra={"debt_fen": balance.debt_fen})
    item_lines = _non_fuel_lines(station_id=nozzle.station_id, items=items or {})
    items_fen = sum(line.amount_fen for line in item_lines)
    amount = _prepaid_amount(balance=balance, amount_fen=amount_fen, fill_up=fill_up, items_fen=items_fen)
    order = _order_with_hold(
        driver=driver,
        nozzle=nozzle,
        price=price,
        idempotency_key=idempotency_key,
        amount_fen=amount + items_fen,
        mode=OrderMode.PREPAID,
        price_fen_per_litre=price.price_fen_per_litre,
        requested_amount_fen=amount,
        non_fuel_fen=items_fen,
    )
    order_transition(order=order, to_status=OrderStatus.AUTHORIZING, cause=OrderCause.DRIVER_ORDER, actor=driver.user)
    _promotions_reserve(order, price=price, amount_fen=amount, item_lines=item_lines, choice=choice)
    for line in item_lines:
        line.order = order
    OrderLine.objects.bulk_create(item_lines)
    order.authorization = pump_authorization_request(
        nozzle=nozzle,
        source=AuthorizationSource.PREPAID,
        preset_amount_fen=amount,
        external_reference=order.order_no,
    )
    order.save(update_fields=["authorization"])
    return order


def _promotions_reserve(
    order: FuelOrder, *, price: PriceInEffect, amount_fen: int, item_lines: list[OrderLine], choice: PromotionChoice
) -> Quote:
    """Quote the preset and the items at confirm and reserve the budgets and caps of the promotions it uses,
    the coupon and the points."""
    draft = order_draft(
        station=order.station,
        price=price,
        volume_ml=volume_for_amount_ml(amount_fen=amount_fen, price_fen_per_litre=order.price_fen_per_litre),
        amount_fen=amount_fen,
        mode=order.mode,
        at=order.created_at,
        items=draft_items(item_lines),
    )
    quote = promotion_quote(
        draft=draft,
        driver_id=order.driver_id,
        coupon_id=choice.coupon_id,
        use_coupons=choice.use_coupons,
        use_points=choice.use_points,
    )
    if choice.coupon_id is not None and choice.coupon_id not in quote.coupon_ids:
        raise CouponNotApplicable(extra={"coupon_id": choice.coupon_id})
    quote_reserve(quote=quote, driver_id=order.driver_id, reference=order.order_no, at=draft.at)
    return quote


def _receipt_lines(order: FuelOrder, *, quote: Quote, volume_ml: int) -> int:
    """The receipt: the quote's fuel and discount lines, each discount with its promotion and funder, in both
    languages (the items already have their lines). Each fuel or item line gets what was paid for it: the
    fuel its discounts off, the items the non-fuel discounts shared out. Returns the non-fuel part paid."""
    order.volume_ml, order.fuel_amount_fen, order.discount_fen = (
        volume_ml,
        quote.lines[0].amount_fen,
        quote.discount_fen,
    )
    discounts = [line for line in quote.lines if line.kind == OrderLineKind.DISCOUNT]
    fuel_paid = quote.lines[0].amount_fen + sum(line.amount_fen for line in discounts if not line.non_fuel)
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            kind=line.kind,
            label=line.reason.zh,
            label_en=line.reason.en,
            amount_fen=line.amount_fen,
            funder=line.funder,
            promotion_id=line.promotion_id,
            coupon_id=line.coupon_id,
            paid_fen=fuel_paid if line.kind == OrderLineKind.FUEL else None,
        )
        for line in quote.lines
        if line.kind != OrderLineKind.NON_FUEL
    )
    items = list(order.lines.filter(kind=OrderLineKind.NON_FUEL).order_by("pk"))
    non_fuel_discount = -sum(line.amount_fen for line in discounts if line.non_fuel)
    for line, paid in zip(
        items, paid_split(amounts_fen=[line.amount_fen for line in items], discount_fen=non_fuel_discount), strict=True
    ):
        line.paid_fen = paid
    OrderLine.objects.bulk_update(items, ["paid_fen"])
    return quote.total_fen - fuel_paid


def _order_paid_tell_marketing(order: FuelOrder, quote: Quote) -> None:
    """Points, level and segment (the station's own too), any coupon the quote granted, the receipt, and a
    low-balance warning if this payment took the wallet below its threshold, in the paying transaction."""
    order_paid_record(
        driver_id=order.driver_id,
        paid_fen=order.paid_fen,
        reference=order.order_no,
        quote=quote,
        station_id=order.station_id,
    )
    receipt_notify(
        driver_id=order.driver_id,
        reference=order.order_no,
        paid_fen=order.paid_fen,
        station_name=order.station.name,
        volume_ml=order.volume_ml,
    )
    low_balance_notify(
        driver_id=order.driver_id,
        balance_fen=wallet_balance_get(driver_id=order.driver_id).available_fen,
        paid_fen=order.paid_fen,
        reference=order.order_no,
    )


def _order_settle_fill(order: FuelOrder, view: AuthorizationView) -> None:
    """The pump delivered view.fill_amount_fen. Covered by the held reservation: capture it, PAID. Not
    covered (the hold had lapsed, or the fill is larger): NEEDS_REVIEW, capture what the hold covers, and
    collect the rest late from the balance; what the balance cannot pay becomes the driver's debt."""
    hold = hold_select_for_update(hold_id=order.hold_id)
    order.fill_id = view.fill_id
    reserved = promotion_ids_reserved(reference=order.order_no)
    quote = order_requote(order, volume_ml=view.fill_volume_ml, amount_fen=view.fill_amount_fen, promotion_ids=reserved)
    non_fuel_paid = _receipt_lines(order, quote=quote, volume_ml=view.fill_volume_ml)
    # What the fill and the non-fuel items cost the driver, every promotion applied: one posting, the
    # non-fuel part recorded on it.
    fill_fen = quote.total_fen
    if hold.status == HoldStatus.HELD and fill_fen <= hold.amount_fen:
        hold_capture(hold_id=hold.pk, amount_fen=fill_fen, non_fuel_fen=non_fuel_paid)
        quote_settle(quote=quote, reference=order.order_no)
        order.paid_fen, order.paid_at = fill_fen, timezone.now()
        order.save()
        order_transition(order=order, to_status=OrderStatus.PAID, cause=OrderCause.PUMP_COMPLETED)
        _order_paid_tell_marketing(order, quote)
        return
    problem = OrderProblem.OVER_HOLD if hold.status == HoldStatus.HELD else OrderProblem.HOLD_LAPSED
    order.save()
    order_transition(
        order=order, to_status=OrderStatus.NEEDS_REVIEW, cause=OrderCause.PUMP_COMPLETED, failure_code=problem
    )
    captured = 0
    if hold.status == HoldStatus.HELD:
        captured = hold_capture(
            hold_id=hold.pk, amount_fen=hold.amount_fen, non_fuel_fen=min(non_fuel_paid, hold.amount_fen)
        ).captured_fen
    late = late_capture_post(
        driver_id=order.driver_id,
        station_id=order.station_id,
        amount_fen=fill_fen - captured,
        reference=order.order_no,
        idempotency_key=f"order:{order.pk}",
    )
    quote_settle(quote=quote, reference=order.order_no)
    order.paid_fen, order.debt_fen = captured + late.collected_fen, late.debt_fen
    logger.warning(
        "fill not covered by its hold",
        extra={"order": order.order_no, "problem": problem, "total_fen": fill_fen, "debt_fen": late.debt_fen},
    )
    if late.debt_fen:
        order.save(update_fields=["paid_fen", "debt_fen"])
        return
    order.paid_at = timezone.now()
    order.save(update_fields=["paid_fen", "debt_fen", "paid_at"])
    order_transition(
        order=order, to_status=OrderStatus.PAID, cause=OrderCause.SYSTEM_LATE_CAPTURE, failure_code=problem
    )
    _order_paid_tell_marketing(order, quote)


def _order_release(order: FuelOrder, *, to_status: str, cause: str, failure_code: str, actor=None) -> None:
    hold_release(hold_id=order.hold_id)
    quote_release(reference=order.order_no)
    order_transition(order=order, to_status=to_status, cause=cause, failure_code=failure_code, actor=actor)


def _order_apply_pump(order: FuelOrder, view: AuthorizationView) -> None:
    """Bring an open order (row locked) up to its authorization's current status."""
    match view.status:
        case AuthorizationStatus.AUTHORISED if order.status == OrderStatus.AUTHORIZING:
            order_transition(order=order, to_status=OrderStatus.AUTHORIZED, cause=OrderCause.PUMP_AUTHORISED)
        case AuthorizationStatus.FUELLING if order.status != OrderStatus.FUELLING:
            order_transition(order=order, to_status=OrderStatus.FUELLING, cause=OrderCause.PUMP_FUELLING)
        case AuthorizationStatus.COMPLETED if view.fill_amount_fen:
            _order_settle_fill(order, view)
        case AuthorizationStatus.COMPLETED:
            _order_release(
                order,
                to_status=OrderStatus.CANCELLED,
                cause=OrderCause.PUMP_COMPLETED,
                failure_code=OrderProblem.NO_FUEL,
            )
        case AuthorizationStatus.CANCELLED | AuthorizationStatus.REFUSED:
            to_status, cause = _CLOSED_BY_PUMP[view.status]
            _order_release(order, to_status=to_status, cause=cause, failure_code=view.reason)


@ledger_transaction
def order_sync_from_pump(*, authorization_id: int) -> FuelOrder | None:
    """Apply the pump's news to the order, exactly once (row lock + status): capture on a fill, release
    otherwise. Attendant (postpaid) authorizations have no order until the driver pays: None."""
    order_id = FuelOrder.objects.filter(authorization_id=authorization_id).values_list("pk", flat=True).first()
    if order_id is None:
        return None
    order = order_select_for_update(order_id=order_id)
    if order.status in OPEN_ORDER_STATUSES:
        _order_apply_pump(order, authorization_get(authorization_id=authorization_id))
    return order


@ledger_transaction
def order_cancel(*, driver: Driver, order_no: str) -> FuelOrder:
    """The driver cancels before fuelling: the authorization is cancelled and the hold released at once."""
    order_id = FuelOrder.objects.values_list("pk", flat=True).get(driver=driver, order_no=order_no)
    order = order_select_for_update(order_id=order_id)
    if order.status not in OPEN_ORDER_STATUSES:
        return order
    view = authorization_get(authorization_id=order.authorization_id)
    if order.status == OrderStatus.FUELLING or view.status == AuthorizationStatus.FUELLING:
        raise OrderNotCancellable()
    if view.status not in (AuthorizationStatus.REQUESTED, AuthorizationStatus.SENT, AuthorizationStatus.AUTHORISED):
        _order_apply_pump(order, view)  # the pump's news got here first
        return order
    try:
        pump_authorization_cancel(authorization_id=order.authorization_id)
    except AuthorizationNotCancellable as error:
        raise OrderNotCancellable() from error
    _order_release(
        order,
        to_status=OrderStatus.CANCELLED,
        cause=OrderCause.DRIVER_CANCEL,
        failure_code=AuthorizationEndReason.CANCELLED,
        actor=driver.user,
    )
    return order


def orders_reconcile(*, now=None) -> int:
    """Open orders whose authorization closed a while ago never got the pump's news (a task was lost):
    settle each now, in its own transaction. Returns how many were settled."""
    settled = 0
    for authorization_id in order_list_stale_open(closed_before=(now or timezone.now()) - RECONCILE_AFTER):
        try:
            order_sync_from_pump(authorization_id=authorization_id)
        except FuelpayError:
            logger.exception("order could not be reconciled", extra={"authorization": authorization_id})
            continue
        settled += 1
    return settled


def _payable_fill(fill_id: int) -> tuple[FillRecord, Nozzle, PriceInEffect]:
    """An attendant fill a driver may still pay (recent, priced, not paid or otherwise closed)."""
    fill = fill_get(fill_id=fill_id)
    window = timezone.now() - timedelta(minutes=settings.POSTPAID_WINDOW_MINUTES)
    if (
        fill is None
        or fill.source != AuthorizationSource.ATTENDANT
        or fill.completed_at < window
        or fill.amount_fen <= 0
    ):
        raise FillNotPayable()
    nozzle = Nozzle.objects.select_related("station", "grade").get(pk=fill.nozzle_id)
    price = _check_station_and_price(nozzle)
    if FuelOrder.objects.filter(fill_id=fill_id, status=OrderStatus.PAID).exists():
        raise FillAlreadyPaid()
    if FillResolution.objects.filter(fill_id=fill_id).exists():
        raise FillAlreadyResolved()  # paid at the counter or reported as a drive-off
    return fill, nozzle, price


def _postpaid_quote(*, driver: Driver, fill: FillRecord, nozzle: Nozzle, price: PriceInEffect):
    """What the driver pays for an attendant fill, every promotion applied: (draft, quote)."""
    draft = order_draft(
        station=nozzle.station,
        price=price,
        volume_ml=fill.volume_ml,
        amount_fen=fill.amount_fen,
        mode=OrderMode.POSTPAID,
    )
    return draft, promotion_quote(draft=draft, driver_id=driver.pk)


DIRECT_PAYMENT_PREFIX = "fill:"


def order_direct_payment_start(*, driver: Driver, fill_id: int, idempotency_key: str) -> TopUpOrder:
    """闪付 paid through the payment provider: a provider order for exactly the fill, without bonus. When
    the provider's money is credited the fill is paid from it like any wallet payment (same capture, same
    station credit; see order_direct_payment_settle)."""
    fill, nozzle, price = _payable_fill(fill_id)
    _, quote = _postpaid_quote(driver=driver, fill=fill, nozzle=nozzle, price=price)
    return wallet_top_up_order_create(
        driver=driver,
        amount_fen=quote.total_fen,
        idempotency_key=idempotency_key,
        pays_reference=f"{DIRECT_PAYMENT_PREFIX}{fill.id}",
    )


def order_direct_payment_settle(*, driver_id: int, out_trade_no: str, pays_reference: str) -> FuelOrder | None:
    """The provider's money for a fill is in the driver's wallet: pay the fill with it. If the fill was
    closed meanwhile (another payer, the counter) the money simply stays in the wallet; None."""
    if not pays_reference.startswith(DIRECT_PAYMENT_PREFIX):
        return None
    try:
        return order_postpaid_pay(
            driver=Driver.objects.get(pk=driver_id),
            fill_id=int(pays_reference.removeprefix(DIRECT_PAYMENT_PREFIX)),
            idempotency_key=direct_payment_order_key(out_trade_no),
        )
    except (FillAlreadyPaid, FillAlreadyResolved, FillNotPayable, InsufficientFunds):
        logger.warning("direct payment kept in the wallet", extra={"out_trade_no": out_trade_no})
        return None


def direct_payment_order_key(out_trade_no: str) -> str:
    return f"direct:{out_trade_no}"


@ledger_transaction
def order_postpaid_pay(*, driver: Driver, fill_id: int, idempotency_key: str) -> FuelOrder:
    """闪付: pay a fill after fuelling. The paid-fill unique constraint makes a second payment impossible."""
    existing = FuelOrder.objects.filter(driver=driver, idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.fill_id != fill_id:
            raise IdempotencyConflict()
        return existing
    fill, nozzle, price = _payable_fill(fill_id)
    draft, quote = _postpaid_quote(driver=driver, fill=fill, nozzle=nozzle, price=price)
    order = _order_with_hold(
        driver=driver,
        nozzle=nozzle,
        price=price,
        idempotency_key=idempotency_key,
        amount_fen=quote.total_fen,
        mode=OrderMode.POSTPAID,
        price_fen_per_litre=fill.price_fen_per_litre,
        fill_id=fill_id,
        paid_fen=quote.total_fen,
        paid_at=timezone.now(),
    )
    hold_capture(hold_id=order.hold_id, amount_fen=quote.total_fen, non_fuel_fen=0)
    try:
        with transaction.atomic():
            order_transition(
                order=order, to_status=OrderStatus.PAID, cause=OrderCause.DRIVER_POSTPAID_PAY, actor=driver.user
            )
            FillResolution.objects.create(
                fill_id=fill_id,
                station_id=order.station_id,
                kind=FillResolutionKind.APP,
                amount_fen=quote.total_fen,
                order=order,
                resolved_by=driver.user,
            )
    except IntegrityError as error:
        # A concurrent payer, or the cashier at the counter, won; this whole payment rolls back.
        raise FillAlreadyPaid() from error
    quote_reserve(quote=quote, driver_id=driver.pk, reference=order.order_no, at=draft.at)
    quote_settle(quote=quote, reference=order.order_no)
    _receipt_lines(order, quote=quote, volume_ml=fill.volume_ml)
    order.save(update_fields=["volume_ml", "fuel_amount_fen", "discount_fen"])
    _order_paid_tell_marketing(order, quote)
    return order


@transaction.atomic
def order_report_wrong_fill(*, driver: Driver, order_no: str, note: str) -> FuelOrder:
    """The driver paid for the wrong fill: the attendant sees it on the console and can refund."""
    order = FuelOrder.objects.select_for_update().get(driver=driver, order_no=order_no, mode=OrderMode.POSTPAID)
    order.wrong_fill_reported = (note.strip() or "wrong fill")[:200]
    order.save(update_fields=["wrong_fill_reported"])
    return order


def _fill_resolution_create(*, station, fill_id: int, kind: str, resolved_by, tender: str = "", note: str = ""):
    fill = fill_get(fill_id=fill_id) if type(fill_id) is int else None
    if fill is None or fill.station_id != station.pk or fill.source != AuthorizationSource.ATTENDANT:
        raise FillNotResolvable()
    try:
        with transaction.atomic():
            return FillResolution.objects.create(
                fill_id=fill.id,
                station=station,
                kind=kind,
                tender=tender,
                amount_fen=fill.amount_fen if kind == FillResolutionKind.COUNTER else 0,
                resolved_by=resolved_by,
                note=note.strip()[:200],
            )
    except IntegrityError as error:
        raise FillAlreadyResolved() from error  # the driver paid in the app, or another cashier was quicker


@transaction.atomic(durable=True)
def fill_pay_at_counter(*, station, fill_id: int, tender: str, cashier, note: str = "") -> FillResolution:
    """The driver paid the unpaid fill at the counter (cash, bank card, other). The money is the station's
    own takings and never enters the wallet ledger; the row records the tender and the cashier."""
    if tender not in CounterTender.values:
        raise TenderInvalid()
    return _fill_resolution_create(
        station=station, fill_id=fill_id, kind=FillResolutionKind.COUNTER, tender=tender, resolved_by=cashier, note=note
    )


@transaction.atomic(durable=True)
def fill_report_drive_off(*, station, fill_id: int, cashier, note: str = "") -> FillResolution:
    """The car left without paying: the fill is closed as a drive-off (nothing collected) by the cashier."""
    return _fill_resolution_create(
        station=station, fill_id=fill_id, kind=FillResolutionKind.DRIVE_OFF, resolved_by=cashier, note=note
    )


@ledger_transaction
def order_items_add(*, station, order_no: str, items: dict[int, int], idempotency_key: str, attendant) -> FuelOrder:
    """The attendant adds non-fuel items ({catalogue item id: quantity}) to an open prepaid order at their
    station: the order's hold grows by the items' price through the ledger (one posting, its own key) and
    the items get their lines, captured with the fuel. If the wallet cannot cover them nothing changes
    (InsufficientFunds). A replayed submit (same key) adds nothing again. Promotions are the ones reserved
    at confirm; the capture's re-quote applies them to every item."""
    order_id = (
        FuelOrder.objects.filter(station=station, order_no=order_no, mode=OrderMode.PREPAID)
        .values_list("pk", flat=True)
        .first()
    )
    if order_id is None:
        raise OrderItemsNotAddable()
    order = order_select_for_update(order_id=order_id)
    if order.status not in OPEN_ORDER_STATUSES:
        raise OrderItemsNotAddable()
    item_lines = _non_fuel_lines(station_id=station.pk, items=items)
    if not item_lines:
        raise NonFuelItemInvalid()
    items_fen = sum(line.amount_fen for line in item_lines)
    held_before = hold_select_for_update(hold_id=order.hold_id).amount_fen
    hold = hold_increase(hold_id=order.hold_id, amount_fen=items_fen, idempotency_key=f"order-items:{idempotency_key}")
    if hold.amount_fen == held_before:
        return order  # this key already added its items
    for line in item_lines:
        line.order = order
    OrderLine.objects.bulk_create(item_lines)
    FuelOrder.objects.filter(pk=order.pk).update(non_fuel_fen=F("non_fuel_fen") + items_fen)
    order.refresh_from_db()
    logger.info(
        "items added to an order",
        extra={"order": order.order_no, "items_fen": items_fen, "attendant": getattr(attendant, "pk", None)},
    )
    return order


@ledger_transaction
def order_line_refund(*, order: FuelOrder, line_id: int, amount_fen: int, reason: str, idempotency_key: str):
    """Refund part or all of one line of a paid order (the fuel, or one non-fuel item) back to the wallet,
    through the payment's refund; never more than what is left of what was paid for that line. A
    replayed key refunds once. Returns the line."""
    if not reason.strip():
        raise RefundReasonMissing()
    if type(amount_fen) is not int or amount_fen <= 0:
        raise InvalidAmount()
    order = order_select_for_update(order_id=order.pk)
    line = OrderLine.objects.select_for_update().filter(pk=line_id, order=order).first()
    if (
        line is None
        or order.hold_id is None
        or line.paid_fen is None
        or line.kind not in (OrderLineKind.FUEL, OrderLineKind.NON_FUEL)
    ):
        raise OrderLineNotRefundable()
    key = f"order-line:{line.pk}:{idempotency_key}"
    if payment_refund_exists(idempotency_key=key):
        # A replay: the payment refund answers it (IdempotencyConflict if the amount differs).
        payment_refund(hold_id=order.hold_id, amount_fen=amount_fen, idempotency_key=key)
        return line
    if amount_fen > line.paid_fen - line.refunded_fen:
        raise OrderLineRefundExceedsPaid(extra={"refundable_fen": line.paid_fen - line.refunded_fen})
    payment_refund(hold_id=order.hold_id, amount_fen=amount_fen, idempotency_key=key)
    OrderLine.objects.filter(pk=line.pk).update(refunded_fen=F("refunded_fen") + amount_fen)
    logger.info(
        "order line refunded",
        extra={"order": order.order_no, "line": line.pk, "amount_fen": amount_fen, "reason": reason.strip()[:200]},
    )
    line.refresh_from_db()
    return line
