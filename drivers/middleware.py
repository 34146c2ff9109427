"""A driver's session counts only on the device it was signed in on (bound with an SMS code).

A copied session cookie on another browser, or a device the driver revoked, signs the session out;
the driver must then prove the phone again. Staff sessions are untouched.
"""

from django.conf import settings
from django.contrib.auth import logout

from drivers.selectors import trusted_device_for_token
from drivers.services import trusted_device_touch

SESSION_DEVICE_KEY = "driver_device_id"


class DriverDeviceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_staff and SESSION_DEVICE_KEY in request.session:
            device = trusted_device_for_token(token=request.COOKIES.get(settings.DRIVER_DEVICE_COOKIE))
            if device is None or device.pk != request.session[SESSION_DEVICE_KEY]:
                logout(request)
            else:
                trusted_device_touch(device=device)
        return self.get_response(request)
