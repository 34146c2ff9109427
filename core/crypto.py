"""Field encryption with rotatable keys (MultiFernet: newest key encrypts, all keys decrypt)."""

import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> MultiFernet:
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def encrypt_text(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_text(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("Encrypted field cannot be read with the configured keys") from exc


def rotate_token(token: str) -> str:
    return _fernet().rotate(token.encode()).decode()


def keyed_digest(value: str) -> str:
    """HMAC-SHA256 under SECRET_KEY: lookups and equality checks on secrets without storing them."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def phone_digest(phone: str) -> str:
    """The lookup key of a (normalized) phone number: equal numbers, equal digests; the number is not in it.
    Keyed by SECRET_KEY like every digest here, so a new SECRET_KEY needs `rotate_field_encryption` to
    recompute the stored ones from the encrypted numbers."""
    return keyed_digest(f"phone|{phone}")


def mask_tail(plain: str, *, visible: int = 4) -> str:
    if len(plain) <= visible:
        return "*" * len(plain)
    return "*" * (len(plain) - visible) + plain[-visible:]


def phone_mask(phone: str) -> str:
    """How a phone number is shown and logged everywhere: 139****5678."""
    return f"{phone[:3]}****{phone[-4:]}"
