"""班结: a station's shift is opened, closed against each nozzle's totalizer, and handed over.

Closing reads each nozzle's electronic totalizer as the bridge last read it from the pump (DC101 totals,
kept on the nozzle's live state) and takes the cashier's manual reading, then per nozzle compares litres
by totalizer difference, litres in the fill records, litres paid through the platform, litres the cashier
declares for other tenders (cash, bank card, fuel cards), and what is left: unpaid fills (drive-offs unless
explained). A difference beyond the tolerance is flagged, with the unpaid fills that explain it.

    open ─▶ closed ─▶ handed_over   (the incoming cashier signs off; never the one who closed)
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Sum
from django.utils import timezone

from orders.enums import OrderStatus
from orders.models import FuelOrder
from pumpgateway.models import Fill
from pumpgateway.selectors import nozzle_totalizers_for_station
from settlement.enums import ShiftStatus
from settlement.exceptions import InvalidShiftReading, SettlementTransitionNotAllowed, ShiftAlreadyOpen
from settlement.models import Shift, ShiftNozzle
from stations.models import Nozzle, Station

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    ShiftStatus.OPEN: frozenset({ShiftStatus.CLOSED}),
    ShiftStatus.CLOSED: frozenset({ShiftStatus.HANDED_OVER}),
    ShiftStatus.HANDED_OVER: frozenset(),
}


def _shift_transition(shift: Shift, to_status: str) -> None:
    if to_status not in ALLOWED_TRANSITIONS[shift.status]:
        raise SettlementTransitionNotAllowed(extra={"from_status": shift.status, "to_status": to_status})
    shift.status = to_status


@transaction.atomic
def shift_open(*, station: Station, actor) -> Shift:
    totalizers = nozzle_totalizers_for_station(station_id=station.pk)
    try:
        with transaction.atomic():
            shift = Shift.objects.create(
                station=station,
                status=ShiftStatus.OPEN,
                opened_by=actor,
                opened_at=timezone.now(),
                tolerance_ml=settings.SHIFT_TOLERANCE_ML,
            )
    except IntegrityError as error:
        raise ShiftAlreadyOpen() from error
    ShiftNozzle.objects.bulk_create(
        ShiftNozzle(shift=shift, nozzle=nozzle, opening_totalizer_ml=totalizers.get(nozzle.pk))
        for nozzle in Nozzle.objects.filter(station=station)
    )
    return shift


def _readings(raw: dict | None, nozzle_ids: set[int]) -> dict[int, int]:
    readings = {}
    for nozzle_id, value in (raw or {}).items():
        if nozzle_id not in nozzle_ids or type(value) is not int or value < 0:
            raise InvalidShiftReading(extra={"nozzle_id": nozzle_id, "value": value})
        readings[nozzle_id] = value
    return readings


@transaction.atomic
def shift_close(*, shift_id: int, actor, manual_readings: dict | None = None, other_tenders: dict | None = None):
    """Close with the cashier's manual totalizer readings and other tenders (ml, by nozzle id)."""
    shift = Shift.objects.select_for_update().get(pk=shift_id)
    rows = {row.nozzle_id: row for row in shift.nozzles.all()}
    manual = _readings(manual_readings, set(rows))
    tenders = _readings(other_tenders, set(rows))
    _shift_transition(shift, ShiftStatus.CLOSED)
    shift.closed_by, shift.closed_at = actor, timezone.now()
    totalizers = nozzle_totalizers_for_station(station_id=shift.station_id)
    paid = FuelOrder.objects.filter(fill=OuterRef("pk"), status__in=[OrderStatus.PAID, OrderStatus.NEEDS_REVIEW])
    fills = Fill.objects.filter(
        nozzle_id__in=rows, completed_at__gte=shift.opened_at, completed_at__lt=shift.closed_at
    ).annotate(paid=Exists(paid))
    litres = {
        row["nozzle_id"]: row
        for row in fills.values("nozzle_id").annotate(
            fills=Sum("volume_ml", default=0), platform=Sum("volume_ml", filter=Exists(paid), default=0)
        )
    }
    unpaid = {}
    for fill_id, nozzle_id in fills.filter(paid=False, volume_ml__gt=0).values_list("pk", "nozzle_id"):
        unpaid.setdefault(nozzle_id, []).append(fill_id)
    for nozzle_id, row in rows.items():
        figures = litres.get(nozzle_id, {"fills": 0, "platform": 0})
        row.closing_totalizer_ml = totalizers.get(nozzle_id)
        row.manual_closing_ml = manual.get(nozzle_id)
        row.fills_ml, row.platform_ml = figures["fills"], figures["platform"]
        row.other_tenders_ml = tenders.get(nozzle_id, 0)
        row.unpaid_ml = row.fills_ml - row.platform_ml - row.other_tenders_ml
        row.unpaid_fill_ids = unpaid.get(nozzle_id, [])
        if row.opening_totalizer_ml is not None and row.closing_totalizer_ml is not None:
            row.totalizer_ml = row.closing_totalizer_ml - row.opening_totalizer_ml
        row.flags = _flags(row, shift.tolerance_ml)
    ShiftNozzle.objects.bulk_update(
        rows.values(),
        [
            "closing_totalizer_ml",
            "manual_closing_ml",
            "totalizer_ml",
            "fills_ml",
            "platform_ml",
            "other_tenders_ml",
            "unpaid_ml",
            "unpaid_fill_ids",
            "flags",
        ],
    )
    shift.save(update_fields=["status", "closed_by", "closed_at"])
    return shift


def _flags(row: ShiftNozzle, tolerance_ml: int) -> list[str]:
    flags = []
    electronic = row.opening_totalizer_ml is not None and row.closing_totalizer_ml is not None
    if electronic and abs(row.totalizer_ml - row.fills_ml) > tolerance_ml:
        flags.append("totalizer")  # fuel went out that no fill record shows (or the other way round)
    if (
        row.manual_closing_ml is not None
        and row.closing_totalizer_ml is not None
        and abs(row.manual_closing_ml - row.closing_totalizer_ml) > tolerance_ml
    ):
        flags.append("manual")  # the pump's mechanical reading disagrees with its electronic one
    if abs(row.unpaid_ml) > tolerance_ml:
        flags.append("unpaid")  # fills nobody paid for: drive-offs, unless the cashier explains them
    return flags


@transaction.atomic
def shift_hand_over(*, shift_id: int, incoming) -> Shift:
    """The incoming cashier signs the closed shift off; the cashier who closed it cannot."""
    shift = Shift.objects.select_for_update().get(pk=shift_id)
    if incoming is None or incoming.pk == shift.closed_by_id:
        raise SettlementTransitionNotAllowed(extra={"reason": "handover needs the incoming cashier"})
    _shift_transition(shift, ShiftStatus.HANDED_OVER)
    shift.handed_over_to, shift.handed_over_at = incoming, timezone.now()
    shift.save(update_fields=["status", "handed_over_to", "handed_over_at"])
    return shift
