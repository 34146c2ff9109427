"""DRF throttling scopes for every API: outsiders by client address, drivers and staff by user. Rates live in
settings.API_THROTTLE_RATES (read per request, so tests and deployments can change them)."""

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from core.audit import client_ip_get


class _SettingsRateThrottle(SimpleRateThrottle):
    def get_rate(self):
        return settings.API_THROTTLE_RATES[self.scope]

    def applies(self, user) -> bool:
        raise NotImplementedError

    def get_cache_key(self, request, view):
        if not self.applies(request.user):
            return None
        ident = request.user.pk if request.user.is_authenticated else client_ip_get(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AnonThrottle(_SettingsRateThrottle):
    scope = "anon"

    def applies(self, user) -> bool:
        return not user.is_authenticated


class DriverThrottle(_SettingsRateThrottle):
    scope = "driver"

    def applies(self, user) -> bool:
        return user.is_authenticated and not user.is_staff


class StaffThrottle(_SettingsRateThrottle):
    scope = "staff"

    def applies(self, user) -> bool:
        return user.is_authenticated and user.is_staff


class TransferThrottle(DriverThrottle):
    """Transfers also answer whether a phone can receive: a tighter budget against enumeration."""

    scope = "transfer"
