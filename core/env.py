"""Reading configuration from the environment (12-factor) and the dev secrets file."""

import json
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("FUELPAY_VAR_DIR", BASE_DIR / "var"))
# Runtime state (SQLite files, the embedded broker's folders, dev secrets) lives here; a fresh clone has none.
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return default if raw is None or raw == "" else int(raw)


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def dev_secrets() -> dict[str, str]:
    """Secrets for local runs, generated once per checkout and never committed (var/ is ignored)."""
    path = VAR_DIR / "dev-secrets.json"
    if path.exists():
        return json.loads(path.read_text())
    generated = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "PAYMENT_SIMULATOR_SECRET": secrets.token_urlsafe(32),
        "LEDGER_CHAIN_KEY": secrets.token_urlsafe(32),
    }
    path.write_text(json.dumps(generated, indent=2))
    path.chmod(0o600)
    return generated
