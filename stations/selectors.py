import math
import re
from dataclasses import dataclass
from datetime import datetime, time

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from stations.enums import StaffAction, StaffRoleKind, StationStatus
from stations.exceptions import NoPriceInEffect, NozzleNotFound
from stations.models import Dispenser, Enterprise, FuelGrade, GradePrice, NonFuelItem, Nozzle, StaffRole, Station

EARTH_RADIUS_KM = 6371.0088


# Seven or more digits, give or take "+", spaces and dashes: a phone number, which must not be a login name.
PHONE_LIKE = re.compile(r"^\+?(?:\d[\s\-]*){7,}$")


def staff_username_is_phone(*, username: str) -> bool:
    return bool(PHONE_LIKE.match(username.strip()))


def staff_role_get(*, user) -> StaffRole | None:
    if not user.is_authenticated:
        return None
    try:
        return user.staff_role
    except StaffRole.DoesNotExist:
        return None


def user_is_platform_admin(*, user) -> bool:
    role = staff_role_get(user=user)
    return bool(user.is_superuser or (role and role.role == StaffRoleKind.PLATFORM_ADMIN))


# Every staff API and page checks the action against this table before the station scope narrows the rows.
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    StaffRoleKind.PLATFORM_ADMIN: frozenset(StaffAction),
    StaffRoleKind.ENTERPRISE_ADMIN: frozenset(StaffAction),
    StaffRoleKind.STATION_MANAGER: frozenset(
        {StaffAction.VIEW_STATIONS, StaffAction.SET_PRICES, StaffAction.OPERATE_PUMPS}
    ),
    StaffRoleKind.CASHIER: frozenset({StaffAction.VIEW_STATIONS, StaffAction.OPERATE_PUMPS}),
    StaffRoleKind.FINANCE: frozenset({StaffAction.VIEW_STATIONS}),
}


def staff_second_factor_required(*, user) -> bool:
    """Platform and enterprise admins (and superusers) must sign in with TOTP where OTP_REQUIRED_FOR_ADMINS is on."""
    if not settings.OTP_REQUIRED_FOR_ADMINS:
        return False
    role = staff_role_get(user=user)
    return bool(
        user.is_superuser or (role and role.role in (StaffRoleKind.PLATFORM_ADMIN, StaffRoleKind.ENTERPRISE_ADMIN))
    )


def staff_second_factor_missing(*, user) -> bool:
    """True when the user must have passed TOTP in this session (django_otp's OTPMiddleware) and has not."""
    return staff_second_factor_required(user=user) and not getattr(user, "is_verified", lambda: False)()


def staff_may(*, user, action: str) -> bool:
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return False
    if staff_second_factor_missing(user=user):
        return False
    if user.is_superuser:
        return True
    role = staff_role_get(user=user)
    return role is not None and action in ROLE_ACTIONS[role.role]


def staff_may_own_settlement_account(*, user, station: Station) -> bool:
    """The enterprise and the settlement account belong to the platform and the station's enterprise admin."""
    if user is None or not user.is_authenticated:
        return False
    if user_is_platform_admin(user=user):
        return True
    role = staff_role_get(user=user)
    return bool(role and role.role == StaffRoleKind.ENTERPRISE_ADMIN and role.enterprise_id == station.enterprise_id)


def station_qs_visible_to(*, user) -> QuerySet[Station]:
    """Every station queryset behind a staff view or API starts here: out-of-scope rows don't exist."""
    stations = Station.objects.select_related("enterprise")
    if user_is_platform_admin(user=user):
        return stations.all()
    role = staff_role_get(user=user)
    if role is None:
        return stations.none()
    if role.role in (StaffRoleKind.ENTERPRISE_ADMIN, StaffRoleKind.FINANCE):
        return stations.filter(enterprise_id=role.enterprise_id)
    return stations.filter(pk=role.station_id)


def enterprise_qs_visible_to(*, user) -> QuerySet[Enterprise]:
    """Enterprise choices and filters in staff forms: the user's own enterprise only, unless platform."""
    if user_is_platform_admin(user=user):
        return Enterprise.objects.all()
    return Enterprise.objects.filter(pk__in=station_qs_visible_to(user=user).values("enterprise_id"))


