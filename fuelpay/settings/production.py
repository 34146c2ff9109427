"""Production only overrides base; it refuses to start insecure."""

from django.core.exceptions import ImproperlyConfigured

from core.env import env_bool, env_int
from fuelpay.settings.base import *  # noqa: F403
from fuelpay.settings.base import (
    DEBUG,
    FIELD_ENCRYPTION_KEYS,
    LEDGER_CHAIN_KEY,
    MANIFEST_STORAGES,
    NOTIFICATION_CHANNEL,
    NOTIFICATION_SMS_GATEWAY,
    NOTIFICATION_WECHAT_GATEWAY,
    PAYMENT_PROVIDER,
    PAYMENT_SIMULATOR_SECRET,
    SECRET_KEY,
    SMS_BACKEND,
)

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production")
if len(SECRET_KEY) < 40 or "test-only" in SECRET_KEY or "insecure" in SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set to a long random value in production")
if len(LEDGER_CHAIN_KEY) < 32:
    raise ImproperlyConfigured("LEDGER_CHAIN_KEY must be set to a long random value in production")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set in production")
# The simulator credits top-ups nobody paid for, and the development SMS backend writes sign-in codes to a
# file: a public demo may run them only when it says so explicitly.
if PAYMENT_PROVIDER == "simulator" and not env_bool("ALLOW_DEMO_PAYMENT_SIMULATOR", False):
    raise ImproperlyConfigured("PAYMENT_PROVIDER=simulator gives free top-ups; set ALLOW_DEMO_PAYMENT_SIMULATOR=true")
if SMS_BACKEND.startswith("drivers.sms.") and not env_bool("ALLOW_DEMO_SMS_BACKEND", False):
    raise ImproperlyConfigured("SMS_BACKEND is a development backend; set ALLOW_DEMO_SMS_BACKEND=true for a demo")
# The notification simulators record messages in a file instead of sending them: drivers would get nothing.
_notification_gateway = {
    "marketing.channels.SmsChannel": NOTIFICATION_SMS_GATEWAY,
    "marketing.channels.WechatTemplateChannel": NOTIFICATION_WECHAT_GATEWAY,
}.get(NOTIFICATION_CHANNEL, "")
if "Simulator" in _notification_gateway and not env_bool("ALLOW_DEMO_NOTIFICATION_GATEWAY", False):
    raise ImproperlyConfigured(
        "The notification gateway is a simulator; set ALLOW_DEMO_NOTIFICATION_GATEWAY=true for a demo"
    )
if "test" in PAYMENT_SIMULATOR_SECRET:
    raise ImproperlyConfigured("PAYMENT_SIMULATOR_SECRET must not be a test value in production")

OTP_REQUIRED_FOR_ADMINS = env_bool("OTP_REQUIRED_FOR_ADMINS", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_COOKIE_HTTPONLY = True
# The TLS-terminating proxy in front (nginx, a load balancer) must set X-Forwarded-Proto and strip any the client
# sent; see docs/security.md. Without such a proxy, remove this line.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container health check speaks plain HTTP inside the network
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
STORAGES = MANIFEST_STORAGES
