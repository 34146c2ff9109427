"""Production only overrides base; it refuses to start insecure."""

from django.core.exceptions import ImproperlyConfigured

from fuelpay.settings.base import *  # noqa: F403
from fuelpay.settings.base import DEBUG, FIELD_ENCRYPTION_KEYS, PAYMENT_SIMULATOR_SECRET, SECRET_KEY

if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production")
if len(SECRET_KEY) < 40 or "test-only" in SECRET_KEY or "insecure" in SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set to a long random value in production")
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS must be set in production")
if "test" in PAYMENT_SIMULATOR_SECRET:
    raise ImproperlyConfigured("PAYMENT_SIMULATOR_SECRET must not be a test value in production")

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
