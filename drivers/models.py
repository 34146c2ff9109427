"""Drivers and what identifies them. The tables were created by the wallet app and keep their names."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Driver(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="driver", verbose_name=_("user")
    )
    # The phone number is personal data: encrypted at rest (core.crypto), shown and logged masked; sign-in,
    # transfers and the admin's search find a driver by the digest.
    phone_encrypted = models.TextField(_("phone encrypted"), editable=False)
    phone_digest = models.CharField(_("phone digest"), max_length=64, unique=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=16, editable=False)
    birthday = models.DateField(_("birthday"), null=True, blank=True)  # optional: the level's birthday gift
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "wallet_driver"
        verbose_name = _("driver")
        verbose_name_plural = _("drivers")

    def __str__(self) -> str:
        return self.phone_masked


class SmsCode(models.Model):
    """A one-time sign-in code. Only its hash is kept, and only the phone's digest (nothing reads the number
    back: the SMS is sent when the code is made); sends and failed attempts drive the rate limits."""

    phone_digest = models.CharField(max_length=64, db_index=True)
    code_hash = models.CharField(max_length=64)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # Who asked (keyed hash of the client address and bound device): only that client may use the code, and
    # wrong tries lock that client, not the phone for everyone.
    client_key = models.CharField(max_length=64, db_index=True, default="")
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "wallet_smscode"


class TrustedDevice(models.Model):
    """A browser the driver bound with an SMS code. The session is valid only with this device's cookie."""

    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, related_name="devices")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "wallet_trusteddevice"


class Vehicle(models.Model):
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, related_name="vehicles", verbose_name=_("driver"))
    # The plate is personal data: encrypted at rest (core.crypto), shown masked; the digest finds duplicates.
    plate_encrypted = models.TextField(
        _("plate encrypted"),
    )
    plate_digest = models.CharField(_("plate digest"), max_length=64)
    plate_masked = models.CharField(_("plate masked"), max_length=16)
    preferred_grade = models.ForeignKey(
        "stations.FuelGrade", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("preferred grade")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        db_table = "wallet_vehicle"
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")
        constraints = [models.UniqueConstraint(fields=["driver", "plate_digest"], name="vehicle_plate_once_per_driver")]

    def __str__(self) -> str:
        return self.plate_masked
