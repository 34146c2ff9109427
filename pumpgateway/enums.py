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


class CommandKind(models.TextChoices):
    AUTHORIZE = "authorize", _("Authorize")
    STOP = "stop", _("Stop")
    RESET = "reset", _("Reset")
    SUSPEND = "suspend", _("Suspend")
    RESUME = "resume", _("Resume")
    PRICES = "prices", _("Price update")


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


class AuthorizationEndReason(models.TextChoices):
    """Why an authorization ended without a normal fill; the order side turns these into driver messages."""

    NOT_LIFTED = "not_lifted", _("The nozzle was not lifted in time. Your money has been released.")
    PUMP_OFFLINE = "pump_offline", _("The pump went offline. Your money has been released.")
    NOT_CONFIRMED = "not_confirmed", _("The pump did not confirm the authorization. Your money has been released.")
    CONTROLLER_UNRESPONSIVE = (
        "controller_unresponsive",
        _("The station's pump controller is not responding. Your money has been released."),
    )
    PUMP_BUSY = "pump_busy", _("The pump was busy. Your money has been released.")
    RESET_AT_PUMP = "reset_at_pump", _("The pump was reset before fuelling. Your money has been released.")
    CANCELLED = "cancelled", _("The order was cancelled. Your money has been released.")
