"""Reads for the back office's home dashboard. Every figure is one aggregate query in the database;
nothing here loops over order or fill rows in Python (BENCHMARKS.md has the query count)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractHour, ExtractIsoWeekDay
from django.utils import timezone, translation
from django.utils.translation import gettext

from marketing.enums import Funder
from orders.enums import OrderLineKind, OrderStatus
from orders.models import FuelOrder, OrderLine
from pumpgateway.enums import CommandKind
from pumpgateway.models import Fill, PumpBinding, PumpCommand
from stations.models import GradePrice
from wallet.enums import Operation
from wallet.models import JournalEntry
from wallet.selectors import station_sales_posted_fen

SOLD_STATUSES = (OrderStatus.PAID, OrderStatus.NEEDS_REVIEW)  # the pump delivered; the station is paid in full
CHART_DAYS = 30


@dataclass(frozen=True)
class DayFigures:
    sales_fen: int
    orders: int
    fills: int
    refunds: int
    refunded_fen: int
    unpaid_fills: int


@dataclass(frozen=True)
class DashboardCharts:
    sales_by_grade: list[tuple[str, int]]
    sales_by_hour: list[int]  # 24 values, fen
    sales_by_weekday: list[int]  # Monday..Sunday, fen
    average_ticket_fen: int
    repurchase_rate_percent: int
    new_drivers: int
    returning_drivers: int
    non_fuel_share_percent: int


@dataclass(frozen=True)
class PriceScheduleRow:
    station_name: str
    grade_name: str
    price_fen_per_litre: int
    next_price_fen_per_litre: int | None
    next_change_at: datetime | None


@dataclass(frozen=True)
class PumpPushRow:
    pump: str
    station_name: str
    status: str | None
    sent_at: datetime | None


def _sold_orders(station_ids, start: datetime, end: datetime) -> QuerySet[FuelOrder]:
    return FuelOrder.objects.filter(
        station_id__in=station_ids, status__in=SOLD_STATUSES, paid_at__gte=start, paid_at__lt=end
    )


def _fills(station_ids, start: datetime, end: datetime) -> QuerySet[Fill]:
    return Fill.objects.filter(nozzle__station_id__in=station_ids, completed_at__gte=start, completed_at__lt=end)


def dashboard_day_figures(*, station_ids, start: datetime, end: datetime) -> DayFigures:
    """Sales as the ledger posted them, orders, fills, refunds and unpaid fills in [start, end)."""
    orders = _sold_orders(station_ids, start, end).count()
    paid_order = FuelOrder.objects.filter(fill=OuterRef("pk"), status__in=SOLD_STATUSES)
    fills = _fills(station_ids, start, end).aggregate(
        fills=Count("pk"), unpaid=Count("pk", filter=Q(~Exists(paid_order), amount_fen__gt=0))
    )
    refunds = JournalEntry.objects.filter(
        station_id__in=station_ids, operation=Operation.REFUND, created_at__gte=start, created_at__lt=end
    ).aggregate(
        count=Count("pk", distinct=True), amount=Coalesce(Sum("lines__amount_fen", filter=Q(lines__side="D")), 0)
    )
    return DayFigures(
        sales_fen=station_sales_posted_fen(station_ids=station_ids, start=start, end=end),
        orders=orders,
        fills=fills["fills"],
        refunds=refunds["count"],
        refunded_fen=refunds["amount"],
        unpaid_fills=fills["unpaid"],
    )


def dashboard_charts(*, station_ids, end: datetime, days: int = CHART_DAYS) -> DashboardCharts:
    start = end - timedelta(days=days)
    tz = timezone.get_current_timezone()
    sold = _sold_orders(station_ids, start, end)
    amount = F("paid_fen") + F("debt_fen")
    by_grade = list(sold.values_list("grade_name").annotate(total=Sum(amount)).order_by("-total"))
    hours = [0] * 24
    for hour, total in (
        sold.annotate(hour=ExtractHour("paid_at", tzinfo=tz)).values_list("hour").annotate(total=Sum(amount))
    ):
        hours[hour] = total
    weekdays = [0] * 7
    for weekday, total in (
        sold.annotate(weekday=ExtractIsoWeekDay("paid_at", tzinfo=tz))
        .values_list("weekday")
        .annotate(total=Sum(amount))
    ):
        weekdays[weekday - 1] = total
    totals = sold.aggregate(average=Coalesce(Avg(amount), 0.0), drivers=Count("driver", distinct=True))
    repeat_drivers = sold.values("driver").annotate(n=Count("pk")).filter(n__gte=2).count()
    earlier = FuelOrder.objects.filter(
        driver=OuterRef("driver"), station_id__in=station_ids, status__in=SOLD_STATUSES, paid_at__lt=start
    )
    returning = sold.filter(Exists(earlier)).values("driver").distinct().count()
    lines = OrderLine.objects.filter(order__in=sold).aggregate(
        non_fuel=Coalesce(Sum("amount_fen", filter=Q(kind=OrderLineKind.NON_FUEL)), 0),
        total=Coalesce(Sum("amount_fen", filter=Q(kind__in=[OrderLineKind.NON_FUEL, OrderLineKind.FUEL])), 0),
    )
    drivers = totals["drivers"]
    return DashboardCharts(
        sales_by_grade=by_grade,
        sales_by_hour=hours,
        sales_by_weekday=weekdays,
        average_ticket_fen=round(totals["average"]),
        repurchase_rate_percent=round(100 * repeat_drivers / drivers) if drivers else 0,
        new_drivers=drivers - returning,
        returning_drivers=returning,
        non_fuel_share_percent=round(100 * lines["non_fuel"] / lines["total"]) if lines["total"] else 0,
    )


@dataclass(frozen=True)
class PromotionCost:
    name: str  # the promotion's, or the funder's in the totals
    funder: str  # marketing.enums.Funder
    today_fen: int
    period_fen: int
    previous_period_fen: int

    @property
    def funder_label(self) -> str:
        return str(Funder(self.funder).label) if self.funder else "-"


@dataclass(frozen=True)
class PromotionCosts:
    by_promotion: list[PromotionCost]
    by_funder: list[PromotionCost]


def dashboard_promotion_costs(
    *, station_ids, today_start: datetime, end: datetime, days: int = CHART_DAYS
) -> PromotionCosts:
    """What the discounts on sold orders cost, per promotion and per funder: today, the last `days` days and
    the `days` before them (two grouped queries over the receipts' discount lines). Coupons are one row per
    funder, and the station's own price below list (明折明扣) is its own row."""
    start, previous_start = end - timedelta(days=days), end - timedelta(days=2 * days)
    lines = OrderLine.objects.filter(
        order__station_id__in=station_ids,
        order__status__in=SOLD_STATUSES,
        order__paid_at__gte=previous_start,
        order__paid_at__lt=end,
        kind=OrderLineKind.DISCOUNT,
    )
    sums = {
        "today": Coalesce(-Sum("amount_fen", filter=Q(order__paid_at__gte=today_start)), 0),
        "period": Coalesce(-Sum("amount_fen", filter=Q(order__paid_at__gte=start)), 0),
        "previous": Coalesce(-Sum("amount_fen", filter=Q(order__paid_at__lt=start)), 0),
    }
    by_promotion = (
        lines.values("promotion", "promotion__name", "promotion__name_en", "funder")
        .annotate(**sums)
        .order_by("-period", "-previous", "promotion")
    )
    by_funder = lines.values("funder").annotate(**sums).order_by("funder")
    english = translation.get_language() == "en"

    def cost(row, name: str) -> PromotionCost:
        return PromotionCost(
            name=name,
            funder=row["funder"],
            today_fen=row["today"],
            period_fen=row["period"],
            previous_period_fen=row["previous"],
        )

    return PromotionCosts(
        by_promotion=[
            cost(
                row,
                (row["promotion__name_en"] if english and row["promotion__name_en"] else row["promotion__name"])
                or gettext("Coupons"),
            )
            for row in by_promotion
        ],
        by_funder=[cost(row, str(Funder(row["funder"]).label) if row["funder"] else "-") for row in by_funder],
    )


def dashboard_price_schedule(*, station_ids, now: datetime) -> list[PriceScheduleRow]:
    """Per station and grade: the price in effect and the next scheduled change, if any."""
    current = GradePrice.objects.filter(
        station=OuterRef("station"), grade=OuterRef("grade"), effective_from__lte=now
    ).order_by("-effective_from", "-pk")
    upcoming = GradePrice.objects.filter(
        station=OuterRef("station"), grade=OuterRef("grade"), effective_from__gt=now
    ).order_by("effective_from", "pk")
    rows = (
        GradePrice.objects.filter(station_id__in=station_ids)
        .values("station", "grade", "station__name", "grade__name")
        .distinct()
        .annotate(
            price=current.values("price_fen_per_litre")[:1],
            next_price=upcoming.values("price_fen_per_litre")[:1],
            next_at=upcoming.values("effective_from")[:1],
        )
        .order_by("station__name", "grade__name")
    )
    return [
        PriceScheduleRow(
            station_name=row["station__name"],
            grade_name=row["grade__name"],
            price_fen_per_litre=row["price"],
            next_price_fen_per_litre=row["next_price"],
            next_change_at=row["next_at"],
        )
        for row in rows
        if row["price"] is not None or row["next_price"] is not None
    ]


def dashboard_price_push(*, station_ids) -> list[PumpPushRow]:
    """The last price update sent to each pump and whether the pump took it."""
    last_push = PumpCommand.objects.filter(pump=OuterRef("pk"), kind=CommandKind.PRICES).order_by("-created_at", "-pk")
    pumps = (
        PumpBinding.objects.filter(dispenser__station_id__in=station_ids)
        .select_related("line", "dispenser__station")
        .annotate(push_status=last_push.values("status")[:1], push_at=last_push.values("created_at")[:1])
        .order_by("dispenser__station__name", "dispenser__number")
    )
    return [
        PumpPushRow(
            pump=str(pump.dispenser),
            station_name=pump.dispenser.station.name,
            status=pump.push_status,
            sent_at=pump.push_at,
        )
        for pump in pumps
    ]
