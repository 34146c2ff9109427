"""Finance's reads. Every queryset starts from the stations the user may see as finance: an enterprise's
finance and admins see their enterprise, the platform admin every enterprise; nobody else any."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet, Sum

from settlement.enums import DiscrepancyStatus
from settlement.models import Discrepancy, FeeContract, PayoutBatch, SettlementDay, SettlementItem, Shift
from stations.enums import StaffRoleKind
from stations.models import Enterprise, Station
from stations.selectors import staff_role_get, station_qs_visible_to, user_is_platform_admin

FINANCE_ROLES = (StaffRoleKind.FINANCE, StaffRoleKind.ENTERPRISE_ADMIN)
DAY_FIGURES = (
    "sales_count",
    "volume_ml",
    "gross_fuel_fen",
    "gross_non_fuel_fen",
    "discount_platform_fen",
    "discount_station_fen",
    "collected_fen",
    "refunds_fen",
    "adjustments_fen",
    "fee_fen",
    "net_fen",
)


def finance_enterprises(*, user) -> QuerySet[Enterprise]:
    if user_is_platform_admin(user=user):
        return Enterprise.objects.all()
    role = staff_role_get(user=user)
    if role is None or role.role not in FINANCE_ROLES:
        raise PermissionDenied
    return Enterprise.objects.filter(pk=role.enterprise_id)


def finance_stations(*, user) -> QuerySet[Station]:
    return Station.objects.filter(enterprise__in=finance_enterprises(user=user))


def settlement_day_list(*, user, date_from: date | None = None, date_to: date | None = None, station_id=None):
    days = SettlementDay.objects.filter(station__in=finance_stations(user=user)).select_related("station")
    if date_from:
        days = days.filter(business_date__gte=date_from)
    if date_to:
        days = days.filter(business_date__lte=date_to)
    if station_id:
        days = days.filter(station_id=station_id)
    return days.order_by("-business_date", "station__code")


def settlement_day_totals(days: QuerySet[SettlementDay]) -> dict[str, int]:
    return days.aggregate(**{name: Sum(name, default=0) for name in DAY_FIGURES})


def settlement_day_get(*, user, day_id: int) -> SettlementDay | None:
    return settlement_day_list(user=user).filter(pk=day_id).first()


def settlement_item_list(*, days: QuerySet[SettlementDay]) -> QuerySet[SettlementItem]:
    return (
        SettlementItem.objects.filter(day__in=days)
        .select_related("day__station", "order", "fill")
        .order_by("day__business_date", "day__station_id", "pk")
    )


def discrepancy_list(*, user, status: str | None = None) -> QuerySet[Discrepancy]:
    """Station findings within scope; the provider's (top-ups, no station) for the platform admin only."""
    scope = Q(station__in=finance_stations(user=user))
    if user_is_platform_admin(user=user):
        scope |= Q(station__isnull=True)
    findings = Discrepancy.objects.filter(scope).select_related("station", "fill", "order", "top_up", "resolved_by")
    if status:
        findings = findings.filter(status=status)
    return findings.order_by("status" if status else "-business_date", "-business_date", "pk")


def discrepancy_get(*, user, discrepancy_id: int) -> Discrepancy | None:
    return discrepancy_list(user=user).filter(pk=discrepancy_id).first()


def open_discrepancy_count(*, user) -> int:
    return discrepancy_list(user=user, status=DiscrepancyStatus.OPEN).count()


def payout_batch_list(*, user) -> QuerySet[PayoutBatch]:
    return PayoutBatch.objects.filter(enterprise__in=finance_enterprises(user=user)).select_related(
        "enterprise", "created_by", "released_by"
    )


def payout_batch_get(*, user, batch_id: int) -> PayoutBatch | None:
    return payout_batch_list(user=user).filter(pk=batch_id).first()


def fee_contract_list() -> QuerySet[FeeContract]:
    return FeeContract.objects.select_related("enterprise", "grade").order_by("enterprise__name", "-effective_from")


def fee_contract_list_latest(*, limit: int = 5) -> list[FeeContract]:
    """The fee contracts that took effect last (a change is a new row), newest first."""
    return list(FeeContract.objects.select_related("enterprise", "grade").order_by("-effective_from", "-pk")[:limit])


def shift_list(*, user) -> QuerySet[Shift]:
    """Shifts of the stations the user works at or oversees (cashiers and managers: their station)."""
    return (
        Shift.objects.filter(station__in=station_qs_visible_to(user=user))
        .select_related("station", "opened_by", "closed_by", "handed_over_to")
        .order_by("-opened_at")
    )
