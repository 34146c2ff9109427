from django.utils.translation import gettext_lazy as _

from core.exceptions import FuelpayError
from settlement.enums import SettlementErrorCode


class DayNotOver(FuelpayError):
    code = SettlementErrorCode.DAY_NOT_OVER
    default_message = _("This business day has not ended yet; it can be settled after its cut-off.")


class SettlementTransitionNotAllowed(FuelpayError):
    code = SettlementErrorCode.TRANSITION_NOT_ALLOWED
    http_status = 409
    default_message = _("That change of status is not allowed.")


class FourEyesRequired(FuelpayError):
    code = SettlementErrorCode.FOUR_EYES
    http_status = 403
    default_message = _("A payout batch must be released by someone other than the person who created it.")


class NothingToPay(FuelpayError):
    code = SettlementErrorCode.NOTHING_TO_PAY
    default_message = _("No closed settlement with a positive amount is waiting for payout.")


class BadStatement(FuelpayError):
    code = SettlementErrorCode.BAD_STATEMENT
    default_message = _("The provider statement file could not be read.")


class ShiftAlreadyOpen(FuelpayError):
    code = SettlementErrorCode.SHIFT_ALREADY_OPEN
    http_status = 409
    default_message = _("This station already has an open shift.")


class InvalidShiftReading(FuelpayError):
    code = SettlementErrorCode.INVALID_READING
    default_message = _("A reading must be a whole number of millilitres, not negative, for a nozzle of the shift.")


class TotalizerUnavailable(FuelpayError):
    code = SettlementErrorCode.TOTALIZER_UNAVAILABLE
    http_status = 409
    default_message = _(
        "A pump did not report its totalizer (offline or not answering): enter a manual reading for its nozzles."
    )
