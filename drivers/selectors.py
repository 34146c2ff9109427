from datetime import datetime

from django.db.models import QuerySet, Sum

from core.crypto import decrypt_text, keyed_digest, phone_digest
from drivers.models import Driver, SmsCode, TrustedDevice, Vehicle


def driver_get_by_phone(*, phone: str) -> Driver | None:
    """The driver with this (normalized) number, found by its digest: the number is not stored in clear."""
    return Driver.objects.filter(phone_digest=phone_digest(phone)).first()


def driver_phone_get(*, driver: Driver) -> str:
    """The full number, for sending the driver an SMS. Staff see it only through driver_phone_reveal."""
    return decrypt_text(driver.phone_encrypted)


def sms_failures_since(*, client_key: str, since: datetime) -> int:
    return (
        SmsCode.objects.filter(client_key=client_key, created_at__gte=since).aggregate(n=Sum("failed_attempts"))["n"]
        or 0
    )


def trusted_device_for_token(*, token: str | None) -> TrustedDevice | None:
    if not token:
        return None
    return TrustedDevice.objects.filter(token_hash=keyed_digest(token), revoked_at__isnull=True).first()


def trusted_device_list_for_driver(*, driver: Driver) -> QuerySet[TrustedDevice]:
    return driver.devices.filter(revoked_at__isnull=True).order_by("-last_seen_at")


def vehicle_list_for_driver(*, driver: Driver) -> QuerySet[Vehicle]:
    return driver.vehicles.select_related("preferred_grade").order_by("pk")
