"""班结: a station's shift is opened, closed against each nozzle's totalizer, and handed over.

Closing first asks the pumps for a fresh electronic totalizer per nozzle (CD101 through the bridge that owns
the line, waiting at most SHIFT_TOTALIZER_WAIT_SECONDS); a nozzle whose pump is offline or silent needs the
cashier's manual reading instead, which then stands in for the electronic one. Then, per nozzle, it compares
litres by totalizer difference, litres in the fill records, litres paid through the platform, litres of
attendant fills the cashiers closed on the console (orders.FillResolution: paid at the counter, by tender,
or reported as a drive-off), further litres the cashier declares at closing, and what is left: fills nobody
paid or resolved. A difference beyond the tolerance is flagged, with the fills that explain it.

    open ─▶ closed ─▶ handed_over   (the incoming cashier signs off; never the one who closed)
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.enums import FillResolutionKind, OrderStatus
from orders.models import FillResolution, FuelOrder
from pumpgateway.models import Fill
from pumpgateway.selectors import nozzle_totalizers_for_station
from pumpgateway.services import nozzle_totalizers_read
from settlement.enums import ShiftStatus
from settlement.exceptions import (
    InvalidShiftReading,
    SettlementTransitionNotAllowed,
    ShiftAlreadyOpen,
    TotalizerUnavailable,
)
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


def shift_close(
    *, shift_id: int, actor, manual_readings: dict | None = None, other_tenders: dict | None = None
) -> Shift:
    """Close with fresh totalizers from the pumps, the cashier's manual readings and further declared tenders
    (ml, by nozzle id). Entry point, not atomic: the pumps are asked and waited for before the closing
    transaction starts, so no lock is held while the bridge talks to them."""
    shift = Shift.objects.get(pk=shift_id)
    if ShiftStatus.CLOSED not in ALLOWED_TRANSITIONS[shift.status]:
        raise SettlementTransitionNotAllowed(extra={"from_status": shift.status, "to_status": ShiftStatus.CLOSED})
    nozzle_ids = set(shift.nozzles.values_list("nozzle_id", flat=True))
    manual = _readings(manual_readings, nozzle_ids)
    tenders = _readings(other_tenders, nozzle_ids)
    fresh = nozzle_totalizers_read(station_id=shift.station_id, timeout_seconds=settings.SHIFT_TOTALIZER_WAIT_SECONDS)
    unread = sorted(
        shift.nozzles.filter(nozzle_id__in=nozzle_ids - set(fresh) - set(manual)).values_list(
            "nozzle__number", flat=True
        )
    )
    if unread:
        message = _(
            "No fresh totalizer from the pump of nozzle %(nozzles)s (offline or not answering): "
            "enter a manual reading for it."
        ) % {"nozzles": ", ".join(str(number) for number in unread)}
        raise TotalizerUnavailable(message, extra={"nozzles": unread})
    return _shift_close(shift_id=shift_id, actor=actor, fresh=fresh, manual=manual, tenders=tenders)


def _resolution(field: str) -> Subquery:
    return Subquery(FillResolution.objects.filter(fill=OuterRef("pk")).values(field)[:1])


@transaction.atomic(durable=True)
def _shift_close(*, shift_id: int, actor, fresh: dict[int, int], manual: dict[int, int], tenders: dict[int, int]):
    shift = Shift.objects.select_for_update().get(pk=shift_id)
    rows = {row.nozzle_id: row for row in shift.nozzles.all()}
    _shift_transition(shift, ShiftStatus.CLOSED)
    shift.closed_by, shift.closed_at = actor, timezone.now()
    paid = FuelOrder.objects.filter(fill=OuterRef("pk"), status__in=[OrderStatus.PAID, OrderStatus.NEEDS_REVIEW])
    fills = (
        Fill.objects.filter(nozzle_id__in=rows, completed_at__gte=shift.opened_at, completed_at__lt=shift.closed_at)
        .annotate(paid=Exists(paid), resolution=_resolution("kind"), tender=_resolution("tender"))
        .order_by("pk")
    )
    for row in rows.values():
        row.closing_totalizer_ml = fresh.get(row.nozzle_id)
        row.manual_closing_ml = manual.get(row.nozzle_id)
        row.fills_ml = row.platform_ml = row.counter_ml = row.drive_off_ml = 0
        row.counter_tenders, row.unpaid_fill_ids, row.drive_off_fill_ids = {}, [], []
    for fill_id, nozzle_id, volume_ml, is_paid, resolution, tender in fills.values_list(
        "pk", "nozzle_id", "volume_ml", "paid", "resolution", "tender"
    ):
        row = rows[nozzle_id]
        row.fills_ml += volume_ml
        if is_paid:  # through the platform, including an attendant fill the driver paid in the app
            row.platform_ml += volume_ml
        elif resolution == FillResolutionKind.COUNTER:
            row.counter_ml += volume_ml
            row.counter_tenders[tender] = row.counter_tenders.get(tender, 0) + volume_ml
        elif resolution == FillResolutionKind.DRIVE_OFF:
            row.drive_off_ml += volume_ml
            row.drive_off_fill_ids.append(fill_id)
        elif volume_ml > 0:
            row.unpaid_fill_ids.append(fill_id)
    for row in rows.values():
        row.other_tenders_ml = tenders.get(row.nozzle_id, 0)
        row.unpaid_ml = row.fills_ml - row.platform_ml - row.counter_ml - row.drive_off_ml - row.other_tenders_ml
        # The pump silent, the cashier's reading stands in for the electronic one.
        closing = row.closing_totalizer_ml if row.closing_totalizer_ml is not None else row.manual_closing_ml
        if row.opening_totalizer_ml is not None and closing is not None:
            row.totalizer_ml = closing - row.opening_totalizer_ml
        row.flags = _flags(row, shift.tolerance_ml)
    ShiftNozzle.objects.bulk_update(
        rows.values(),
        [
            "closing_totalizer_ml",
            "manual_closing_ml",
            "totalizer_ml",
            "fills_ml",
            "platform_ml",
            "counter_ml",
            "counter_tenders",
            "drive_off_ml",
            "other_tenders_ml",
            "unpaid_ml",
            "unpaid_fill_ids",
            "drive_off_fill_ids",
            "flags",
        ],
    )
    shift.save(update_fields=["status", "closed_by", "closed_at"])
    return shift


def _flags(row: ShiftNozzle, tolerance_ml: int) -> list[str]:
    flags = []
    opening_known = row.opening_totalizer_ml is not None
    closing_known = row.closing_totalizer_ml is not None or row.manual_closing_ml is not None
    if opening_known and closing_known and abs(row.totalizer_ml - row.fills_ml) > tolerance_ml:
        flags.append("totalizer")  # fuel went out that no fill record shows (or the other way round)
    if (
        row.manual_closing_ml is not None
        and row.closing_totalizer_ml is not None
        and abs(row.manual_closing_ml - row.closing_totalizer_ml) > tolerance_ml
    ):
        flags.append("manual")  # the pump's mechanical reading disagrees with its electronic one
    if abs(row.unpaid_ml) > tolerance_ml:
        flags.append("unpaid")  # fills nobody paid or resolved, unless the cashier explains them
    if row.drive_off_ml:
        flags.append("drive_off")  # the station's loss: the cashier reported cars that left without paying
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