def staff_role_qs_visible_to(*, user) -> QuerySet[StaffRole]:
    """Staff an admin may see: all (platform), its enterprise's and stations' (enterprise admin), its
    station's cashiers (station manager)."""
    roles = StaffRole.objects.select_related("user", "enterprise", "station")
    if user_is_platform_admin(user=user):
        return roles.all()
    role = staff_role_get(user=user)
    if role is None:
        return roles.none()
    if role.role == StaffRoleKind.ENTERPRISE_ADMIN:
        return roles.filter(Q(enterprise_id=role.enterprise_id) | Q(station__enterprise_id=role.enterprise_id))
    if role.role == StaffRoleKind.STATION_MANAGER:
        return roles.filter(station_id=role.station_id, role=StaffRoleKind.CASHIER)
    return roles.none()


def staff_member_may_manage(*, actor, role: str, enterprise: Enterprise | None, station: Station | None) -> bool:
    """Two tiers: an enterprise admin staffs its enterprise and its stations; a station manager its cashiers."""
    if user_is_platform_admin(user=actor):
        return True
    actor_role = staff_role_get(user=actor)
    if actor_role is None:
        return False
    if actor_role.role == StaffRoleKind.ENTERPRISE_ADMIN:
        if role in (StaffRoleKind.ENTERPRISE_ADMIN, StaffRoleKind.FINANCE):
            return enterprise is not None and enterprise.pk == actor_role.enterprise_id
        if role in (StaffRoleKind.STATION_MANAGER, StaffRoleKind.CASHIER):
            return station is not None and station.enterprise_id == actor_role.enterprise_id
        return False
    if actor_role.role == StaffRoleKind.STATION_MANAGER:
        return role == StaffRoleKind.CASHIER and station is not None and station.pk == actor_role.station_id
    return False


def staff_is_enterprise_admin(*, user) -> bool:
    role = staff_role_get(user=user)
    return bool(role and role.role == StaffRoleKind.ENTERPRISE_ADMIN)


def staff_can_manage_station_setup(*, user) -> bool:
    """Cashiers only see transactions; finance only settlement data."""
    if user_is_platform_admin(user=user):
        return True
    role = staff_role_get(user=user)
    return bool(role and role.role in (StaffRoleKind.ENTERPRISE_ADMIN, StaffRoleKind.STATION_MANAGER))


