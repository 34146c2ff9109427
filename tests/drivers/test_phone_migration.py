"""The data migration of issue 12 on a populated database: rows written by the schema before it (plain phone
numbers, user names that are the number, SMS codes, a session in the middle of a sign-in) come out encrypted
and digested, and undoing the migration gives the numbers back."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.crypto import decrypt_text, phone_digest
from drivers.models import SmsCode
from drivers.selectors import driver_get_by_phone

# Schema changes on SQLite cannot run inside the test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("drivers", "0004_driver_birthday")]
AFTER = [("drivers", "0007_drop_plain_phone")]
PHONES = ("13912345678", "13800000001")


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.fixture
def old_rows():
    """The database at drivers 0004, filled as that code did; put back to the latest schema afterwards."""
    apps = _migrate(BEFORE)
    user_model, driver_model = apps.get_model("auth", "User"), apps.get_model("drivers", "Driver")
    for phone in PHONES:
        driver_model.objects.create(user=user_model.objects.create(username=phone), phone=phone)
    now = timezone.now()
    apps.get_model("drivers", "SmsCode").objects.create(
        phone=PHONES[0], code_hash="x" * 64, created_at=now, expires_at=now
    )
    store = SessionStore()
    Session.objects.create(  # the sessions table is the same before and after
        session_key="waiting-for-code",
        session_data=store.encode({"sign_in_phone": PHONES[1], "next": "/me/"}),
        expire_date=now + timezone.timedelta(days=1),
    )
    yield
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def _raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - fixed table names
        return repr(cursor.fetchall())


def test_the_migration_encrypts_numbers_renames_users_and_cleans_sessions(old_rows):
    _migrate(AFTER)
    for phone in PHONES:
        driver = driver_get_by_phone(phone=phone)
        assert decrypt_text(driver.phone_encrypted) == phone and driver.phone_masked == f"{phone[:3]}****{phone[-4:]}"
        assert driver.user.username == f"d-{phone_digest(phone)[:24]}"
    assert list(SmsCode.objects.values_list("phone_digest", flat=True)) == [phone_digest(PHONES[0])]
    session = SessionStore(session_key="waiting-for-code").load()
    assert session == {"next": "/me/"}
    for table in ("wallet_driver", "wallet_smscode", "auth_user", "django_session"):
        assert not any(phone in _raw_rows(table) for phone in PHONES), table


def test_undoing_the_migration_gives_the_numbers_and_user_names_back(old_rows):
    _migrate(AFTER)
    apps = _migrate(BEFORE)
    restored = apps.get_model("drivers", "Driver").objects.order_by("pk")
    assert [(d.phone, d.user.username) for d in restored] == [(phone, phone) for phone in PHONES]
    assert not apps.get_model("drivers", "SmsCode").objects.exists()  # only digests were kept: codes expire anyway
