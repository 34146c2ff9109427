"""Driver sign-in: phone number + SMS one-time code, and the devices a driver has bound with a code.

Rate limits: one code per phone per minute and five per hour, twenty per client IP per hour; five
wrong tries burn a code; ten wrong tries for a phone within 30 minutes lock its sign-in. Only
HMACs of codes and device tokens are stored.
"""

import hmac
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import keyed_digest
from wallet.exceptions import InvalidPhone, SignInLocked, SmsCodeInvalid, SmsRateLimited
from wallet.models import Driver, SmsCode, TrustedDevice
from wallet.services.drivers import driver_register
from wallet.sms import sms_backend_get

MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
DEVICE_TOUCH_INTERVAL = timedelta(minutes=5)


def phone_normalize(phone: str) -> str:
    digits = re.sub(r"[\s\-]", "", str(phone or ""))
    digits = digits.removeprefix("+86").removeprefix("0086")
    if not MAINLAND_MOBILE.match(digits):
        raise InvalidPhone()
    return digits


def _check_not_locked(phone: str, now) -> None:
    window = now - timedelta(minutes=settings.SIGN_IN_LOCKOUT_MINUTES)
    failures = SmsCode.objects.filter(phone=phone, created_at__gte=window).aggregate(n=Sum("failed_attempts"))["n"]
    if (failures or 0) >= settings.SIGN_IN_LOCKOUT_FAILURES:
        raise SignInLocked()


def _retry_after(oldest, window: timedelta, now) -> int:
    return max(1, int((oldest + window - now).total_seconds()) + 1)


@transaction.atomic
def sms_code_send(*, phone: str, client_ip: str | None) -> SmsCode:
    phone = phone_normalize(phone)
    now = timezone.now()
    _check_not_locked(phone, now)
    hour = timedelta(hours=1)
    recent = list(SmsCode.objects.filter(phone=phone, created_at__gte=now - hour).order_by("created_at"))
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
    # A new code supersedes any earlier one still open for this phone.
    SmsCode.objects.filter(phone=phone, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    sms = SmsCode.objects.create(
        phone=phone,
        code_hash=keyed_digest(code),
        client_ip=client_ip,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.SMS_CODE_TTL_SECONDS),
    )
    message = _("[fuelpay] Your sign-in code is %(code)s, valid for %(minutes)d minutes. Never share it.") % {
        "code": code,
        "minutes": settings.SMS_CODE_TTL_SECONDS // 60,
    }
    transaction.on_commit(lambda: sms_backend_get().send(phone=phone, message=message))
    return sms


def sms_code_verify(*, phone: str, code: str) -> Driver:
    """The driver for this phone (registered on first sign-in) if the code is right; counts a wrong try."""
    phone = phone_normalize(phone)
    now = timezone.now()
    with transaction.atomic():
        _check_not_locked(phone, now)
        sms = (
            SmsCode.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True, expires_at__gt=now)
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
    _check_not_locked(phone, now)
    raise SmsCodeInvalid()


def trusted_device_bind(*, driver: Driver, label: str) -> tuple[TrustedDevice, str]:
    """A new device for a driver who just proved the phone. Returns the device and its cookie token."""
    token = secrets.token_urlsafe(32)
    device = TrustedDevice.objects.create(
        driver=driver, token_hash=keyed_digest(token), label=label[:120], last_seen_at=timezone.now()
    )
    return device, token


def trusted_device_for_token(*, token: str | None) -> TrustedDevice | None:
    if not token:
        return None
    return TrustedDevice.objects.filter(token_hash=keyed_digest(token), revoked_at__isnull=True).first()


def trusted_device_touch(*, device: TrustedDevice) -> None:
    now = timezone.now()
    if now - device.last_seen_at > DEVICE_TOUCH_INTERVAL:
        TrustedDevice.objects.filter(pk=device.pk).update(last_seen_at=now)


def trusted_device_revoke(*, driver: Driver, device_id: int) -> None:
    TrustedDevice.objects.filter(driver=driver, pk=device_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
