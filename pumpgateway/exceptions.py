from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.exceptions import FuelpayError
from pumpgateway.enums import PumpErrorCode


class PumpOffline(FuelpayError):
    code = PumpErrorCode.OFFLINE
    http_status = status.HTTP_503_SERVICE_UNAVAILABLE
    default_message = _("This pump is offline. Please pay at the counter or try another nozzle.")


class ControllerOffline(PumpOffline):
    """The bridge that owns the station's serial line has stopped reporting: no pump can be reached."""

    code = PumpErrorCode.CONTROLLER_OFFLINE
    default_message = _("The station's pump controller is not responding. Please pay at the counter.")


class NozzleBusy(FuelpayError):
    code = PumpErrorCode.NOZZLE_BUSY
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This nozzle is busy with another sale.")


class PumpNotConfigured(FuelpayError):
    code = PumpErrorCode.NOT_CONFIGURED
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This nozzle is not connected to the pump controller.")


class InvalidPreset(FuelpayError):
    code = PumpErrorCode.INVALID_PRESET
    default_message = _("Choose an amount or a volume to authorize.")


class PresetTooLarge(InvalidPreset):
    default_message = _("The amount or volume is larger than the pump can be preset to.")


class PumpDecimalsMismatch(FuelpayError):
    code = "pump_decimals_mismatch"
    http_status = status.HTTP_409_CONFLICT
    default_message = _("This pump needs attention from staff. Please pay at the counter or try another pump.")


class AuthorizationNotCancellable(FuelpayError):
    code = PumpErrorCode.NOT_CANCELLABLE
    http_status = status.HTTP_409_CONFLICT
    default_message = _("Fuelling has started; stop it at the pump.")


class InvalidLineConfiguration(FuelpayError):
    code = "pump_invalid_line_configuration"
    default_message = _("The serial line or pump configuration is not valid.")
