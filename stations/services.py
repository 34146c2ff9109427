import re
from datetime import datetime, time

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from core.crypto import encrypt_text, rotate_token
from stations.enums import BankAccountChangeStatus, EnterpriseKind, FuelKind, StaffRoleKind, StationStatus
from stations.exceptions import (
    ChangeAlreadyDecided,
    InvalidBankAccount,
    InvalidPrice,
    RoleNotAllowed,
    SecondApproverRequired,
    StaffUsernameIsPhone,
    StaffUsernameTaken,
    StationNotReadyToActivate,
    StationTransitionNotAllowed,
)
from stations.listeners import station_activated
from stations.models import (
    BankAccountChange,
    Dispenser,
    Enterprise,
    FuelGrade,
    GradePrice,
    Nozzle,
    StaffRole,
    Station,
    StationStatusChange,
)
from stations.selectors import (
    staff_may_own_settlement_account,
    staff_member_may_manage,
    staff_role_get,
    staff_username_is_phone,
    user_is_platform_admin,
)

S = StationStatus
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.APPLIED: {S.UNDER_REVIEW, S.CLOSED},
    S.UNDER_REVIEW: {S.APPROVED, S.APPLIED, S.CLOSED},  # APPLIED = returned for more documents
    S.APPROVED: {S.ACTIVE, S.CLOSED},
    S.ACTIVE: {S.SUSPENDED, S.CLOSED},
    S.SUSPENDED: {S.ACTIVE, S.CLOSED},
    S.CLOSED: set(),
}
# Review, approval and activation are the platform's decisions; an operator may submit its own
# application and suspend or reopen its own station.
ENTERPRISE_ADMIN_TARGETS = {S.UNDER_REVIEW, S.SUSPENDED, S.CLOSED}
ENTERPRISE_ADMIN_REOPEN = (S.SUSPENDED, S.ACTIVE)

BANK_ACCOUNT_RE = re.compile(r"^\d{10,30}$")


def enterprise_get_or_create(*, name: str, kind: str = EnterpriseKind.CHAIN) -> Enterprise:
    enterprise, _ = Enterprise.objects.get_or_create(name=name, defaults={"kind": kind})
    return enterprise


def fuel_grade_get_or_create(*, code: str, name: str, kind: str = FuelKind.GASOLINE) -> FuelGrade:
    grade, _ = FuelGrade.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
    return grade


@transaction.atomic
def station_apply(
    *,
    enterprise: Enterprise,
    code: str,
    name: str,
    address: str,
    latitude,
    longitude,
    opens_at: time | None = None,
    closes_at: time | None = None,
    actor=None,
) -> Station:
    station = Station.objects.create(
        enterprise=enterprise,
        code=code,
        name=name,
        address=address,
        latitude=latitude,
        longitude=longitude,
        opens_at=opens_at,
        closes_at=closes_at,
        status=S.APPLIED,
    )
    StationStatusChange.objects.create(station=station, from_status="", to_status=S.APPLIED, actor=actor)
    return station


def _check_actor_may_transition(*, actor, station: Station, to_status: str) -> None:
    if actor is None or user_is_platform_admin(user=actor):
        return  # ops commands run as the platform
    role = staff_role_get(user=actor)
    allowed = (
        role is not None
        and role.role == StaffRoleKind.ENTERPRISE_ADMIN
        and role.enterprise_id == station.enterprise_id
        and (to_status in ENTERPRISE_ADMIN_TARGETS or (station.status, to_status) == ENTERPRISE_ADMIN_REOPEN)
    )
    if not allowed:
        raise RoleNotAllowed()


def _station_ready_to_activate(station: Station) -> bool:
    has_prices = GradePrice.objects.filter(station=station).exists()
    return bool(station.bank_account_number_encrypted) and station.nozzles.exists() and has_prices


