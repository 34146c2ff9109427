"""Pay at the pump. Prepaid: hold → authorize the nozzle → the pump's fill is captured, the rest
released. Postpaid: the attendant authorizes, the driver pays the fill afterwards, exactly once."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from drivers.models import Driver
from orders.enums import OrderMode, OrderStatus
from orders.exceptions import FillAlreadyPaid, FillNotPayable, OrderNotCancellable
from orders.locks import order_select_for_update
from orders.models import FuelOrder, OrderLine
from orders.pricing import fuel_price_lines
from pumpgateway.enums import AuthorizationEndReason, AuthorizationSource, AuthorizationStatus, NozzleLiveState
from pumpgateway.exceptions import ControllerOffline, NozzleBusy, PumpNotConfigured, PumpOffline
from pumpgateway.selectors import (
    authorization_get,
    fill_get,
    line_bridge_alive,
    nozzle_live_get,
    pump_binding_for_nozzle,
)
from pumpgateway.services import BUSY_STATES, pump_authorization_cancel, pump_authorization_request
from stations.enums import StationStatus
from stations.exceptions import StationNotActive
from stations.models import Nozzle
from stations.selectors import station_price_get
from wallet.enums import HoldStatus
from wallet.exceptions import IdempotencyConflict, InsufficientFunds, InvalidAmount
from wallet.selectors import wallet_balance_get
from wallet.services.holds import hold_capture, hold_place, hold_release, wallet_hold_place, wallet_hold_release
from wallet.services.ledger import ledger_transaction


def _new_order_no() -> str:
    return "F" + timezone.localtime().strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**6):06d}"


def _dynamic_code() -> str:
    """动态辨识口令: what the attendant matches against the car at the nozzle."""
    return f"{secrets.randbelow(10**4):04d}"


def _check_station_and_price(nozzle: Nozzle):
    if nozzle.station.status != StationStatus.ACTIVE:
        raise StationNotActive()
    return station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)


def _prepaid_amount(*, driver: Driver, station_id: int, amount_fen: int | None, fill_up: bool) -> int:
    if fill_up:
        balance = wallet_balance_get(driver_id=driver.pk)
        usable = balance.available_fen + balance.contract_fen - balance.contract_held_fen
        amount_fen = min(settings.ORDER_FILL_UP_CAP_FEN, usable)
        if amount_fen < settings.ORDER_MIN_AMOUNT_FEN:
            raise InsufficientFunds(extra={"available_fen": usable})
        return amount_fen
    if type(amount_fen) is not int or not settings.ORDER_MIN_AMOUNT_FEN <= amount_fen <= settings.ORDER_MAX_AMOUNT_FEN:
        raise InvalidAmount(extra={"min_fen": settings.ORDER_MIN_AMOUNT_FEN, "max_fen": settings.ORDER_MAX_AMOUNT_FEN})
    return amount_fen


def order_prepaid_create(
    *,
    driver: Driver,
    nozzle: Nozzle,
    idempotency_key: str,
    amount_fen: int | None = None,
    fill_up: bool = False,
) -> FuelOrder:
    """一键加油: hold the money, then ask the pump bridge to authorize the nozzle with that preset."""
    existing = FuelOrder.objects.filter(driver=driver, idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.nozzle_id != nozzle.pk:
            raise IdempotencyConflict()
        return existing
    price = _check_station_and_price(nozzle)
    # Refused before any money is held: nothing to release, nothing in the journal.
    binding = pump_binding_for_nozzle(nozzle_id=nozzle.pk)
    if binding is None:
        raise PumpNotConfigured()
    if not binding.line.is_enabled or not line_bridge_alive(line=binding.line):
        raise ControllerOffline()
    live = nozzle_live_get(nozzle_id=nozzle.pk)
    if not binding.online or live.state in (NozzleLiveState.OFFLINE, NozzleLiveState.CLOSED):
        raise PumpOffline()
    if live.state in BUSY_STATES:
        raise NozzleBusy()
    amount = _prepaid_amount(driver=driver, station_id=nozzle.station_id, amount_fen=amount_fen, fill_up=fill_up)
    order_no = _new_order_no()
    hold = wallet_hold_place(
        driver_id=driver.pk,
        station_id=nozzle.station_id,
        amount_fen=amount,
        reference=order_no,
        idempotency_key=f"order:{driver.pk}:{idempotency_key}",
        ttl_seconds=settings.ORDER_HOLD_TTL_SECONDS,
    )
    try:
        with transaction.atomic(durable=True):
            order = FuelOrder.objects.create(
                order_no=hold.reference,
                mode=OrderMode.PREPAID,
                status=OrderStatus.AUTHORIZING,
                driver=driver,
                station_id=nozzle.station_id,
                nozzle=nozzle,
                grade_name=price.grade_name,
                list_price_fen_per_litre=price.list_price_fen_per_litre,
                price_fen_per_litre=price.price_fen_per_litre,
                requested_amount_fen=amount,
                hold=hold,
                dynamic_code=_dynamic_code(),
                idempotency_key=idempotency_key,
            )
            order.authorization = pump_authorization_request(
                nozzle=nozzle,
                source=AuthorizationSource.PREPAID,
                preset_amount_fen=amount,
                external_reference=order.order_no,
            )
            order.save(update_fields=["authorization"])
    except (PumpOffline, NozzleBusy, PumpNotConfigured):
        wallet_hold_release(hold_id=hold.pk)
        raise
    return order


def _receipt_lines(order: FuelOrder, *, volume_ml: int, paid_fen: int) -> None:
    lines = fuel_price_lines(
        grade_name=order.grade_name,
        volume_ml=volume_ml,
        paid_fen=paid_fen,
        list_price_fen_per_litre=order.list_price_fen_per_litre,
    )
    order.volume_ml, order.fuel_amount_fen = volume_ml, lines[0].amount_fen
    order.discount_fen, order.paid_fen = lines[0].amount_fen - paid_fen, paid_fen
    OrderLine.objects.bulk_create(
        OrderLine(order=order, kind=line.kind, label=line.label, amount_fen=line.amount_fen, funder=line.funder)
        for line in lines
    )


def _fail(order: FuelOrder, status: str, reason: str) -> None:
    order.status = status
    order.failure_code = reason
    order.failure_message = str(AuthorizationEndReason(reason).label) if reason in AuthorizationEndReason.values else ""
    order.save(update_fields=["status", "failure_code", "failure_message"])


@ledger_transaction
def order_sync_from_pump(*, authorization_id: int) -> FuelOrder | None:
    """Apply the pump's news to the order, exactly once: capture on a fill, release otherwise."""
    order = FuelOrder.objects.filter(authorization_id=authorization_id).values_list("pk", flat=True).first()
    if order is None:
        return None  # attendant (postpaid) authorizations have no order until the driver pays
    order = order_select_for_update(order_id=order)
    if order.status not in (OrderStatus.AUTHORIZING, OrderStatus.AUTHORIZED, OrderStatus.FUELLING):
        return order
    view = authorization_get(authorization_id=authorization_id)
    if view.status == AuthorizationStatus.AUTHORISED:
        order.status = OrderStatus.AUTHORIZED
    elif view.status == AuthorizationStatus.FUELLING:
        order.status = OrderStatus.FUELLING
    elif view.status == AuthorizationStatus.COMPLETED and view.fill_amount_fen:
        hold = order.hold
        paid = min(view.fill_amount_fen, hold.amount_fen)
        if hold.status == HoldStatus.HELD:
            hold_capture(hold_id=hold.pk, amount_fen=paid)
        _receipt_lines(order, volume_ml=view.fill_volume_ml, paid_fen=paid)
        order.fill_id, order.status, order.paid_at = view.fill_id, OrderStatus.PAID, timezone.now()
        if view.fill_amount_fen > hold.amount_fen:
            order.failure_code = "over_hold"
            order.failure_message = f"pump amount {view.fill_amount_fen} exceeded the hold {hold.amount_fen}"
        order.save()
        return order
    elif view.status in (AuthorizationStatus.COMPLETED, AuthorizationStatus.CANCELLED, AuthorizationStatus.REFUSED):
        hold_release(hold_id=order.hold_id)
        if view.status == AuthorizationStatus.COMPLETED:
            _fail(order, OrderStatus.CANCELLED, "no_fuel")
        else:
            _fail(
                order,
                OrderStatus.FAILED if view.status == AuthorizationStatus.REFUSED else OrderStatus.CANCELLED,
                view.reason,
            )
        return order
    order.save(update_fields=["status"])
    return order


