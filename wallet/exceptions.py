from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import FuelpayError, RetryableError
from wallet.enums import WalletErrorCode as Code


class InsufficientFunds(FuelpayError):
    code = Code.INSUFFICIENT_FUNDS
    http_status = status.HTTP_402_PAYMENT_REQUIRED
    default_message = _("Your wallet balance is not enough for this amount.")


class WalletBusy(RetryableError):
    code = Code.BUSY
    default_message = _("Your wallet is busy with another payment. Please try again in a moment.")


class IdempotencyConflict(FuelpayError):
    code = Code.IDEMPOTENCY_CONFLICT
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This request key was already used with different details.")


class InvalidAmount(FuelpayError):
    code = Code.INVALID_AMOUNT
    default_message = _("The amount is not valid.")


class LimitExceeded(FuelpayError):
    code = Code.LIMIT_EXCEEDED
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This would exceed a wallet limit.")


class HoldNotActive(FuelpayError):
    code = Code.HOLD_NOT_ACTIVE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This authorization is no longer active.")


class CaptureExceedsHold(FuelpayError):
    code = Code.CAPTURE_EXCEEDS_HOLD
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The amount to collect is larger than the authorized amount.")


class RefundExceedsPayment(FuelpayError):
    code = Code.REFUND_EXCEEDS_PAYMENT
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The refund is larger than what is left of the payment.")


class InvalidSignature(FuelpayError):
    code = Code.INVALID_SIGNATURE
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The payment notification signature is not valid.")


class NotificationMismatch(FuelpayError):
    code = Code.NOTIFICATION_MISMATCH
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The payment notification does not match the order.")


class NotificationStale(FuelpayError):
    """Older than PAYMENT_NOTIFICATION_MAX_AGE_SECONDS, or a nonce already seen: a replay, refused before any work."""

    code = Code.NOTIFICATION_STALE
    http_status = status.HTTP_400_BAD_REQUEST
    default_message = _("The payment notification is stale or was already received.")


class PaymentOrderNotFound(FuelpayError):
    code = Code.ORDER_NOT_FOUND
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("No such payment order.")


class TransferNotAllowed(FuelpayError):
    code = Code.TRANSFER_NOT_ALLOWED
    default_message = _("This transfer is not allowed.")


class TransferRecipientUnknown(FuelpayError):
    code = Code.TRANSFER_NOT_ALLOWED
    default_message = _("No fuelpay driver uses this phone number (and you cannot transfer to yourself).")


class ContractNotAllowed(FuelpayError):
    code = Code.CONTRACT_NOT_ALLOWED
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This contract cannot be opened or changed.")


class DebtOutstanding(FuelpayError):
    """The driver owes the platform for an earlier fill: no new pump payments or withdrawals until repaid."""

    code = Code.DEBT_OUTSTANDING
    http_status = status.HTTP_402_PAYMENT_REQUIRED
    default_message = _("You owe an amount from an earlier fill. Please top up to pay it first.")


class UnbalancedPosting(FuelpayError):
    """A programming error: a posting whose debits do not equal its credits is never written."""

    code = Code.UNBALANCED_POSTING
    http_status = status.HTTP_500_INTERNAL_SERVER_ERROR
    default_message = _("Internal ledger error.")
