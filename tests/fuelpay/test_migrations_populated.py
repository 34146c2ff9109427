"""An existing database survives the apps restructure (issue 10): a database built and filled by the code
from before it (its own migrations, seed_demo, a paid order, an order still at the pump, a transfer, a
vehicle, a trusted device) is migrated by today's code; every row is still there with its values, and
the ledger verifies.

The old tree is exported with `git archive` (CI clones have the full history) and run as its own
processes, in the same virtualenv, against a scratch database of the suite's kind (SQLite, or a
scratch PostgreSQL database when the suite runs on PostgreSQL)."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from core.env import BASE_DIR

pytestmark = pytest.mark.e2e

# main just before the restructure: wallet still held drivers and orders, pumpgateway the console.
PRE_RESTRUCTURE_COMMIT = "737c100f53c808dff6844d4ba6b59fbae97b3f1d"

# Run by the OLD code (`manage.py shell -c`): a paid prepaid order, one still waiting at the pump (its
# hold has the old 3,600 s expiry), a transfer, a vehicle and a trusted device, through the old services.
OLD_TREE_DATA = """
from django.utils import timezone
from pumpgateway.models import Fill, NozzleState, PumpBinding, SerialLine
from stations.models import Nozzle
from wallet.models import Driver
from wallet.services.auth import trusted_device_bind
from wallet.services.orders import order_prepaid_create, order_sync_from_pump
from wallet.services.transfers import wallet_transfer
from wallet.services.vehicles import vehicle_add

SerialLine.objects.update(last_seen_at=timezone.now())
PumpBinding.objects.update(online=True)
nozzles = list(Nozzle.objects.filter(station__code="demo-pudong").order_by("number"))
NozzleState.objects.filter(nozzle__in=nozzles).update(state="ready")
first, second, third = (Driver.objects.get(phone=p) for p in ("13800000001", "13800000002", "13800000003"))
paid = order_prepaid_create(driver=first, nozzle=nozzles[0], idempotency_key="m-paid", amount_fen=20000)
authorization = paid.authorization
authorization.status, authorization.closed_at = "completed", timezone.now()
authorization.save()
Fill.objects.create(authorization=authorization, pump=authorization.pump, nozzle=authorization.nozzle,
                    sequence=authorization.sequence, volume_ml=20000, amount_fen=14700, price_fen_per_litre=735)
assert order_sync_from_pump(authorization_id=authorization.pk).status == "paid"
order_prepaid_create(driver=second, nozzle=nozzles[2], idempotency_key="m-open", amount_fen=10000)
wallet_transfer(from_driver=first, to_driver=third, amount_fen=1234, idempotency_key="m-transfer")
vehicle_add(driver=first, plate="沪A12345")
trusted_device_bind(driver=first, label="migration test")
"""
# Rows the restructure changes on purpose, and how.
GROWING_TABLES = {"django_migrations", "auth_permission", "django_content_type"}
# Phone numbers are encrypted at rest (issue 12): the plain columns go, drivers' user names are rewritten.
DROPPED_COLUMNS = {"wallet_fuelorder": {"failure_message"}, "wallet_driver": {"phone"}, "wallet_smscode": {"phone"}}
REWRITTEN_COLUMNS = {"auth_user": {"username"}}
# 储值满额送 moved into the promotion engine (issue 14): each top-up bonus rule is now a top-up promotion.
MOVED_TABLES = {"marketing_topupbonusrule"}
MOVED_CONTENT_TYPES = {
    ("wallet", "driver"): "drivers",
    ("wallet", "smscode"): "drivers",
    ("wallet", "trusteddevice"): "drivers",
    ("wallet", "vehicle"): "drivers",
    ("wallet", "fuelorder"): "orders",
    ("wallet", "orderline"): "orders",
}


class ScratchDatabase:
    def __init__(self, tmp_path: Path):
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            settings = connection.settings_dict
            self.params = {"host": settings["HOST"], "port": settings["PORT"], "user": settings["USER"]}
            self.name = f"{settings['NAME']}_migration"
            self.url = f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{self.name}"
            self.drop()
            self._admin(f'CREATE DATABASE "{self.name}"')
        else:
            self.path = tmp_path / "scratch.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def _admin(self, *statements: str) -> None:
        admin = psycopg2.connect(dbname="postgres", **self.params)
        admin.autocommit = True
        with admin.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
        admin.close()

    def drop(self) -> None:
        if self.vendor == "postgresql":
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def snapshot(self) -> dict[str, tuple[list[str], Counter]]:
        """Every table: its columns and its rows (as a multiset)."""
        if self.vendor == "postgresql":
            db = psycopg2.connect(dbname=self.name, **self.params)
            listing = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        else:
            db = sqlite3.connect(self.path)
            listing = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        try:
            cursor = db.cursor()
            cursor.execute(listing)
            tables = {}
            for (table,) in cursor.fetchall():
                cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the catalogue
                columns = [column[0] for column in cursor.description]
                tables[table] = (columns, Counter(tuple(map(_comparable, row)) for row in cursor.fetchall()))
        finally:
            db.close()
        return tables


def _comparable(value):
    """JSON columns come back as dicts and lists on PostgreSQL."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def _project(columns: list[str], rows: Counter, keep: list[str]) -> Counter:
    index = [columns.index(name) for name in keep]
    return Counter({tuple(row[i] for i in index): count for row, count in rows.items()})


