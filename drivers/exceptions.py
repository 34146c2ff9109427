from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import FuelpayError
from drivers.enums import DriverErrorCode as Code


class InvalidPhone(FuelpayError):
    code = Code.INVALID_PHONE
    default_message = _("Please enter an 11-digit mainland China mobile number.")


class SmsRateLimited(FuelpayError):
    code = Code.SMS_RATE_LIMITED
    http_status = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many codes requested. Please wait before asking for another one.")


class SmsCodeInvalid(FuelpayError):
    code = Code.SMS_CODE_INVALID
    default_message = _("The code is wrong or has expired. Please check the SMS or request a new code.")


class SignInLocked(FuelpayError):
    code = Code.SIGN_IN_LOCKED
    http_status = status.HTTP_429_TOO_MANY_REQUESTS
    default_message = _("Too many wrong codes. Sign-in for this number is locked for 30 minutes.")


class InvalidPlate(FuelpayError):
    code = Code.INVALID_PLATE
    default_message = _("Please enter a valid Chinese plate number, e.g. 沪A12345 or 沪AD12345.")


class InvalidGrade(FuelpayError):
    code = Code.INVALID_GRADE
    default_message = _("Choose a fuel grade from the list, or none.")


class DuplicatePlate(FuelpayError):
    code = Code.DUPLICATE_PLATE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This vehicle is already on your list.")


class RevealReasonRequired(FuelpayError):
    code = Code.REASON_REQUIRED
    default_message = _("Say why you need the full phone number; the reason is kept in the audit log.")
