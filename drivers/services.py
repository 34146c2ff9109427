"""Drivers: registration, sign-in by phone number + SMS one-time code, the devices a driver has bound
with a code, and the driver's vehicles.

Sign-in rate limits: one code per phone and client per minute and five per hour (fifteen per phone from all
clients), twenty per client IP per hour; five wrong tries burn a code; ten wrong tries by one client within
30 minutes lock that client's sign-in. A client is its address (behind TRUSTED_PROXY_COUNT proxies) plus its
bound device, and a code can be used only by the client that asked for it: a stranger can neither lock the
phone's owner out nor burn the owner's code. Only HMACs of codes and device tokens are stored; phone
numbers are stored encrypted, next to the digest that finds them.
"""

import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.crypto import decrypt_text, encrypt_text, keyed_digest, phone_digest, phone_mask, rotate_token
from drivers.exceptions import (
    DuplicatePlate,
    InvalidGrade,
    InvalidPhone,
    InvalidPlate,
    RevealReasonRequired,
    SignInLocked,
    SmsCodeInvalid,
    SmsRateLimited,
)
from drivers.listeners import driver_registered
from drivers.models import Driver, SmsCode, TrustedDevice, Vehicle
from drivers.selectors import driver_phone_get, sms_failures_since, trusted_device_for_token
from drivers.sms import sms_backend_get
from stations.exceptions import RoleNotAllowed
from stations.models import FuelGrade
from stations.selectors import fuel_grade_get, user_is_platform_admin

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
DEVICE_TOUCH_INTERVAL = timedelta(minutes=5)
PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_CHARACTER = "[A-HJ-NP-Z0-9]"  # letters I and O are never used on plates
PLATE_PATTERN = re.compile(
    rf"^[{PROVINCES}][A-HJ-NP-Z]"
    rf"(?:{PLATE_CHARACTER}{{4}}[A-HJ-NP-Z0-9挂学警]"  # ordinary: 沪A12345, trailer 沪A1234挂
    rf"|[DF]{PLATE_CHARACTER}\d{{4}}"  # new energy, small car: 沪AD12345
    rf"|\d{{5}}[DF])$"  # new energy, large vehicle: 沪A12345D
)


@transaction.atomic
def driver_register(*, phone: str) -> Driver:
    """A driver is a user without a password (sign-in is by SMS code) whose user name does not identify
    them (`d-` + the start of the phone's digest). The number itself is stored only encrypted. Listeners
    (the wallet) set up what a driver needs in the same transaction."""
    digest = phone_digest(phone)
    existing = Driver.objects.filter(phone_digest=digest).first()
    if existing is not None:
        return existing
    user = get_user_model().objects.create_user(username=f"d-{digest[:24]}")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    driver = Driver.objects.create(
        user=user, phone_encrypted=encrypt_text(phone), phone_digest=digest, phone_masked=phone_mask(phone)
    )
    driver_registered(driver_id=driver.pk)
    return driver


@transaction.atomic
def driver_phone_reveal(*, driver: Driver, actor, reason: str, client_ip: str | None = None) -> str:
    """The full number for a platform admin who says why (e.g. a drive-off being investigated); every
    reveal is an audit event with the reason, in the same transaction."""
    if not user_is_platform_admin(user=actor):
        raise RoleNotAllowed()
    reason = reason.strip()
    if not reason:
        raise RevealReasonRequired()
    audit_record(
        actor=actor,
        action="drivers.driver.phone_revealed",
        target=f"drivers.driver:{driver.pk}",
        detail={"reason": reason[:200]},
        client_ip=client_ip,
    )
    return driver_phone_get(driver=driver)


def phone_normalize(phone: str) -> str:
    digits = re.sub(r"[\s\-]", "", str(phone or ""))
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not MAINLAND_MOBILE.match(digits):
        raise InvalidPhone()
    return digits


def sign_in_client_key(*, client_ip: str | None, device_token: str | None) -> str:
    """The attempting client: its address and, if it presents one, its bound device (a forged cookie is none)."""
    device = trusted_device_for_token(token=device_token)
    return keyed_digest(f"sign-in|{client_ip or ''}|{device.pk if device else ''}")


def _check_not_locked(client_key: str, now) -> None:
    since = now - timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)
    if sms_failures_since(client_key=client_key, since=since) >= settings.SIGN_IN_LOCKOUT_FAILURES:
        raise SignInLocked()


def _retry_after(oldest, window: timedelta, now) -> int:
    return max(1, int((oldest + window - now).total_seconds()) + 1)


