"""Daily settlement at scale: one business day of 1,000,000 fills across 1,000 stations on PostgreSQL,
settled by settlement_day_close (set-based SQL), then exported to CSV and XLSX in child processes whose
peak memory (max RSS) is reported.

    python bench/settle_bench.py [--stations 1000] [--fills 1000000]

Scratch database SETTLE_BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/fuelpay_settle_bench),
recreated each run. The day's rows (fills, orders with fuel and discount lines, capture entries with their
journal lines) are generated in the database with generate_series: what is measured is the settlement and
the exports, not the making of test data.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

URL = os.environ.get("SETTLE_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fuelpay_settle_bench")
DAY = date(2026, 1, 15)


def use_bench_database() -> None:
    """Run against the scratch database (not at import: tests/settlement/test_settle_bench.py imports the
    generator into the test run's own database)."""
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuelpay.settings.local")


def recreate_database() -> None:
    import dj_database_url
    import psycopg2

    url = dj_database_url.parse(URL)
    admin = psycopg2.connect(host=url["HOST"], port=url["PORT"] or 5432, user=url["USER"], dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{url["NAME"]}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{url["NAME"]}"')
    admin.close()


GENERATE = """
INSERT INTO stations_station (enterprise_id, code, name, address, latitude, longitude, status, bank_name,
    bank_account_holder, bank_account_number_encrypted, bank_account_number_last4, created_at)
SELECT %(enterprise)s, 'b' || s, '站' || s, '-', 31, 121, 'active', '', '', '', '', now()
FROM generate_series(1, %(stations)s) s;

INSERT INTO stations_dispenser (station_id, number) SELECT id, 1 FROM stations_station
WHERE enterprise_id = %(enterprise)s;
INSERT INTO stations_nozzle (station_id, dispenser_id, number, logical_number, grade_id)
SELECT d.station_id, d.id, 1, 1, %(grade)s FROM stations_dispenser d
JOIN stations_station s ON s.id = d.station_id AND s.enterprise_id = %(enterprise)s;
INSERT INTO pumpgateway_serialline (code, station_id, url, baudrate, parity, reply_timeout_ms, max_retries, queue,
    is_enabled, bad_frames)
SELECT 'l' || id, id, 'loop://', 9600, 'O', 50, 3, 'pumps', true, 0 FROM stations_station
WHERE enterprise_id = %(enterprise)s;
INSERT INTO pumpgateway_pumpbinding (dispenser_id, line_id, dart_address, volume_decimals, amount_decimals,
    price_decimals, online, alarm)
SELECT d.id, l.id, 80, 2, 2, 2, true, ''
FROM stations_dispenser d JOIN pumpgateway_serialline l ON l.station_id = d.station_id;
INSERT INTO wallet_account (code, kind, type, station_id, bucket, may_go_negative, debits_posted, credits_posted,
    debits_pending, credits_pending)
SELECT 'station_receivable:station:' || id || '#00', 'station_receivable', 'liability', id, 0, true, 0, 0, 0, 0
FROM stations_station WHERE enterprise_id = %(enterprise)s;

-- Fill g is at the (g mod stations)-th station in creation order (station 'b' || (g mod stations + 1)).
DROP TABLE IF EXISTS gen;
CREATE TEMP TABLE gen AS
SELECT g AS n, n.id AS nozzle_id, n.station_id, p.id AS pump_id,
       %(start)s::timestamptz + (g %% 86000) * interval '1 second' AS at,
       10000 + (g %% 50) * 500 AS volume_ml
FROM generate_series(1, %(fills)s) g
JOIN (SELECT nz.*, row_number() OVER (ORDER BY nz.station_id) - 1 AS k
      FROM stations_nozzle nz JOIN stations_station s ON s.id = nz.station_id AND s.enterprise_id = %(enterprise)s
     ) n ON n.k = g %% %(stations)s
JOIN pumpgateway_pumpbinding p ON p.dispenser_id = n.dispenser_id;

INSERT INTO pumpgateway_pumpauthorization (id, nozzle_id, pump_id, sequence, source, status, reason,
    external_reference, requested_at)
SELECT n, nozzle_id, pump_id, n, 'prepaid', 'completed', '', '', at FROM gen;
INSERT INTO pumpgateway_fill (id, authorization_id, pump_id, nozzle_id, sequence, volume_ml, amount_fen,
    price_fen_per_litre, completed_at, totals_check)
SELECT n, n, pump_id, nozzle_id, n, volume_ml, volume_ml * 735 / 1000, 735, at, 'ok' FROM gen;
INSERT INTO wallet_fuelorder (id, order_no, mode, status, driver_id, station_id, nozzle_id, grade_name,
    list_price_fen_per_litre, price_fen_per_litre, fill_id, volume_ml, fuel_amount_fen, discount_fen, paid_fen,
    non_fuel_fen, dynamic_code, failure_code, debt_fen, wrong_fill_reported, idempotency_key, created_at, paid_at)
SELECT n, 'B' || n, 'prepaid', 'paid', %(driver)s, station_id, nozzle_id, '92#汽油', 765, 735, n, volume_ml,
       volume_ml * 765 / 1000,
       volume_ml * 765 / 1000 - volume_ml * 735 / 1000 + CASE WHEN n %% 10 = 0 THEN 100 ELSE 0 END,
       volume_ml * 735 / 1000 - CASE WHEN n %% 10 = 0 THEN 100 ELSE 0 END, 0, '0000', '', 0, '', 'k' || n, at, at
FROM gen;
INSERT INTO wallet_orderline (order_id, kind, label, label_en, amount_fen, funder, quantity, sku, category,
    refunded_fen)
SELECT n, 'fuel', '92#汽油', '', volume_ml * 765 / 1000, '', 1, '', '', 0 FROM gen
UNION ALL
SELECT n, 'discount', '明折明扣', '', volume_ml * 735 / 1000 - volume_ml * 765 / 1000, 'station', 1, '', '', 0
FROM gen
UNION ALL
SELECT n, 'discount', '平台券', '', -100, 'platform', 1, '', '', 0 FROM gen WHERE n %% 10 = 0;
INSERT INTO wallet_journalentry (id, operation, idempotency_key, request_hash, driver_id, station_id, reference,
    created_at)
SELECT n, 'capture', 'hold:' || n, '', %(driver)s, station_id, 'B' || n, at + interval '2 seconds' FROM gen;
INSERT INTO wallet_journalline (entry_id, account_id, side, phase, amount_fen, balance_after_fen)
SELECT g.n, a.id, 'C', 'posted', g.volume_ml * 735 / 1000 - CASE WHEN g.n %% 10 = 0 THEN 100 ELSE 0 END, 0
FROM gen g JOIN wallet_account a ON a.station_id = g.station_id AND a.kind = 'station_receivable'
UNION ALL
SELECT n, %(wallet)s, 'D', 'posted', volume_ml * 735 / 1000 - CASE WHEN n %% 10 = 0 THEN 100 ELSE 0 END, 0 FROM gen;
SELECT setval(pg_get_serial_sequence('wallet_journalentry', 'id'), %(fills)s + 1);
ANALYZE;
"""


def generate(*, stations: int, fills: int) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from drivers.models import Driver
    from stations.models import Enterprise, FuelGrade
    from wallet.enums import AccountKind
    from wallet.services.ledger import driver_account_id

    enterprise = Enterprise.objects.create(name="bench", kind="chain")
    grade = FuelGrade.objects.create(code="92", name="92#汽油", kind="gasoline")
    user = get_user_model().objects.create(username="bench-driver")
    driver = Driver.objects.create(user=user, phone_encrypted="", phone_digest="bench", phone_masked="138****0000")
    wallet = driver_account_id(driver_id=driver.pk, kind=AccountKind.DRIVER_PRINCIPAL)
    start = timezone.make_aware(datetime.combine(DAY, datetime.min.time()))
    params = {
        "enterprise": enterprise.pk,
        "grade": grade.pk,
        "stations": stations,
        "fills": fills,
        "start": start,
        "driver": driver.pk,
        "wallet": wallet,
    }
    with connection.cursor() as cursor:
        cursor.execute(GENERATE, params)


def export(kind: str) -> None:
    """Child process: export the whole day, print the elapsed time and this process's peak memory."""
    import django

    django.setup()
    from settlement.exports import items_csv_stream, items_xlsx_file
    from settlement.models import SettlementDay
    from settlement.selectors import settlement_item_list

    items = settlement_item_list(days=SettlementDay.objects.filter(business_date=DAY))
    started = time.perf_counter()
    if kind == "csv":
        with open(os.devnull, "w", encoding="utf-8") as sink:
            for line in items_csv_stream(items):
                sink.write(line)
    else:
        with items_xlsx_file(items) as handle:
            size = handle.seek(0, os.SEEK_END)
        print(f"xlsx size: {size / 1e6:.1f} MB")
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{kind}: {elapsed:.1f} s, peak memory {peak_mb:.0f} MB")


def main() -> None:
    use_bench_database()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--fills", type=int, default=1_000_000)
    parser.add_argument("--no-exports", action="store_true", help="settle only")
    parser.add_argument("--export", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export(args.export)
        return

    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command

    from settlement.models import SettlementDay
    from settlement.services.days import settlement_day_close

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    generate(stations=args.stations, fills=args.fills)
    print(
        f"generated {args.fills:,} fills, orders and captures at {args.stations:,} stations "
        f"in {time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    result = settlement_day_close(business_date=DAY)
    elapsed = time.perf_counter() - started
    totals = SettlementDay.objects.filter(business_date=DAY)
    print(
        f"settle: {elapsed:.1f} s — {result.days_closed:,} station days, {result.items:,} items, "
        f"net {result.net_fen / 100:,.2f} yuan"
    )
    assert result.items == args.fills and totals.count() == args.stations

    started = time.perf_counter()
    again = settlement_day_close(business_date=DAY)
    print(f"settle again (nothing to do): {time.perf_counter() - started:.1f} s, {again.days_closed} days")

    for kind in () if args.no_exports else ("csv", "xlsx"):
        subprocess.run([sys.executable, __file__, "--export", kind], check=True)


if __name__ == "__main__":
    main()
