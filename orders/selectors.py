from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext

from core.exceptions import FuelpayError
from core.money import format_fen, volume_for_amount_ml
from marketing.engine import Hint, QuoteLine
from marketing.selectors import promotion_quote
from orders.enums import OPEN_ORDER_STATUSES, OrderLineKind, OrderMode, OrderStatus
from orders.lifecycle import SETTLING, OrderMessage, order_message
from orders.models import FillResolution, FuelOrder, OrderLine
from orders.pricing import AUTOMATIC, PromotionChoice, order_draft
from pumpgateway.enums import CLOSED_AUTHORIZATION_STATUSES, AuthorizationStatus, NozzleLiveState
from pumpgateway.exceptions import ControllerOffline, NozzleBusy, PumpNotConfigured, PumpOffline
from pumpgateway.selectors import (
    authorization_open_for_pump,
    dispenser_ids_with_open_authorization,
    line_bridge_alive,
    nozzle_live_get,
    nozzle_live_list_for_station,
    postpaid_fill_list,
    pump_alarm_list_for_station,
    pump_binding_for_nozzle,
    station_controllers_alive,
)
from pumpgateway.services import BUSY_STATES
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
    coupon_ids: tuple[int, ...] = ()
    points_used: int = 0


def order_quote_get(
    *,
    station: Station,
    price: PriceInEffect,
    amount_fen: int,
    driver_id: int | None,
    mode: str = OrderMode.PREPAID,
    choice: PromotionChoice = AUTOMATIC,
) -> OrderQuote:
    """What the driver will see on the receipt if the pump delivers the full preset, line by line, with the
    coupon and points the driver chose."""
    volume = volume_for_amount_ml(amount_fen=amount_fen, price_fen_per_litre=price.price_fen_per_litre)
    draft = order_draft(station=station, price=price, volume_ml=volume, amount_fen=amount_fen, mode=mode)
    quote = promotion_quote(
        draft=draft,
        driver_id=driver_id,
        coupon_id=choice.coupon_id,
        use_coupons=choice.use_coupons,
        use_points=choice.use_points,
    )
    return OrderQuote(
        amount_fen=amount_fen,
        pay_fen=quote.total_fen,
        estimated_volume_ml=volume,
        price_fen_per_litre=price.price_fen_per_litre,
        list_price_fen_per_litre=price.list_price_fen_per_litre,
        lines=quote.lines,
        hints=quote.hints,
        coupon_ids=quote.coupon_ids,
        points_used=quote.points_used,
    )


def nozzle_unavailable_error(*, nozzle: Nozzle) -> FuelpayError | None:
    """Why the driver cannot pay at this nozzle right now (shown before choosing an amount), or None. The
    order service refuses with the same error; the authorization request checks again under the pump lock."""
    binding = pump_binding_for_nozzle(nozzle_id=nozzle.pk)
    if binding is None:
        return PumpNotConfigured()
    if not binding.line.is_enabled or not line_bridge_alive(line=binding.line):
        return ControllerOffline()
    live = nozzle_live_get(nozzle_id=nozzle.pk)
    if not binding.online or live.state in (NozzleLiveState.OFFLINE, NozzleLiveState.CLOSED):
        return PumpOffline()
    if live.state in BUSY_STATES or authorization_open_for_pump(pump=binding) is not None:
        return NozzleBusy()  # this nozzle, or another nozzle of the same pump, is in use
    return None


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
    # The receipt reads fuel, its discounts, then the non-fuel items (the items were written first).
    lines = sorted(order.lines.all(), key=lambda line: (line.kind == OrderLineKind.NON_FUEL, line.pk))
    return OrderView(order, status, volume, amount, lines, message)


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
    overdue: bool  # still open after a shift: listed for the station manager


def _resolved_fill_ids(*, station_id: int) -> QuerySet:
    return FillResolution.objects.filter(station_id=station_id).values_list("fill_id", flat=True)


def unpaid_fill_list_for_station(
    *, station_id: int, since: datetime | None = None, before: datetime | None = None
) -> list[UnpaidFill]:
    """Attendant (闪付) fills nobody has resolved yet (no FillResolution), newest first. They stay until
    someone does: the driver in the app, the cashier at the counter, or a drive-off report."""
    now = timezone.now()
    shift_start = now - timedelta(hours=settings.FORECOURT_SHIFT_HOURS)
    fills = postpaid_fill_list(
        station_id=station_id, since=since, before=before, exclude_fill_ids=_resolved_fill_ids(station_id=station_id)
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
            overdue=fill.completed_at < shift_start,
        )
        for fill in fills
    ]


