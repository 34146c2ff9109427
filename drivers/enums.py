from django.db import models


class DriverErrorCode(models.TextChoices):
    INVALID_PHONE = "auth_invalid_phone"
    SMS_RATE_LIMITED = "auth_sms_rate_limited"
    SMS_CODE_INVALID = "auth_sms_code_invalid"
    SIGN_IN_LOCKED = "auth_sign_in_locked"
    INVALID_PLATE = "vehicle_invalid_plate"
    DUPLICATE_PLATE = "vehicle_duplicate_plate"
    INVALID_GRADE = "vehicle_invalid_grade"
    REASON_REQUIRED = "driver_reveal_reason_required"