def _content_types_moved(columns: list[str], rows: Counter) -> Counter:
    label, model = columns.index("app_label"), columns.index("model")
    moved = Counter()
    for row, count in rows.items():
        row = list(row)
        row[label] = MOVED_CONTENT_TYPES.get((row[label], row[model]), row[label])
        moved[tuple(row)] += count
    return moved


def _manage(tree: Path, environment: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=tree, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{' '.join(args)} in {tree}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def old_tree(tmp_path) -> Path:
    tree = tmp_path / "before"
    tree.mkdir()
    git = shutil.which("git")
    assert git, "the migration test exports the old tree with git"
    archive = subprocess.run(
        [git, "archive", "--format=tar", PRE_RESTRUCTURE_COMMIT], cwd=BASE_DIR, capture_output=True, check=True
    ).stdout
    with tempfile.TemporaryFile() as buffer:
        buffer.write(archive)
        buffer.seek(0)
        with tarfile.open(fileobj=buffer) as tar:
            tar.extractall(tree, filter="data")
    # The virtualenv's editable install also lists today's app directories on each package's path, so an app
    # the old tree has no admin module for would pick up today's (written against today's code).
    for apps_module in tree.glob("*/apps.py"):
        (apps_module.parent / "admin.py").touch(exist_ok=True)
    # The old settlement app was empty. Where it has no module of a name, the editable install's import
    # finder would supply today's (models, admin, migrations: relations to apps the old tree lacks).
    for module in (BASE_DIR / "settlement").glob("*.py"):
        (tree / "settlement" / module.name).touch(exist_ok=True)
    (tree / "settlement" / "migrations").mkdir(exist_ok=True)
    (tree / "settlement" / "migrations" / "__init__.py").touch()
    return tree


@pytest.fixture
def scratch(tmp_path):
    database = ScratchDatabase(tmp_path)
    yield database
    database.drop()


def test_a_populated_database_keeps_every_row_through_the_restructure(old_tree, scratch, tmp_path):
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")} | {
        "DATABASE_URL": scratch.url,
        "DJANGO_SETTINGS_MODULE": "fuelpay.settings.local",
        "FUELPAY_VAR_DIR": str(tmp_path / "var"),  # shared: both trees read the same generated dev secrets
        "LOG_LEVEL": "ERROR",
    }
    _manage(old_tree, environment, "migrate", "--noinput", "-v0")
    _manage(old_tree, environment, "seed_demo")
    _manage(old_tree, environment, "shell", "-c", OLD_TREE_DATA)
    before = scratch.snapshot()
    assert sum(before["wallet_fuelorder"][1].values()) == 2 and sum(before["wallet_vehicle"][1].values()) == 1

    _manage(BASE_DIR, environment, "migrate", "--noinput", "-v0")
    after = scratch.snapshot()

    for table, (columns, rows) in before.items():
        if table in MOVED_TABLES:
            continue
        assert table in after, f"table {table} disappeared"
        kept = [c for c in columns if c not in DROPPED_COLUMNS.get(table, set()) and c in after[table][0]]
        assert kept == [c for c in columns if c not in DROPPED_COLUMNS.get(table, set())], table
        kept = [c for c in kept if c not in REWRITTEN_COLUMNS.get(table, set())]
        old_rows, new_rows = _project(columns, rows, kept), _project(*after[table], kept)
        if table == "django_content_type":
            old_rows = _content_types_moved(kept, old_rows)
        if table == "wallet_hold":
            # The hold of the order still at the pump now belongs to the order: no expiry of its own.
            expires = kept.index("expires_at")
            open_hold = [row for row in new_rows if row[expires] is None]
            assert len(open_hold) == 1
            old_rows = Counter({row[:expires] + row[expires + 1 :]: n for row, n in old_rows.items()})
            new_rows = Counter({row[:expires] + row[expires + 1 :]: n for row, n in new_rows.items()})
        if table in GROWING_TABLES:
            assert not old_rows - new_rows, f"{table}: rows lost {old_rows - new_rows}"
        else:
            assert new_rows == old_rows, f"{table}: rows differ"
    assert sum(after["orders_orderstatuschange"][1].values()) == 0
    rule_fields = ["name", "min_amount_fen", "bonus_fen", "funder", "is_active"]
    rules = _project(*before["marketing_topupbonusrule"], rule_fields)
    assert sum(rules.values()) == 2  # the demo's 充2000送100 and 充1000送40
    promotion_fields = ["applies_to", "name", "min_amount_fen", "benefit_value", "funder", "is_active"]
    promotions = _project(*after["marketing_promotion"], promotion_fields)
    assert Counter({row[1:]: n for row, n in promotions.items() if row[0] == "top_up"}) == rules

    phones = {"13800000001", "13800000002", "13800000003"}
    usernames = {row[0] for row in _project(*after["auth_user"], ["username"])}
    assert phones <= {row[0] for row in _project(*before["auth_user"], ["username"])} and not phones & usernames
    assert not any(phone in repr(after[table][1]) for table in after for phone in phones)

    report = _manage(BASE_DIR, environment, "verify_ledger")
    assert "ledger OK" in report
