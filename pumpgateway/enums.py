from django.db import models
from django.utils.translation import gettext_lazy as _


class NozzleLiveState(models.TextChoices):
    """IFSF-style states shown to drivers and attendants."""

    READY = "ready", _("Ready")
    CALLING = "calling", _("Nozzle lifted, waiting for authorization")
    AUTHORISED = "authorised", _("Authorized, lift the nozzle")
    FUELLING = "fuelling", _("Fuelling")
    SUSPENDED = "suspended", _("Suspended")
    COMPLETE = "complete", _("Fill complete")
    CLOSED = "closed", _("Closed")
    OFFLINE = "offline", _("Offline")


class AuthorizationSource(models.TextChoices):
    PREPAID = "prepaid", _("Driver prepaid order")
    ATTENDANT = "attendant", _("Attendant (postpaid)")
    UNATTRIBUTED = "unattributed", _("Fill found without an authorization")


class AuthorizationStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SENT = "sent", _("Sent to pump")
    AUTHORISED = "authorised", _("Authorized")
    FUELLING = "fuelling", _("Fuelling")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    REFUSED = "refused", _("Refused")


OPEN_AUTHORIZATION_STATUSES = (
    AuthorizationStatus.REQUESTED,
    AuthorizationStatus.SENT,
    AuthorizationStatus.AUTHORISED,
    AuthorizationStatus.FUELLING,
)
CLOSED_AUTHORIZATION_STATUSES = (
    AuthorizationStatus.COMPLETED,
    AuthorizationStatus.CANCELLED,
    AuthorizationStatus.REFUSED,
)


class CommandKind(models.TextChoices):
    AUTHORIZE = "authorize", _("Authorize")
    STOP = "stop", _("Stop")
    RESET = "reset", _("Reset")
    SUSPEND = "suspend", _("Suspend")
    RESUME = "resume", _("Resume")
    PRICES = "prices", _("Price update")
    TOTALS = "totals", _("Read totalizers")


class CommandStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class TotalsCheck(models.TextChoices):
    PENDING = "pending", _("Awaiting totals")
    MATCHED = "matched", _("Totalizer matches")
    MISMATCH = "mismatch", _("Totalizer mismatch")
    NO_BASELINE = "no_baseline", _("No earlier reading")


class PumpErrorCode(models.TextChoices):
    OFFLINE = "pump_offline"
    NOZZLE_BUSY = "pump_nozzle_busy"
    NOT_CONFIGURED = "pump_not_configured"
    INVALID_PRESET = "pump_invalid_preset"
    NOT_CANCELLABLE = "pump_not_cancellable"
    CONTROLLER_OFFLINE = "pump_controller_offline"


class PumpAlarm(models.TextChoices):
    """Why the console must show a pump to staff (stored on the binding by the bridge)."""

    FOREIGN_AUTHORIZATION = (
        "foreign_authorization",
        _("found authorized or fuelling with no authorization of ours; it was stopped, check the pump"),
    )


class AuthorizationEndReason(models.TextChoices):
    """Why an authorization ended without a normal fill (for staff; orders.lifecycle words it for drivers)."""

    NOT_LIFTED = "not_lifted", _("Nozzle not lifted in time")
    PUMP_OFFLINE = "pump_offline", _("Pump went offline")
    NOT_CONFIRMED = "not_confirmed", _("Pump did not confirm the authorization")
    CONTROLLER_UNRESPONSIVE = "controller_unresponsive", _("Pump controller not responding")
    PUMP_BUSY = "pump_busy", _("Pump busy")
    RESET_AT_PUMP = "reset_at_pump", _("Pump reset before fuelling")
    CANCELLED = "cancelled", _("Cancelled")
