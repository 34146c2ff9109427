from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pumpgateway.enums import (
    AuthorizationSource,
    AuthorizationStatus,
    CommandKind,
    CommandStatus,
    NozzleLiveState,
    PumpAlarm,
    TotalsCheck,
)


class SerialLine(models.Model):
    """One serial line (RS-485 / current loop) to a station's pumps; exactly one bridge process owns it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, related_name="+", verbose_name=_("station")
    )
    url = models.CharField(
        _("pyserial URL"), max_length=255, help_text=_("/dev/ttyUSB0, a pty path, or socket://host:port")
    )
    baudrate = models.PositiveIntegerField(_("baud rate"), default=9600, choices=[(9600, "9600"), (19200, "19200")])
    parity = models.CharField(
        _("parity"), max_length=1, default="O", choices=[("O", _("odd")), ("E", _("even")), ("N", _("none"))]
    )
    reply_timeout_ms = models.PositiveSmallIntegerField(_("reply timeout (ms)"), default=50)
    max_retries = models.PositiveSmallIntegerField(_("retries"), default=3)
    queue = models.CharField(_("Celery queue"), max_length=60, default="pumps")
    is_enabled = models.BooleanField(_("enabled"), default=True)
    bad_frames = models.BigIntegerField(_("bad frames"), default=0, editable=False)
    last_seen_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("serial line")
        verbose_name_plural = _("serial lines")

    def __str__(self) -> str:
        return self.code


class PumpBinding(models.Model):
    """A dispenser on a line at its DART address, with the decimals its computer uses."""

    dispenser = models.OneToOneField(
        "stations.Dispenser", on_delete=models.CASCADE, related_name="pump_binding", verbose_name=_("dispenser")
    )
    line = models.ForeignKey(SerialLine, on_delete=models.CASCADE, related_name="pumps", verbose_name=_("serial line"))
    dart_address = models.PositiveSmallIntegerField(_("DART address"))
    volume_decimals = models.PositiveSmallIntegerField(_("volume decimals"), default=2)
    amount_decimals = models.PositiveSmallIntegerField(_("amount decimals"), default=2)
    price_decimals = models.PositiveSmallIntegerField(_("price decimals"), default=2)
    online = models.BooleanField(_("online"), default=False, editable=False)
    status = models.SmallIntegerField(_("status"), null=True, blank=True, editable=False)
    decimals_confirmed = models.BooleanField(_("decimals confirmed"), null=True, editable=False)
    alarm = models.CharField(_("alarm"), max_length=24, blank=True, choices=PumpAlarm.choices, editable=False)

    class Meta:
        verbose_name = _("pump binding")
        verbose_name_plural = _("pump bindings")
        constraints = [
            models.UniqueConstraint(fields=["line", "dart_address"], name="uniq_address_per_line"),
            models.CheckConstraint(
                name="dart_address_range", condition=Q(dart_address__gte=0x50, dart_address__lte=0x6F)
            ),
            models.CheckConstraint(
                name="pump_decimals_range",
                condition=Q(volume_decimals__lte=3, amount_decimals__lte=2, price_decimals__lte=2),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line.code}@0x{self.dart_address:02X}"


class NozzleState(models.Model):
    """The live state of one nozzle, written by the bridge and read by the driver and attendant pages."""

    nozzle = models.OneToOneField("stations.Nozzle", on_delete=models.CASCADE, related_name="live")
    state = models.CharField(max_length=12, choices=NozzleLiveState.choices, default=NozzleLiveState.OFFLINE)
    volume_ml = models.BigIntegerField(default=0)
    amount_fen = models.BigIntegerField(default=0)
    price_fen_per_litre = models.BigIntegerField(null=True, blank=True)
    totalizer_ml = models.BigIntegerField(null=True, blank=True)
    totalizer_read_at = models.DateTimeField(null=True, blank=True)  # when the pump last answered CD101
    updated_at = models.DateTimeField(auto_now=True)


class PumpAuthorization(models.Model):
    nozzle = models.ForeignKey("stations.Nozzle", on_delete=models.PROTECT, related_name="+", verbose_name=_("nozzle"))
    pump = models.ForeignKey(
        PumpBinding, on_delete=models.PROTECT, related_name="authorizations", verbose_name=_("pump")
    )
    sequence = models.BigIntegerField(_("sequence"))
    source = models.CharField(_("source"), max_length=16, choices=AuthorizationSource.choices)
    preset_amount_fen = models.BigIntegerField(_("preset amount"), null=True, blank=True)
    preset_volume_ml = models.BigIntegerField(_("preset volume (ml)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=AuthorizationStatus.choices, default=AuthorizationStatus.REQUESTED
    )
    reason = models.CharField(_("reason"), max_length=120, blank=True)
    external_reference = models.CharField(_("external reference"), max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("requested by")
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    authorised_at = models.DateTimeField(_("authorized at"), null=True, blank=True)
    lift_deadline = models.DateTimeField(_("lift deadline"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pump authorization")
        verbose_name_plural = _("pump authorizations")
        constraints = [models.UniqueConstraint(fields=["pump", "sequence"], name="uniq_authorization_sequence")]
        indexes = [models.Index(fields=["pump", "status"])]


class PumpCommand(models.Model):
    """An instruction for the bridge that owns the pump's line; the bridge marks it delivered or failed."""

    pump = models.ForeignKey(PumpBinding, on_delete=models.CASCADE, related_name="commands")
    kind = models.CharField(max_length=12, choices=CommandKind.choices)
    authorization = models.ForeignKey(PumpAuthorization, null=True, blank=True, on_delete=models.CASCADE)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=CommandStatus.choices, default=CommandStatus.PENDING)
    error = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "pump"])]


class Fill(models.Model):
    """A completed delivery as the pump reported it. One per authorization: a re-delivered block or a
    restarted bridge finds the existing row instead of making a second."""

    authorization = models.OneToOneField(
        PumpAuthorization, on_delete=models.PROTECT, related_name="fill", verbose_name=_("pump authorization")
    )
    pump = models.ForeignKey(PumpBinding, on_delete=models.PROTECT, related_name="fills", verbose_name=_("pump"))
    nozzle = models.ForeignKey("stations.Nozzle", on_delete=models.PROTECT, related_name="+", verbose_name=_("nozzle"))
    sequence = models.BigIntegerField(_("sequence"))
    volume_ml = models.BigIntegerField(_("volume (ml)"))
    amount_fen = models.BigIntegerField(_("amount"))
    price_fen_per_litre = models.BigIntegerField(_("unit price"))
    completed_at = models.DateTimeField(_("completed at"), auto_now_add=True)
    totals_before_ml = models.BigIntegerField(_("totalizer before (ml)"), null=True, blank=True)
    totals_after_ml = models.BigIntegerField(_("totalizer after (ml)"), null=True, blank=True)
    totals_check = models.CharField(
        _("totalizer check"), max_length=12, choices=TotalsCheck.choices, default=TotalsCheck.PENDING
    )

    class Meta:
        verbose_name = _("fill")
        verbose_name_plural = _("fills")
        constraints = [
            models.UniqueConstraint(fields=["pump", "nozzle", "sequence"], name="uniq_fill_identity"),
            models.CheckConstraint(name="fill_not_negative", condition=Q(volume_ml__gte=0, amount_fen__gte=0)),
        ]
        indexes = [models.Index(fields=["nozzle", "-completed_at"])]
