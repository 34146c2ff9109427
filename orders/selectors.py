from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext

from core.money import format_fen, volume_for_amount_ml
from marketing.engine import Hint, QuoteLine
from marketing.selectors import promotion_quote
from orders.enums import OPEN_ORDER_STATUSES, OrderMode, OrderStatus
from orders.lifecycle import SETTLING, OrderMessage, order_message
from orders.models import FuelOrder, OrderLine
from orders.pricing import order_draft
from pumpgateway.enums import CLOSED_AUTHORIZATION_STATUSES, AuthorizationStatus, NozzleLiveState
from pumpgateway.selectors import (
    nozzle_live_get,
    nozzle_live_list_for_station,
    postpaid_fill_list,
    station_controllers_alive,
)
from stations.models import Nozzle, Station
from stations.selectors import PriceInEffect


@dataclass(frozen=True)
class OrderQuote:
    amount_fen: int  # the pump's preset (at the station price)
    pay_fen: int  # what the driver pays for it, every promotion applied
    estimated_volume_ml: int
    price_fen_per_litre: int
    list_price_fen_per_litre: int
    lines: tuple[QuoteLine, ...]
    hints: tuple[Hint, ...]


def order_quote_get(
    *, station: Station, price: PriceInEffect, amount_fen: int, driver_id: int | None, mode: str = OrderMode.PREPAID
) -> OrderQuote:
    """What the driver will see on the receipt if the pump delivers the full preset, line by line."""
    volume = volume_for_amount_ml(amount_fen=amount_fen, price_fen_per_litre=price.price_fen_per_litre)
    draft = order_draft(
        station=station, price=price, volume_ml=volume, amount_fen=amount_fen, mode=mode, driver_id=driver_id
    )
    quote = promotion_quote(draft=draft, driver_id=driver_id)
    return OrderQuote(
        amount_fen=amount_fen,
        pay_fen=quote.total_fen,
        estimated_volume_ml=volume,
        price_fen_per_litre=price.price_fen_per_litre,
        list_price_fen_per_litre=price.list_price_fen_per_litre,
        lines=quote.lines,
        hints=quote.hints,
    )


# While the order waits for the worker to apply the pump's news, the driver already sees the pump's state.
_LIVE_STATUS = {
    AuthorizationStatus.REQUESTED: OrderStatus.AUTHORIZING,
    AuthorizationStatus.SENT: OrderStatus.AUTHORIZING,
    AuthorizationStatus.AUTHORISED: OrderStatus.AUTHORIZED,
    AuthorizationStatus.FUELLING: OrderStatus.FUELLING,
}


@dataclass(frozen=True)
class OrderView:
    order: FuelOrder
    display_status: str  # an OrderStatus, or SETTLING between the pump stopping and the capture
    live_volume_ml: int
    live_amount_fen: int
    lines: list[OrderLine]
    message: OrderMessage

    @property
    def is_final(self) -> bool:
        return self.display_status not in (*OPEN_ORDER_STATUSES, SETTLING)


def order_view_get(*, driver_id: int, order_no: str) -> OrderView:
    """One driver's order with the pump's live progress. Another driver's order number is a 404."""
    order = get_object_or_404(
        FuelOrder.objects.select_related("station", "nozzle", "authorization"), driver_id=driver_id, order_no=order_no
    )
    status, volume, amount = order.status, order.volume_ml, order.paid_fen
    if status in OPEN_ORDER_STATUSES and order.authorization is not None:
        status = _LIVE_STATUS.get(order.authorization.status, SETTLING)
        if status in (OrderStatus.FUELLING, SETTLING):
            live = nozzle_live_get(nozzle_id=order.nozzle_id)
            volume, amount = live.volume_ml, live.amount_fen
    message = order_message(status=status, failure_code=order.failure_code, debt_fen=order.debt_fen)
    return OrderView(order, status, volume, amount, list(order.lines.all()), message)


def order_list_for_driver(*, driver_id: int, limit: int = 10) -> QuerySet[FuelOrder]:
    return FuelOrder.objects.filter(driver_id=driver_id).select_related("station", "nozzle").order_by("-pk")[:limit]


@dataclass(frozen=True)
class UnpaidFill:
    fill_id: int
    nozzle_number: int
    grade_name: str
    volume_ml: int
    amount_fen: int
    completed_at: datetime
    minutes_ago: int


