"""Promotion engine latency: one quote (what the confirm page asks for each preset) with 200 live promotions
at the station and 20 coupons in the driver's wallet, p50/p95/p99 over 2,000 quotes, and the database
queries one quote makes.

    python bench/quote_bench.py [--quotes 2000]

The real path: orders.selectors.order_quote_get → one statement for the promotions' stamp, the driver's
standing and the budgets and use counts of capped promotions (the station's promotions themselves are kept
in-process), one for the driver's coupons → marketing.engine.quote. PostgreSQL scratch database
(BENCH_DATABASE_URL, default fuelpay_quotebench), recreated each run.
"""

import argparse
import os
import random
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fuelpay_quotebench")
os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
os.environ["DJANGO_SETTINGS_MODULE"] = "fuelpay.settings.local"
os.environ["DEBUG"] = "false"  # as in production: no per-query bookkeeping in the timed loop

PROMOTIONS, COUPONS = 200, 20


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def seed(rng: random.Random):
    """A station with a 95# price, 200 live promotions of every kind at it, a gold driver with 20 coupons."""
    from django.utils import timezone

    from drivers.services import driver_register
    from marketing.enums import BenefitKind, CouponIssuedVia, Funder, PromotionScope, StackingClass
    from marketing.models import CouponTemplate, Promotion, Standing
    from marketing.services import coupon_issue
    from stations.enums import EnterpriseKind, FuelKind, StationStatus
    from stations.models import Enterprise, FuelGrade, GradePrice, Station

    enterprise = Enterprise.objects.create(name="基准企业", kind=EnterpriseKind.CHAIN)
    stations = [
        Station.objects.create(
            enterprise=enterprise,
            code=f"bench-{n}",
            name=f"基准站{n}",
            address="上海市",
            latitude="31.23",
            longitude="121.47",
            status=StationStatus.ACTIVE,
        )
        for n in range(5)
    ]
    grade = FuelGrade.objects.create(code="95", name="95#汽油", kind=FuelKind.GASOLINE)
    GradePrice.objects.create(
        station=stations[0],
        grade=grade,
        list_price_fen_per_litre=800,
        price_fen_per_litre=770,
        effective_from=timezone.now(),
    )
    kinds = [BenefitKind.PERCENT_OFF, BenefitKind.AMOUNT_OFF, BenefitKind.PER_LITRE_OFF, BenefitKind.FIXED_PRICE]
    values = {
        BenefitKind.PERCENT_OFF: (100, 800),
        BenefitKind.AMOUNT_OFF: (200, 2000),
        BenefitKind.PER_LITRE_OFF: (5, 50),
        BenefitKind.FIXED_PRICE: (720, 790),
    }
    for n in range(PROMOTIONS):
        kind = kinds[n % len(kinds)]
        scope = [PromotionScope.PLATFORM, PromotionScope.ENTERPRISE, PromotionScope.STATIONS][n % 3]
        hours = rng.choice([(None, None), (22, 6), (6, 22), (0, 24)])
        promotion = Promotion.objects.create(
            name=f"活动{n}",
            name_en=f"Promotion {n}",
            is_active=True,
            scope=scope,
            enterprise=enterprise if scope == PromotionScope.ENTERPRISE else None,
            hour_from=hours[0],
            hour_to=hours[1],
            weekdays=rng.choice(["", "12345", "67", "1234567"]),
            grade_codes=rng.choice([[], ["95"], ["92", "95"], ["0"]]),
            member_levels=rng.choice([[], [], ["gold"], ["silver", "gold"]]),
            min_amount_fen=rng.choice([0, 0, 10_000, 20_000, 50_000]),
            benefit_kind=kind,
            benefit_value=rng.randint(*values[kind]),
            funder=rng.choice([Funder.PLATFORM, Funder.STATION]),
            stacking=rng.choice([StackingClass.STACKABLE, StackingClass.EXCLUSIVE]),
            stack_group=rng.choice(["", "", "level", "night"]),
            priority=rng.randint(0, 9),
            budget_fen=rng.choice([None, 1_000_000]),
            per_driver_limit=rng.choice([None, None, 3]),
            per_day_limit=rng.choice([None, None, 1000]),
        )
        if scope == PromotionScope.STATIONS:
            promotion.stations.add(*stations[: rng.randint(1, 5)])
    driver = driver_register(phone="13900000000")
    Standing.objects.create(driver=driver, level="gold", segment="high_value", paid_orders=12)
    for n in range(COUPONS):
        template = CouponTemplate.objects.create(
            name=f"券{n}",
            name_en=f"Coupon {n}",
            kind="fuel",
            benefit_kind=BenefitKind.AMOUNT_OFF,
            benefit_value=rng.randint(300, 3000),
            min_amount_fen=rng.choice([0, 10_000, 20_000]),
            scope=PromotionScope.PLATFORM,
            funder=Funder.PLATFORM,
        )
        coupon_issue(template=template, driver_id=driver.pk, via=CouponIssuedVia.CAMPAIGN)
    return stations[0], grade, driver


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quotes", type=int, default=2000)
    args = parser.parse_args()

    from bench.ledger_bench import recreate_database

    os.environ["DJANGO_SETTINGS_MODULE"] = "fuelpay.settings.local"  # the ledger bench's module sets its own
    recreate_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marketing.engine import quote
    from marketing.selectors import _live_promotions, coupon_offers_for_draft
    from orders.pricing import order_draft
    from orders.selectors import order_quote_get
    from stations.selectors import station_price_get

    call_command("migrate", verbosity=0)
    station, grade, driver = seed(random.Random(14))
    price = station_price_get(station_id=station.pk, grade_id=grade.pk)
    amounts = [10_000, 20_000, 30_000, 50_000]

    def one(n: int):
        quote = order_quote_get(station=station, price=price, amount_fen=amounts[n % len(amounts)], driver_id=driver.pk)
        [line.display_label for line in quote.lines]  # the confirm page words each line in the driver's language
        return quote

    for n in range(50):  # warm the connection and the caches
        one(n)
    with CaptureQueriesContext(connection) as queries:
        sample = one(2)
    timings, cpu = [], []
    for n in range(args.quotes):
        started, started_cpu = time.perf_counter(), time.thread_time()
        one(n)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    # The engine alone (no database): the same offers, already loaded.
    draft = order_draft(station=station, price=price, volume_ml=38_961, amount_fen=30_000, mode="prepaid")
    draft = replace(draft, member_level="gold", segment="high_value")  # the driver's standing, as quotes read it
    live, _ = _live_promotions(
        station_id=station.pk, enterprise_id=station.enterprise_id, driver_id=driver.pk, day=draft.at.date()
    )
    offers = [item.offer for item in live.promotions]
    offers += coupon_offers_for_draft(draft=draft, driver_id=driver.pk)
    engine_timings = []
    for _ in range(args.quotes):
        started = time.perf_counter()
        result = quote(draft, offers)
        [line.display_label for line in result.lines]
        engine_timings.append((time.perf_counter() - started) * 1000)
    discounts = [line for line in sample.lines if line.kind == "discount"]
    print(f"{PROMOTIONS} live promotions, {COUPONS} coupons, {args.quotes} quotes")
    print(
        f"a ¥300 quote: {len(discounts)} discount lines, "
        f"pay {sample.pay_fen / 100:.2f} of {sample.amount_fen / 100:.2f}"
    )
    print(f"queries per quote: {len(queries)}")
    print("| figure | p50 | p95 | p99 |")
    print("|---|---|---|---|")
    print(
        f"| one quote | {percentile(timings, 0.5):.2f} ms | {percentile(timings, 0.95):.2f} ms "
        f"| {percentile(timings, 0.99):.2f} ms |"
    )
    print(  # what the quote costs this process, whatever else the machine runs (the database's share excluded)
        f"| one quote, this process's CPU | {percentile(cpu, 0.5):.2f} ms | {percentile(cpu, 0.95):.2f} ms "
        f"| {percentile(cpu, 0.99):.2f} ms |"
    )
    print(
        f"| the engine alone (no queries) | {percentile(engine_timings, 0.5):.2f} ms "
        f"| {percentile(engine_timings, 0.95):.2f} ms | {percentile(engine_timings, 0.99):.2f} ms |"
    )


if __name__ == "__main__":
    main()