@transaction.atomic
def station_transition(*, station: Station, to_status: str, actor=None, note: str = "") -> Station:
    station = Station.objects.select_for_update().get(pk=station.pk)
    if to_status not in ALLOWED_TRANSITIONS[station.status]:
        raise StationTransitionNotAllowed(
            extra={
                "from_status": station.status,
                "to_status": to_status,
                "allowed": sorted(ALLOWED_TRANSITIONS[station.status]),
            }
        )
    _check_actor_may_transition(actor=actor, station=station, to_status=to_status)
    if to_status == S.ACTIVE and not _station_ready_to_activate(station):
        raise StationNotReadyToActivate()
    StationStatusChange.objects.create(
        station=station, from_status=station.status, to_status=to_status, actor=actor, note=note[:255]
    )
    station.status = to_status
    station.save(update_fields=["status"])
    if to_status == S.ACTIVE:
        station_activated(station_id=station.pk)
    return station


def _bank_account_digits(*, bank_name: str, holder: str, account_number: str) -> str:
    digits = account_number.replace(" ", "")
    if not BANK_ACCOUNT_RE.match(digits) or not bank_name.strip() or not holder.strip():
        raise InvalidBankAccount()
    return digits


def station_bank_account_set(*, station: Station, bank_name: str, holder: str, account_number: str) -> Station:
    """Onboarding by the platform's own commands; staff change an account through the four-eyes request below."""
    digits = _bank_account_digits(bank_name=bank_name, holder=holder, account_number=account_number)
    station.bank_name = bank_name.strip()
    station.bank_account_holder = holder.strip()
    station.bank_account_number_encrypted = encrypt_text(digits)
    station.bank_account_number_last4 = digits[-4:]
    station.save(
        update_fields=["bank_name", "bank_account_holder", "bank_account_number_encrypted", "bank_account_number_last4"]
    )
    return station


@transaction.atomic  # not durable: the admin's change form saves the station in its own transaction first
def station_bank_account_change_request(
    *, station: Station, actor, bank_name: str, holder: str, account_number: str, client_ip: str | None = None
) -> BankAccountChange:
    """Only the platform or the station's enterprise admin may ask; nothing changes until a second one approves."""
    if not staff_may_own_settlement_account(user=actor, station=station):
        raise RoleNotAllowed()
    digits = _bank_account_digits(bank_name=bank_name, holder=holder, account_number=account_number)
    change = BankAccountChange.objects.create(
        station=station,
        bank_name=bank_name.strip(),
        bank_account_holder=holder.strip(),
        bank_account_number_encrypted=encrypt_text(digits),
        bank_account_number_last4=digits[-4:],
        requested_by=actor,
    )
    audit_record(
        actor=actor,
        action="station.bank_account.requested",
        target=f"station:{station.pk}",
        detail={"change": change.pk, "last4": change.bank_account_number_last4},
        client_ip=client_ip,
    )
    return change


@transaction.atomic
def station_bank_account_change_decide(
    *, change: BankAccountChange, approver, approve: bool, client_ip: str | None = None
) -> BankAccountChange:
    """The second pair of eyes: another administrator who may own the account approves (applies) or rejects."""
    change = BankAccountChange.objects.select_for_update().select_related("station").get(pk=change.pk)
    if change.status != BankAccountChangeStatus.PENDING:
        raise ChangeAlreadyDecided()
    if not staff_may_own_settlement_account(user=approver, station=change.station):
        raise RoleNotAllowed()
    if approver.pk == change.requested_by_id:
        raise SecondApproverRequired()
    if approve:
        station = change.station
        station.bank_name = change.bank_name
        station.bank_account_holder = change.bank_account_holder
        station.bank_account_number_encrypted = change.bank_account_number_encrypted
        station.bank_account_number_last4 = change.bank_account_number_last4
        station.save(
            update_fields=[
                "bank_name",
                "bank_account_holder",
                "bank_account_number_encrypted",
                "bank_account_number_last4",
            ]
        )
    change.status = BankAccountChangeStatus.APPROVED if approve else BankAccountChangeStatus.REJECTED
    change.decided_by = approver
    change.decided_at = timezone.now()
    change.save(update_fields=["status", "decided_by", "decided_at"])
    audit_record(
        actor=approver,
        action=f"station.bank_account.{change.status}",
        target=f"station:{change.station_id}",
        detail={"change": change.pk, "last4": change.bank_account_number_last4},
        client_ip=client_ip,
    )
    return change