@transaction.atomic
def sms_code_send(*, phone: str, client_ip: str | None, client_key: str = "") -> SmsCode:
    phone = phone_normalize(phone)
    digest = phone_digest(phone)
    now = timezone.now()
    _check_not_locked(client_key, now)
    hour = timedelta(hours=1)
    for_phone = SmsCode.objects.filter(phone_digest=digest, created_at__gte=now - hour)
    if for_phone.count() >= settings.SMS_MAX_PER_PHONE_PER_HOUR_ALL_CLIENTS:
        raise SmsRateLimited()
    recent = list(for_phone.filter(client_key=client_key).order_by("created_at"))
    resend = timedelta(seconds=settings.SMS_RESEND_SECONDS)
    if recent and now - recent[-1].created_at < resend:
        raise SmsRateLimited(extra={"retry_after_seconds": _retry_after(recent[-1].created_at, resend, now)})
    if len(recent) >= settings.SMS_MAX_PER_PHONE_PER_HOUR:
        raise SmsRateLimited(extra={"retry_after_seconds": _retry_after(recent[0].created_at, hour, now)})
    if client_ip and (
        SmsCode.objects.filter(client_ip=client_ip, created_at__gte=now - hour).count()
        >= settings.SMS_MAX_PER_IP_PER_HOUR
    ):
        raise SmsRateLimited()
    code = f"{secrets.randbelow(10**6):06d}"
    # A new code supersedes any earlier one this client still has open for this phone.
    SmsCode.objects.filter(phone_digest=digest, client_key=client_key, used_at__isnull=True, expires_at__gt=now).update(
        expires_at=now
    )
    sms = SmsCode.objects.create(
        phone_digest=digest,
        code_hash=keyed_digest(code),
        client_ip=client_ip,
        client_key=client_key,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
    )
    message = _("[fuelpay] Your sign-in code is %(code)s, valid for %(minutes)d minutes. Never share it.") % {
        "code": code,
        "minutes": settings.SMS_CODE_TTL_SECONDS // 60,
    }
    transaction.on_commit(lambda: sms_backend_get().send(phone=phone, message=message))
    return sms


def sms_code_verify(*, phone: str, code: str, client_key: str = "") -> Driver:
    """The driver for this phone (registered on first sign-in) if the code this client asked for is right;
    counts a wrong try against the client."""
    phone = phone_normalize(phone)
    now = timezone.now()
    with transaction.atomic():
        _check_not_locked(client_key, now)
        sms = (
            SmsCode.objects.select_for_update()
            .filter(phone_digest=phone_digest(phone), client_key=client_key, used_at__isnull=True, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if sms is None:
            raise SmsCodeInvalid()
        if hmac.compare_digest(sms.code_hash, keyed_digest(str(code or "").strip())):
            sms.used_at = now
            sms.save(update_fields=["used_at"])
            return driver_register(phone=phone)
        # The wrong try must be remembered, so it is committed before the error is raised.
        sms.failed_attempts += 1
        if sms.failed_attempts >= settings.SMS_MAX_ATTEMPTS_PER_CODE:
            sms.expires_at = now
        sms.save(update_fields=["failed_attempts", "expires_at"])
    _check_not_locked(client_key, now)
    raise SmsCodeInvalid()


def trusted_device_bind(*, driver: Driver, label: str) -> tuple[TrustedDevice, str]:
    """A new device for a driver who just proved the phone. Returns the device and its cookie token."""
    token = secrets.token_urlsafe(32)
    device = TrustedDevice.objects.create(
        driver=driver, token_hash=keyed_digest(token), label=label[:120], last_seen_at=timezone.now()
    )
    return device, token


def trusted_device_touch(*, device: TrustedDevice) -> None:
    now = timezone.now()
    if now - device.last_seen_at > DEVICE_TOUCH_INTERVAL:
        TrustedDevice.objects.filter(pk=device.pk).update(last_seen_at=now)


def trusted_device_revoke(*, driver: Driver, device_id: int) -> None:
    TrustedDevice.objects.filter(driver=driver, pk=device_id, revoked_at__isnull=True).update(revoked_at=timezone.now())


def plate_normalize(plate: str) -> str:
    normalized = re.sub(r"[\s·.\-]", "", str(plate or "")).upper()
    if not PLATE_PATTERN.match(normalized):
        raise InvalidPlate()
    return normalized


def plate_mask(plate: str) -> str:
    return f"{plate[:2]}·***{plate[-2:]}"


def preferred_grade_parse(grade_id: str) -> FuelGrade | None:
    """The form's grade choice: empty for none, otherwise a grade that exists (anything else: InvalidGrade)."""
    grade_id = str(grade_id or "").strip()
    if not grade_id:
        return None
    grade = fuel_grade_get(grade_id=int(grade_id)) if grade_id.isdigit() and len(grade_id) < 10 else None
    if grade is None:
        raise InvalidGrade()
    return grade


@transaction.atomic
def vehicle_add(*, driver: Driver, plate: str, preferred_grade: FuelGrade | None = None) -> Vehicle:
    plate = plate_normalize(plate)
    try:
        with transaction.atomic():
            return Vehicle.objects.create(
                driver=driver,
                plate_encrypted=encrypt_text(plate),
                plate_digest=keyed_digest(plate),
                plate_masked=plate_mask(plate),
                preferred_grade=preferred_grade,
            )
    except IntegrityError as error:
        raise DuplicatePlate() from error


def vehicle_remove(*, driver: Driver, vehicle_id: int) -> None:
    Vehicle.objects.filter(driver=driver, pk=vehicle_id).delete()


@transaction.atomic
def driver_phones_rotate_encryption() -> int:
    """Re-encrypt every stored phone number with the newest key and recompute its digest (after a new
    SECRET_KEY the digests must follow, or nobody could sign in with their number)."""
    rotated = 0
    for driver in Driver.objects.select_for_update().order_by("pk"):
        driver.phone_encrypted = rotate_token(driver.phone_encrypted)
        driver.phone_digest = phone_digest(decrypt_text(driver.phone_encrypted))
        driver.save(update_fields=["phone_encrypted", "phone_digest"])
        rotated += 1
    return rotated


@transaction.atomic
def vehicle_plates_rotate_encryption() -> int:
    """Re-encrypt every stored plate with the newest key (after prepending one)."""
    rotated = 0
    for vehicle in Vehicle.objects.select_for_update():
        vehicle.plate_encrypted = rotate_token(vehicle.plate_encrypted)
        vehicle.save(update_fields=["plate_encrypted"])
        rotated += 1
    return rotated