def unpaid_fill_list_for_station(*, station_id: int) -> list[UnpaidFill]:
    """闪付: the station's unpaid attendant fills from the last few minutes, newest first."""
    now = timezone.now()
    paid = set(
        FuelOrder.objects.filter(station_id=station_id, status=OrderStatus.PAID, fill__isnull=False).values_list(
            "fill_id", flat=True
        )
    )
    fills = postpaid_fill_list(
        station_id=station_id, since=now - timedelta(minutes=settings.POSTPAID_WINDOW_MINUTES), exclude_fill_ids=paid
    )
    return [
        UnpaidFill(
            fill_id=fill.id,
            nozzle_number=fill.nozzle_number,
            grade_name=fill.grade_name,
            volume_ml=fill.volume_ml,
            amount_fen=fill.amount_fen,
            completed_at=fill.completed_at,
            minutes_ago=int((now - fill.completed_at).total_seconds() // 60),
        )
        for fill in fills
    ]


def unpaid_fill_list_for_nozzle(*, station_id: int, nozzle_number: int) -> list[UnpaidFill]:
    """The driver names the nozzle first, so one driver cannot browse every car's fill at the station."""
    return [fill for fill in unpaid_fill_list_for_station(station_id=station_id) if fill.nozzle_number == nozzle_number]


def order_list_open_for_station(*, station_id: int) -> QuerySet[FuelOrder]:
    """Prepaid orders waiting at the pumps, for the attendant console (with their dynamic codes)."""
    return (
        FuelOrder.objects.filter(station_id=station_id, status__in=OPEN_ORDER_STATUSES)
        .select_related("nozzle", "driver", "authorization")
        .order_by("created_at")
    )


def order_list_wrong_fill_reports(*, station_id: int, since: datetime) -> QuerySet[FuelOrder]:
    return (
        FuelOrder.objects.filter(station_id=station_id, paid_at__gte=since)
        .exclude(wrong_fill_reported="")
        .select_related("nozzle", "driver")
        .order_by("-paid_at")
    )


def order_list_needing_review(*, station_id: int, since: datetime) -> QuerySet[FuelOrder]:
    """Fills the driver has not fully paid (the platform carries the debt): the attendant should look."""
    return (
        FuelOrder.objects.filter(station_id=station_id, status=OrderStatus.NEEDS_REVIEW, created_at__gte=since)
        .select_related("nozzle", "driver")
        .order_by("-pk")
    )


def order_list_stale_open(*, closed_before: datetime) -> list[int]:
    """Authorization ids of open orders whose authorization closed before the given moment."""
    return list(
        FuelOrder.objects.filter(
            status__in=OPEN_ORDER_STATUSES,
            authorization__status__in=CLOSED_AUTHORIZATION_STATUSES,
            authorization__closed_at__lt=closed_before,
        )
        .order_by("pk")
        .values_list("authorization_id", flat=True)
    )


# An authorized prepaid order nobody has lifted the nozzle for this long raises an alert on the console.
WAITING_ALERT_SECONDS = 30
# Orders that were not fully paid stay on the console this long.
REVIEW_ALERT_HOURS = 24


def forecourt_state_get(*, station) -> dict:
    """The attendant console's live picture of a station: nozzles, waiting orders, unpaid fills, alerts."""
    now = timezone.now()
    live = nozzle_live_list_for_station(station_id=station.pk)
    orders = list(order_list_open_for_station(station_id=station.pk))
    order_by_nozzle = {order.nozzle_id: order for order in orders}
    nozzles = []
    for nozzle in Nozzle.objects.filter(station=station).select_related("grade").order_by("number"):
        state = live.get(nozzle.pk)
        order = order_by_nozzle.get(nozzle.pk)
        nozzles.append(
            {
                "number": nozzle.number,
                "grade": nozzle.grade.name,
                "state": state.state if state else NozzleLiveState.OFFLINE,
                "state_label": str(NozzleLiveState(state.state if state else NozzleLiveState.OFFLINE).label),
                "volume_ml": state.volume_ml if state else 0,
                "amount_fen": state.amount_fen if state else 0,
                "dynamic_code": order.dynamic_code if order else "",
            }
        )
    pending = [
        {
            "nozzle_number": order.nozzle.number,
            "dynamic_code": order.dynamic_code,
            "amount_fen": order.requested_amount_fen,
            "status": order.status,
            "status_label": order_message(status=order.status).status_label,
            "driver": str(order.driver),  # masked phone: attendants never see the full number
            "waiting_seconds": int((now - order.created_at).total_seconds()),
        }
        for order in orders
    ]
    controllers_online = station_controllers_alive(station_id=station.pk)
    alerts = (
        []
        if controllers_online
        else [gettext("The pump controller is not responding: drivers cannot pay at the pump.")]
    )
    alerts += [
        gettext("Nozzle %(n)s: a driver has paid and is waiting (code %(code)s)")
        % {"n": order["nozzle_number"], "code": order["dynamic_code"]}
        for order in pending
        if order["status"] == OrderStatus.AUTHORIZED and order["waiting_seconds"] >= WAITING_ALERT_SECONDS
    ]
    alerts += [
        gettext(
            "Nozzle %(n)s: order %(order_no)s, a fill of %(fill)s, is not fully paid; driver %(driver)s owes "
            "%(debt)s. The station is paid in full. Please check the car and tell the driver."
        )
        % {
            "n": order.nozzle.number,
            "order_no": order.order_no,
            "fill": format_fen(order.paid_fen + order.debt_fen),
            "driver": str(order.driver),
            "debt": format_fen(order.debt_fen),
        }
        for order in order_list_needing_review(station_id=station.pk, since=now - timedelta(hours=REVIEW_ALERT_HOURS))
    ]
    return {
        "station": station.name,
        "controllers_online": controllers_online,
        "nozzles": nozzles,
        "pending_orders": pending,
        "alerts": alerts,
        "unpaid_fills": [
            {
                "nozzle_number": fill.nozzle_number,
                "grade": fill.grade_name,
                "volume_ml": fill.volume_ml,
                "amount_fen": fill.amount_fen,
                "minutes_ago": fill.minutes_ago,
            }
            for fill in unpaid_fill_list_for_station(station_id=station.pk)
        ],
        "wrong_fill_reports": [
            {
                "nozzle_number": order.nozzle.number,
                "paid_fen": order.paid_fen,
                "note": order.wrong_fill_reported,
                "order_no": order.order_no,
            }
            for order in order_list_wrong_fill_reports(
                station_id=station.pk, since=now - timedelta(minutes=settings.POSTPAID_WINDOW_MINUTES * 4)
            )
        ],
    }
