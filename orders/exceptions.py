from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import FuelpayError
from orders.enums import OrderErrorCode


class FillAlreadyPaid(FuelpayError):
    code = OrderErrorCode.FILL_ALREADY_PAID
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This fill has already been paid.")


class FillNotPayable(FuelpayError):
    code = OrderErrorCode.FILL_NOT_PAYABLE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This fill cannot be paid here (too old, prepaid, or at another station).")


class FillAlreadyResolved(FuelpayError):
    code = OrderErrorCode.FILL_ALREADY_RESOLVED
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This fill has already been closed (paid or reported).")


class FillNotResolvable(FuelpayError):
    code = OrderErrorCode.FILL_NOT_RESOLVABLE
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("There is no unpaid fill with this number at this station.")


class TenderInvalid(FuelpayError):
    code = OrderErrorCode.TENDER_INVALID
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("Choose how the driver paid: cash, bank card or other.")


class DynamicCodeInvalid(FuelpayError):
    code = OrderErrorCode.DYNAMIC_CODE_INVALID
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The code the driver shows has four digits.")


class NonFuelItemInvalid(FuelpayError):
    code = OrderErrorCode.NON_FUEL_ITEM_INVALID
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("An item is not sold at this station, or its quantity is not between 1 and 20.")


class OrderNotCancellable(FuelpayError):
    code = OrderErrorCode.NOT_CANCELLABLE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Fuelling has started; the order will be settled when the nozzle is hung up.")


class OrderTransitionNotAllowed(FuelpayError):
    """A programming or sequencing error: the order cannot move from its status to the one asked for."""

    code = OrderErrorCode.TRANSITION_NOT_ALLOWED
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This order cannot change to that status now.")


class OrderItemsNotAddable(FuelpayError):
    code = OrderErrorCode.ITEMS_NOT_ADDABLE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Items can be added only to an open prepaid order at this station.")


class OrderLineNotRefundable(FuelpayError):
    code = OrderErrorCode.LINE_NOT_REFUNDABLE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Only the fuel line or an item line of a paid order can be refunded.")


class OrderLineRefundExceedsPaid(FuelpayError):
    code = OrderErrorCode.LINE_REFUND_EXCEEDS_PAID
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The refund is more than what is left to refund on this line.")


class RefundReasonMissing(FuelpayError):
    code = OrderErrorCode.REFUND_REASON_MISSING
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("Give the reason for the refund.")
