from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import FuelpayError
from stations.enums import StationErrorCode


class StationTransitionNotAllowed(FuelpayError):
    code = StationErrorCode.TRANSITION_NOT_ALLOWED
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This station cannot move to that status from its current one.")


class StationNotReadyToActivate(FuelpayError):
    code = StationErrorCode.NOT_READY_TO_ACTIVATE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("The station needs a settlement bank account, a nozzle and prices before activation.")


class StationNotActive(FuelpayError):
    code = StationErrorCode.NOT_ACTIVE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This station is not accepting payments.")


class InvalidBankAccount(FuelpayError):
    code = StationErrorCode.INVALID_BANK_ACCOUNT
    default_message = _("The bank account number must be 10 to 30 digits.")


class InvalidPrice(FuelpayError):
    code = StationErrorCode.INVALID_PRICE
    default_message = _("Prices must be positive and the station price cannot exceed the list price.")


class NoPriceInEffect(FuelpayError):
    code = StationErrorCode.NO_PRICE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("No price is in effect for this fuel grade at this station.")


class NozzleNotFound(FuelpayError):
    code = StationErrorCode.NOZZLE_NOT_FOUND
    http_status = status.HTTP_404_NOT_FOUND
    default_message = _("There is no such nozzle at this station.")


class RoleNotAllowed(FuelpayError):
    code = StationErrorCode.ROLE_NOT_ALLOWED
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("Your role does not allow this action.")


class StaffUsernameTaken(FuelpayError):
    code = StationErrorCode.USERNAME_TAKEN
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This login name is already taken.")


class StaffUsernameIsPhone(FuelpayError):
    code = StationErrorCode.USERNAME_IS_PHONE
    default_message = _("A login name cannot be a phone number: login names are stored and shown in clear.")


class SecondApproverRequired(FuelpayError):
    code = StationErrorCode.SECOND_APPROVER_REQUIRED
    http_status = status.HTTP_403_FORBIDDEN
    default_message = _("Another administrator of the enterprise must approve this change, not the one who asked.")


class ChangeAlreadyDecided(FuelpayError):
    code = StationErrorCode.CHANGE_ALREADY_DECIDED
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This change was already approved or rejected.")
