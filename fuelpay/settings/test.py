"""Tests: fast hashing, eager Celery unless a test starts a real worker, DATABASE_URL from CI."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
# A fixed test key so encrypted fixtures are reproducible; never used outside tests.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1vbmx5LWtleS10ZXN0LW9ubHkta2V5LTEyMzQ=")
os.environ.setdefault("PAYMENT_SIMULATOR_SECRET", "test-simulator-secret")
os.environ.setdefault("LEDGER_CHAIN_KEY", "test-only-ledger-chain-key")

from fuelpay.settings.base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
LANGUAGE_CODE = "zh-hans"

# A file (not in-memory) test database on SQLite, so bridge and worker subprocesses of end-to-end
# tests can open the same database the test writes to.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-fuelpay.sqlite3")}  # noqa: F405

LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# Checkpoints belong to one database; a test that writes them uses its own file.
LEDGER_CHECKPOINT_FILE = str(VAR_DIR / "test-ledger-checkpoints-unused.jsonl")  # noqa: F405
