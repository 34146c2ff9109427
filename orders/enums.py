from django.db import models
from django.utils.translation import gettext_lazy as _

# Quotes come from marketing; orders store its line kinds and the payment modes its conditions name.
from marketing.enums import LineKind as OrderLineKind  # noqa: F401
from marketing.enums import PaymentMode as OrderMode  # noqa: F401


class OrderStatus(models.TextChoices):
    AUTHORIZING = "authorizing", _("Waiting for the pump")
    AUTHORIZED = "authorized", _("Lift the nozzle")
    FUELLING = "fuelling", _("Fuelling")
    PAID = "paid", _("Paid")
    # The fill was not covered by the hold and the driver's balance could not pay the rest: the station is
    # paid in full, the driver owes the difference. Someone should look (console alert, back office).
    NEEDS_REVIEW = "needs_review", _("Not fully paid")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


OPEN_ORDER_STATUSES = (OrderStatus.AUTHORIZING, OrderStatus.AUTHORIZED, OrderStatus.FUELLING)


class OrderCause(models.TextChoices):
    """What moved an order: who (driver, pump, the platform itself) and what happened."""

    DRIVER_ORDER = "driver:order", _("Driver confirmed the amount")
    DRIVER_POSTPAID_PAY = "driver:postpaid_pay", _("Driver paid a fill")
    DRIVER_CANCEL = "driver:cancel", _("Driver cancelled")
    PUMP_AUTHORISED = "pump:authorised", _("Pump confirmed the authorization")
    PUMP_FUELLING = "pump:fuelling", _("Pump started fuelling")
    PUMP_COMPLETED = "pump:completed", _("Pump finished")
    PUMP_CANCELLED = "pump:cancelled", _("Pump authorization cancelled")
    PUMP_REFUSED = "pump:refused", _("Pump refused the authorization")
    SYSTEM_LATE_CAPTURE = "system:late_capture", _("Paid from the balance after fuelling")


class OrderProblem(models.TextChoices):
    """Failure codes of the order's own (the pump's end reasons are the others, see AuthorizationEndReason)."""

    NO_FUEL = "no_fuel", _("Hung up without fuelling")
    HOLD_LAPSED = "hold_lapsed", _("The reservation had lapsed before the fill")
    OVER_HOLD = "over_hold", _("The fill came to more than the reservation")


class FillResolutionKind(models.TextChoices):
    """How an attendant-authorized (postpaid) fill was closed. Every such fill ends in exactly one."""

    APP = "app", _("Paid by the driver in the app")
    COUNTER = "counter", _("Paid at the counter")
    DRIVE_OFF = "drive_off", _("Drive-off (left without paying)")


class CounterTender(models.TextChoices):
    """What the driver paid with at the counter; the money is the station's own takings, outside the ledger."""

    CASH = "cash", _("Cash")
    BANK_CARD = "bank_card", _("Bank card")
    OTHER = "other", _("Other tender")


class OrderErrorCode(models.TextChoices):
    FILL_ALREADY_PAID = "order_fill_already_paid"
    FILL_ALREADY_RESOLVED = "order_fill_already_resolved"
    FILL_NOT_RESOLVABLE = "order_fill_not_resolvable"
    TENDER_INVALID = "order_tender_invalid"
    DYNAMIC_CODE_INVALID = "order_dynamic_code_invalid"
    NON_FUEL_ITEM_INVALID = "order_non_fuel_item_invalid"
    FILL_NOT_PAYABLE = "order_fill_not_payable"
    NOT_CANCELLABLE = "order_not_cancellable"
    TRANSITION_NOT_ALLOWED = "order_transition_not_allowed"
    ITEMS_NOT_ADDABLE = "order_items_not_addable"
    LINE_NOT_REFUNDABLE = "order_line_not_refundable"
    LINE_REFUND_EXCEEDS_PAID = "order_line_refund_exceeds_paid"
    REFUND_REASON_MISSING = "order_refund_reason_missing"
