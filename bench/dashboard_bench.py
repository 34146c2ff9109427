"""The station manager's home page with a year of sales behind it: render time and query count.

    python bench/dashboard_bench.py [--fills-per-day 300] [--runs 10]

A scratch PostgreSQL database (recreated each run) gets one station with 3 grades on 6 nozzles and a
year of history written in bulk: pump authorizations, fills, paid orders with their receipt lines (fuel,
the station's price below list, every fifth a platform-funded cut), the ledger's capture entries (the
dashboard's sales figure reads those), 2,000 drivers buying, and a launched campaign of 500 with a holdout. Then the
manager's /admin/ page is fetched through Django's test client; every figure on it is an aggregate query.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "fuelpay_dashbench"
os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DATABASE}")
os.environ["DJANGO_SETTINGS_MODULE"] = "fuelpay.settings.local"
os.environ.setdefault("LOG_LEVEL", "WARNING")


def recreate_database() -> None:
    import psycopg2

    url = os.environ["DATABASE_URL"]
    name = url.rsplit("/", 1)[1]
    connection = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def seed(fills_per_day: int) -> tuple:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from drivers.models import Driver
    from marketing.enums import BenefitKind, CampaignGroup, Funder, PromotionScope, Segment, StackingClass
    from marketing.models import Campaign, CampaignMember, Promotion
    from orders.enums import OrderLineKind, OrderMode, OrderStatus
    from orders.models import FuelOrder, OrderLine
    from pumpgateway.enums import AuthorizationSource, AuthorizationStatus
    from pumpgateway.models import Fill, PumpAuthorization, PumpBinding, SerialLine
    from stations.enums import StaffRoleKind
    from stations.models import Dispenser, Nozzle
    from stations.services import (
        enterprise_get_or_create,
        fuel_grade_get_or_create,
        staff_user_create,
        station_apply,
        station_price_schedule,
    )
    from wallet.enums import AccountKind, Operation, Phase, Side
    from wallet.models import Account, JournalEntry, JournalLine
    from wallet.services.ledger import driver_accounts_create, ledger_hot_accounts_provision

    enterprise = enterprise_get_or_create(name="基准连锁")
    station = station_apply(
        enterprise=enterprise, code="bench", name="基准加油站", address="上海", latitude="31.2", longitude="121.5"
    )
    ledger_hot_accounts_provision()
    ledger_hot_accounts_provision(station_id=station.pk)
    grades = [fuel_grade_get_or_create(code=c, name=f"{c}#") for c in ("92", "95", "0")]
    line = SerialLine.objects.create(code="bench-line", station=station, url="loop://")
    nozzles, pumps = [], []
    for number in range(1, 4):
        dispenser = Dispenser.objects.create(station=station, number=number)
        pumps.append(PumpBinding.objects.create(dispenser=dispenser, line=line, dart_address=0x4F + number))
        for logical in (1, 2):
            grade = grades[(number + logical) % 3]
            nozzles.append(
                Nozzle.objects.create(
                    station=station, dispenser=dispenser, number=len(nozzles) + 1, logical_number=logical, grade=grade
                )
            )
    for grade in grades:
        station_price_schedule(station=station, grade=grade, list_price_fen_per_litre=765, price_fen_per_litre=735)
    users = get_user_model().objects.bulk_create(
        [get_user_model()(username=f"driver{i}") for i in range(2000)], batch_size=1000
    )
    drivers = Driver.objects.bulk_create(
        [Driver(user=user, phone_digest=f"bench-{i}", phone_masked="139****0000") for i, user in enumerate(users)],
        batch_size=1000,
    )
    for driver in drivers[:1]:
        driver_accounts_create(driver_id=driver.pk)
    payer = Account.objects.get(driver=drivers[0], kind=AccountKind.DRIVER_PRINCIPAL)
    receivable = Account.objects.filter(station=station, kind=AccountKind.STATION_RECEIVABLE).first()
    manager = staff_user_create(
        username="bench-manager", password="bench-pass-1", role=StaffRoleKind.STATION_MANAGER, station=station
    )

    station_price = Promotion.objects.get(benefit_kind=BenefitKind.STATION_PRICE)  # a data migration's
    platform_cut = Promotion.objects.create(
        name="平台立减5元",
        name_en="Platform: ¥5 off",
        is_active=True,
        scope=PromotionScope.PLATFORM,
        benefit_kind=BenefitKind.AMOUNT_OFF,
        benefit_value=500,
        funder=Funder.PLATFORM,
        stacking=StackingClass.STACKABLE,
    )
    rng = random.Random(7)
    now = timezone.now()
    campaign = Campaign.objects.create(
        name="唤醒", segment=Segment.DORMANT, title="t", body="b", launched_at=now - timedelta(days=14)
    )
    CampaignMember.objects.bulk_create(
        CampaignMember(
            campaign=campaign, driver=driver, group=CampaignGroup.HOLDOUT if i % 10 == 0 else CampaignGroup.TARGET
        )
        for i, driver in enumerate(drivers[:500])
    )
    sequence = 0
    for day in range(365, -1, -1):
        authorizations, fills, orders, entries = [], [], [], []
        for _ in range(fills_per_day if day else fills_per_day // 2):
            sequence += 1
            nozzle = nozzles[sequence % len(nozzles)]
            pump = pumps[(nozzle.number - 1) // 2]
            at = now - timedelta(days=day, seconds=rng.randrange(0, 12 * 3600) if day else rng.randrange(0, 600))
            amount = rng.randrange(5_000, 50_000)
            authorizations.append(
                PumpAuthorization(
                    nozzle=nozzle,
                    pump=pump,
                    sequence=sequence,
                    source=AuthorizationSource.ATTENDANT,
                    status=AuthorizationStatus.COMPLETED,
                )
            )
            fills.append(
                Fill(
                    pump=pump,
                    nozzle=nozzle,
                    sequence=sequence,
                    volume_ml=amount * 1000 // 735,
                    amount_fen=amount,
                    price_fen_per_litre=735,
                )
            )
            orders.append(
                FuelOrder(
                    order_no=f"B{sequence:020d}",
                    mode=OrderMode.POSTPAID,
                    status=OrderStatus.PAID,
                    driver=drivers[rng.randrange(len(drivers))],
                    station=station,
                    nozzle=nozzle,
                    grade_name=nozzle.grade.name,
                    list_price_fen_per_litre=765,
                    price_fen_per_litre=735,
                    volume_ml=amount * 1000 // 735,
                    fuel_amount_fen=amount,
                    paid_fen=amount,
                    dynamic_code="0000",
                    idempotency_key=f"b{sequence}",
                    paid_at=at,
                )
            )
            entries.append(
                JournalEntry(
                    operation=Operation.CAPTURE,
                    idempotency_key=f"b{sequence}",
                    request_hash="0",
                    station=station,
                    reference=f"B{sequence:020d}",
                    created_at=at,
                )
            )
        PumpAuthorization.objects.bulk_create(authorizations)
        for authorization, fill in zip(authorizations, fills, strict=True):
            fill.authorization = authorization
        Fill.objects.bulk_create(fills)
        for fill, order in zip(fills, orders, strict=True):
            order.fill = fill
        FuelOrder.objects.bulk_create(orders)
        # Every receipt: fuel, the station's price below list (明折明扣); every fifth a platform ¥5 off too.
        OrderLine.objects.bulk_create(
            [OrderLine(order=o, kind=OrderLineKind.FUEL, label="fuel", amount_fen=o.paid_fen) for o in orders]
            + [
                OrderLine(
                    order=o,
                    kind=OrderLineKind.DISCOUNT,
                    label="明折明扣",
                    amount_fen=-30 * o.volume_ml // 1000,
                    funder=Funder.STATION,
                    promotion=station_price,
                )
                for o in orders
            ]
            + [
                OrderLine(
                    order=o,
                    kind=OrderLineKind.DISCOUNT,
                    label="立减",
                    amount_fen=-500,
                    funder=Funder.PLATFORM,
                    promotion=platform_cut,
                )
                for o in orders[::5]
            ]
        )
        JournalEntry.objects.bulk_create(entries)
        lines = []
        for entry, order in zip(entries, orders, strict=True):
            for account, side in ((payer, Side.DEBIT), (receivable, Side.CREDIT)):
                lines.append(
                    JournalLine(
                        entry=entry,
                        account=account,
                        side=side,
                        phase=Phase.POSTED,
                        amount_fen=order.paid_fen,
                        balance_after_fen=0,
                    )
                )
        JournalLine.objects.bulk_create(lines)
    # Fill.completed_at is auto_now_add: spread the fills over the year like their orders.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pumpgateway_fill f SET completed_at = o.paid_at FROM wallet_fuelorder o WHERE o.fill_id = f.id"
        )
        for table in (
            "wallet_fuelorder",
            "wallet_orderline",
            "pumpgateway_fill",
            "wallet_journalentry",
            "wallet_journalline",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")  # the UPDATE above left every fill twice
    return manager, sequence


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fills-per-day", type=int, default=300)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()
    call_command("migrate", "--noinput", "-v0")
    started = time.perf_counter()
    manager, fills = seed(args.fills_per_day)
    print(f"seeded {fills:,} fills, orders and ledger entries in {time.perf_counter() - started:.0f} s")
    client = Client()
    client.force_login(manager)
    client.get("/admin/")  # warm caches (templates, translations)
    timings, queries = [], 0
    for _ in range(args.runs):
        with CaptureQueriesContext(connection) as captured:
            begin = time.perf_counter()
            response = client.get("/admin/")
            timings.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200 and b'data-testid="dashboard"' in response.content
        queries = len(captured.captured_queries)
    print("| fills in the database | runs | render p50 (ms) | render max (ms) | queries |")
    print("|---|---|---|---|---|")
    print(f"| {fills:,} | {args.runs} | {statistics.median(timings):.0f} | {max(timings):.0f} | {queries} |")


if __name__ == "__main__":
    main()