def unpaid_fill_list_overdue(*, station_id: int) -> list[UnpaidFill]:
    """For the station manager: unpaid fills older than a shift (the resolution deadline was missed)."""
    before = timezone.now() - timedelta(hours=settings.FORECOURT_SHIFT_HOURS)
    return unpaid_fill_list_for_station(station_id=station_id, before=before)


def unpaid_fill_list_for_nozzle(*, station_id: int, nozzle_number: int) -> list[UnpaidFill]:
    """The driver names the nozzle first and sees only the last few minutes, so one driver cannot browse
    every car's fill at the station."""
    since = timezone.now() - timedelta(minutes=settings.POSTPAID_WINDOW_MINUTES)
    return [
        fill
        for fill in unpaid_fill_list_for_station(station_id=station_id, since=since)
        if fill.nozzle_number == nozzle_number
    ]


@dataclass(frozen=True)
class FillResolutionRecord:
    """Settlement's view of a closed attendant fill (docs/fill-resolution.md)."""

    fill_id: int
    station_id: int
    nozzle_number: int
    kind: str  # a FillResolutionKind
    tender: str  # a CounterTender for a counter payment, else ""
    fill_amount_fen: int
    collected_fen: int  # 0 for a drive-off
    order_no: str  # the app payment's order, else ""
    resolved_by: str
    fill_completed_at: datetime
    resolved_at: datetime


def fill_resolution_list_for_station(
    *, station_id: int, since: datetime, until: datetime
) -> list[FillResolutionRecord]:
    """Attendant fills of a station resolved in [since, until), oldest first."""
    resolutions = (
        FillResolution.objects.filter(station_id=station_id, resolved_at__gte=since, resolved_at__lt=until)
        .select_related("fill", "fill__nozzle", "order", "resolved_by")
        .order_by("resolved_at", "pk")
    )
    return [
        FillResolutionRecord(
            fill_id=resolution.fill_id,
            station_id=resolution.station_id,
            nozzle_number=resolution.fill.nozzle.number,
            kind=resolution.kind,
            tender=resolution.tender,
            fill_amount_fen=resolution.fill.amount_fen,
            collected_fen=resolution.amount_fen,
            order_no=resolution.order.order_no if resolution.order else "",
            resolved_by=str(resolution.resolved_by or ""),
            fill_completed_at=resolution.fill.completed_at,
            resolved_at=resolution.resolved_at,
        )
        for resolution in resolutions
    ]


def order_list_open_for_station(*, station_id: int) -> QuerySet[FuelOrder]:
    """Prepaid orders waiting at the pumps, for the attendant console (with their dynamic codes)."""
    return (
        FuelOrder.objects.filter(station_id=station_id, status__in=OPEN_ORDER_STATUSES)
        .select_related("nozzle", "driver", "authorization")
        .order_by("created_at")
    )


def order_list_by_dynamic_code(*, station_id: int, code: str) -> QuerySet[FuelOrder]:
    """The open orders at the station whose dynamic code is the one the driver shows the attendant."""
    return order_list_open_for_station(station_id=station_id).filter(dynamic_code=code)


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
    rows = list(Nozzle.objects.filter(station=station).select_related("grade").order_by("number"))
    state_of = {row.pk: live[row.pk].state if row.pk in live else NozzleLiveState.OFFLINE for row in rows}
    # One pump serves one car at a time: while any nozzle of it is in use, its other nozzles are busy too.
    busy_pumps = dispenser_ids_with_open_authorization(station_id=station.pk)
    in_use = {}
    for row in rows:
        if state_of[row.pk] in BUSY_STATES or row.pk in order_by_nozzle:
            busy_pumps.add(row.dispenser_id)
            in_use.setdefault(row.dispenser_id, row.number)
    nozzles = []
    for nozzle in rows:
        state = live.get(nozzle.pk)
        order = order_by_nozzle.get(nozzle.pk)
        nozzle_state = state_of[nozzle.pk]
        pump_busy = nozzle.dispenser_id in busy_pumps
        label = str(NozzleLiveState(nozzle_state).label)
        if pump_busy and nozzle_state not in BUSY_STATES and order is None:
            label = gettext("Pump in use (nozzle %(n)s)") % {"n": in_use.get(nozzle.dispenser_id, "?")}
        nozzles.append(
            {
                "number": nozzle.number,
                "grade": nozzle.grade.name,
                "state": nozzle_state,
                "state_label": label,
                "pump_busy": pump_busy,
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
    alerts += pump_alarm_list_for_station(station_id=station.pk)
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
                "fill_id": fill.fill_id,
                "overdue": fill.overdue,
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