@transaction.atomic
def station_bank_accounts_rotate_encryption() -> int:
    """Re-encrypt every stored account number with the newest key (after prepending one)."""
    rotated = 0
    for station in Station.objects.select_for_update().exclude(bank_account_number_encrypted=""):
        station.bank_account_number_encrypted = rotate_token(station.bank_account_number_encrypted)
        station.save(update_fields=["bank_account_number_encrypted"])
        rotated += 1
    return rotated


def dispenser_create(*, station: Station, number: int) -> Dispenser:
    return Dispenser.objects.create(station=station, number=number)


def nozzle_create(*, dispenser: Dispenser, number: int, logical_number: int, grade: FuelGrade) -> Nozzle:
    return Nozzle.objects.create(
        station=dispenser.station, dispenser=dispenser, number=number, logical_number=logical_number, grade=grade
    )


def station_price_schedule(
    *,
    station: Station,
    grade: FuelGrade,
    list_price_fen_per_litre: int,
    price_fen_per_litre: int,
    effective_from: datetime | None = None,
    actor=None,
    client_ip: str | None = None,
) -> GradePrice:
    """Add a price that takes effect at effective_from (now by default); history is never rewritten."""
    if not (0 < price_fen_per_litre <= list_price_fen_per_litre <= 10_000_00):
        raise InvalidPrice(
            extra={"list_price_fen_per_litre": list_price_fen_per_litre, "price_fen_per_litre": price_fen_per_litre}
        )
    with transaction.atomic():
        price = GradePrice.objects.create(
            station=station,
            grade=grade,
            list_price_fen_per_litre=list_price_fen_per_litre,
            price_fen_per_litre=price_fen_per_litre,
            effective_from=effective_from or timezone.now(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            action="station.price.scheduled",
            target=f"station:{station.pk}",
            detail={
                "grade": grade.code,
                "list_price_fen_per_litre": list_price_fen_per_litre,
                "price_fen_per_litre": price_fen_per_litre,
                "effective_from": price.effective_from.isoformat(),
            },
            client_ip=client_ip,
        )
    return price


def staff_user_create(
    *,
    username: str,
    password: str,
    role: str,
    enterprise: Enterprise | None = None,
    station: Station | None = None,
):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username, defaults={"is_staff": True})
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    StaffRole.objects.update_or_create(user=user, defaults={"role": role, "enterprise": enterprise, "station": station})
    return user


@transaction.atomic
def staff_member_create(
    *,
    actor,
    username: str,
    password: str,
    role: str,
    enterprise: Enterprise | None = None,
    station: Station | None = None,
    client_ip: str | None = None,
):
    """A new staff login with one role, made by someone allowed to staff that enterprise or station."""
    if not staff_member_may_manage(actor=actor, role=role, enterprise=enterprise, station=station):
        raise RoleNotAllowed()
    if staff_username_is_phone(username=username):
        raise StaffUsernameIsPhone()
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        raise StaffUsernameTaken()
    user = user_model(username=username, is_staff=True)
    user.set_password(password)
    user.save()
    staff_role = StaffRole.objects.create(user=user, role=role, enterprise=enterprise, station=station)
    audit_record(
        actor=actor,
        action="stations.staffrole.added",
        target=f"stations.staffrole:{staff_role.pk}",
        detail={"user": username, "role": role, "enterprise": str(enterprise), "station": str(station)},
        client_ip=client_ip,
    )
    return user


@transaction.atomic
def staff_member_set_active(
    *, actor, staff_role: StaffRole, is_active: bool, client_ip: str | None = None
) -> StaffRole:
    """Deactivate (or reactivate) a staff login; the role and its history stay."""
    may_manage = staff_member_may_manage(
        actor=actor, role=staff_role.role, enterprise=staff_role.enterprise, station=staff_role.station
    )
    if not may_manage or staff_role.user_id == actor.pk:  # nobody locks themselves out
        raise RoleNotAllowed()
    staff_role.user.is_active = is_active
    staff_role.user.save(update_fields=["is_active"])
    audit_record(
        actor=actor,
        action=f"stations.staffrole.{'reactivated' if is_active else 'deactivated'}",
        target=f"stations.staffrole:{staff_role.pk}",
        detail={"user": staff_role.user.username},
        client_ip=client_ip,
    )
    return staff_role