def station_is_open(*, station: Station, at: datetime | None = None) -> bool:
    if station.opens_at is None or station.closes_at is None:
        return True
    now: time = timezone.localtime(at or timezone.now()).time()
    if station.opens_at <= station.closes_at:
        return station.opens_at <= now < station.closes_at
    return now >= station.opens_at or now < station.closes_at


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = math.radians(lat2 - lat1), math.radians(lng2 - lng1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


@dataclass(frozen=True)
class NearbyStation:
    station: Station
    distance_km: float
    is_open: bool


def station_list_nearby(
    *,
    latitude: float,
    longitude: float,
    radius_km: float = 20.0,
    grade_code: str | None = None,
    open_now: bool = False,
    limit: int = 20,
) -> list[NearbyStation]:
    """Active stations by distance. A bounding box narrows in SQL; the exact distance is computed here."""
    lat_delta = radius_km / 111.0
    lng_delta = radius_km / max(111.0 * math.cos(math.radians(latitude)), 1e-6)
    stations = Station.objects.filter(
        status=StationStatus.ACTIVE,
        latitude__range=(latitude - lat_delta, latitude + lat_delta),
        longitude__range=(longitude - lng_delta, longitude + lng_delta),
    )
    if grade_code:
        stations = stations.filter(nozzles__grade__code=grade_code).distinct()
    results = []
    for station in stations:
        distance = distance_km(latitude, longitude, float(station.latitude), float(station.longitude))
        is_open = station_is_open(station=station)
        if distance <= radius_km and (is_open or not open_now):
            results.append(NearbyStation(station=station, distance_km=round(distance, 3), is_open=is_open))
    results.sort(key=lambda item: item.distance_km)
    return results[:limit]


@dataclass(frozen=True)
class PriceInEffect:
    grade_code: str
    grade_name: str
    list_price_fen_per_litre: int
    price_fen_per_litre: int
    effective_from: datetime

    @property
    def discount_fen_per_litre(self) -> int:
        """明折明扣: the station's own per-litre discount against the list price."""
        return self.list_price_fen_per_litre - self.price_fen_per_litre


def _as_price(price: GradePrice) -> PriceInEffect:
    return PriceInEffect(
        grade_code=price.grade.code,
        grade_name=price.grade.name,
        list_price_fen_per_litre=price.list_price_fen_per_litre,
        price_fen_per_litre=price.price_fen_per_litre,
        effective_from=price.effective_from,
    )


def station_price_get(*, station_id: int, grade_id: int, at: datetime | None = None) -> PriceInEffect:
    price = (
        GradePrice.objects.select_related("grade")
        .filter(station_id=station_id, grade_id=grade_id, effective_from__lte=at or timezone.now())
        .order_by("-effective_from", "-pk")
        .first()
    )
    if price is None:
        raise NoPriceInEffect()
    return _as_price(price)


def station_prices_in_effect(*, station: Station, at: datetime | None = None) -> list[PriceInEffect]:
    grade_ids = Nozzle.objects.filter(station=station).values_list("grade_id", flat=True).distinct()
    prices = []
    for grade_id in sorted(set(grade_ids)):
        try:
            prices.append(station_price_get(station_id=station.pk, grade_id=grade_id, at=at))
        except NoPriceInEffect:
            continue
    return prices


def station_price_history(*, station: Station) -> QuerySet[GradePrice]:
    return GradePrice.objects.filter(station=station).select_related("grade").order_by("-effective_from", "-pk")


def nozzle_get_by_number(*, station_code: str, nozzle_number: int) -> Nozzle:
    try:
        return Nozzle.objects.select_related("station", "grade", "dispenser").get(
            station__code=station_code, number=nozzle_number
        )
    except Nozzle.DoesNotExist as exc:
        raise NozzleNotFound() from exc


def dispenser_list_for_station(*, station: Station) -> QuerySet[Dispenser]:
    return Dispenser.objects.filter(station=station).prefetch_related("nozzles__grade")


def fuel_grade_get(*, grade_id: int) -> FuelGrade | None:
    return FuelGrade.objects.filter(pk=grade_id).first()


def fuel_grade_list() -> QuerySet[FuelGrade]:
    return FuelGrade.objects.order_by("code")


def non_fuel_item_list_for_station(*, station_id: int) -> QuerySet[NonFuelItem]:
    """What the station sells besides fuel, as a driver or attendant may add it to an order."""
    return NonFuelItem.objects.filter(station_id=station_id, is_active=True).order_by("category", "name")


ONBOARDING_STATUSES = (StationStatus.APPLIED, StationStatus.UNDER_REVIEW, StationStatus.APPROVED)


@dataclass(frozen=True)
class EnterpriseRow:
    enterprise_id: int
    name: str
    stations_active: int
    stations_onboarding: int


def enterprise_overview_list(*, limit: int = 6) -> tuple[int, list[EnterpriseRow]]:
    """How many enterprises there are, and the largest ones with their active and onboarding stations."""
    enterprises = Enterprise.objects.annotate(
        active=Count("stations", filter=Q(stations__status=StationStatus.ACTIVE)),
        onboarding=Count("stations", filter=Q(stations__status__in=ONBOARDING_STATUSES)),
    ).order_by("-active", "name")
    rows = [
        EnterpriseRow(
            enterprise_id=enterprise.pk,
            name=enterprise.name,
            stations_active=enterprise.active,
            stations_onboarding=enterprise.onboarding,
        )
        for enterprise in enterprises[:limit]
    ]
    return Enterprise.objects.count(), rows