def order_cancel(*, driver: Driver, order_no: str) -> FuelOrder:
    order = FuelOrder.objects.get(driver=driver, order_no=order_no)
    if order.status == OrderStatus.FUELLING:
        raise OrderNotCancellable()
    if order.status in (OrderStatus.AUTHORIZING, OrderStatus.AUTHORIZED) and order.authorization_id:
        pump_authorization_cancel(authorization_id=order.authorization_id)
    order.refresh_from_db()
    return order


@ledger_transaction
def order_postpaid_pay(*, driver: Driver, fill_id: int, idempotency_key: str) -> FuelOrder:
    """闪付: pay a fill after fuelling. The paid-fill unique constraint makes a second payment impossible."""
    existing = FuelOrder.objects.filter(driver=driver, idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.fill_id != fill_id:
            raise IdempotencyConflict()
        return existing
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
    order_no = _new_order_no()
    hold = hold_place(
        driver_id=driver.pk,
        station_id=nozzle.station_id,
        amount_fen=fill.amount_fen,
        reference=order_no,
        idempotency_key=f"order:{driver.pk}:{idempotency_key}",
    )
    hold_capture(hold_id=hold.pk, amount_fen=fill.amount_fen)
    order = FuelOrder(
        order_no=order_no,
        mode=OrderMode.POSTPAID,
        status=OrderStatus.PAID,
        driver=driver,
        station_id=nozzle.station_id,
        nozzle=nozzle,
        grade_name=price.grade_name,
        list_price_fen_per_litre=price.list_price_fen_per_litre,
        price_fen_per_litre=fill.price_fen_per_litre,
        hold=hold,
        fill_id=fill_id,
        dynamic_code=_dynamic_code(),
        idempotency_key=idempotency_key,
        paid_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError as error:
        raise FillAlreadyPaid() from error  # a concurrent payer won; this whole payment rolls back
    _receipt_lines(order, volume_ml=fill.volume_ml, paid_fen=fill.amount_fen)
    order.save()
    return order


@transaction.atomic
def order_report_wrong_fill(*, driver: Driver, order_no: str, note: str) -> FuelOrder:
    """The driver paid for the wrong fill: the attendant sees it on the console and can refund."""
    order = FuelOrder.objects.select_for_update().get(driver=driver, order_no=order_no, mode=OrderMode.POSTPAID)
    order.wrong_fill_reported = (note.strip() or "wrong fill")[:200]
    order.save(update_fields=["wrong_fill_reported"])
    return order
