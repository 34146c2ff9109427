"""The settlement benchmark's generator and settlement, at a tiny scale on every PostgreSQL run, so the bench
(bench/settle_bench.py, 1,000,000 fills) cannot drift from the schema unnoticed. Figures are recomputed
here from the generator's rules: fill g at station b(g mod 3 + 1), 10 L + (g mod 50) × 0.5 L at ¥7.35 (list
¥7.65), every tenth with a ¥1 platform coupon; the default fee (PLATFORM_FEE_BPS) on what was paid plus
the platform's discount."""

import pytest
from django.conf import settings

from bench.settle_bench import DAY, generate
from settlement.models import SettlementDay, SettlementItem
from settlement.services.days import settlement_day_close
from wallet.models import JournalLine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
STATIONS, FILLS = 3, 300


def _expected_by_station() -> dict[str, dict[str, int]]:
    expected = {}
    for g in range(1, FILLS + 1):
        volume_ml = 10_000 + (g % 50) * 500
        coupon = 100 if g % 10 == 0 else 0
        paid = volume_ml * 735 // 1000 - coupon
        fee = ((paid + coupon) * settings.PLATFORM_FEE_BPS + 5000) // 10000
        day = expected.setdefault(f"b{g % STATIONS + 1}", dict.fromkeys(("sales", "ml", "collected", "fee", "net"), 0))
        day["sales"] += 1
        day["ml"] += volume_ml
        day["collected"] += paid
        day["fee"] += fee
        day["net"] += paid + coupon - fee
    return expected


def test_the_bench_day_settles_at_small_scale_to_the_recomputed_figures():
    generate(stations=STATIONS, fills=FILLS)

    result = settlement_day_close(business_date=DAY)

    assert (result.days_closed, result.items) == (STATIONS, FILLS)
    days = {day.station.code: day for day in SettlementDay.objects.filter(business_date=DAY).select_related("station")}
    figures = {
        code: {
            "sales": day.sales_count,
            "ml": day.volume_ml,
            "collected": day.collected_fen,
            "fee": day.fee_fen,
            "net": day.net_fen,
        }
        for code, day in days.items()
    }
    assert figures == _expected_by_station()
    assert result.net_fen == sum(day["net"] for day in figures.values())
    assert SettlementItem.objects.filter(day__business_date=DAY).count() == FILLS
    for day in days.values():  # each station day's posting balances and pays the station its net
        lines = JournalLine.objects.filter(entry_id=day.entry_id)
        credits = sum(line.amount_fen for line in lines if line.side == "C")
        assert credits == sum(line.amount_fen for line in lines if line.side == "D")
        assert day.net_fen in [line.amount_fen for line in lines if line.account.kind == "station_payable"]


def test_settling_the_bench_day_again_changes_nothing():
    generate(stations=STATIONS, fills=FILLS)
    settlement_day_close(business_date=DAY)
    entries = JournalLine.objects.count()

    again = settlement_day_close(business_date=DAY)

    assert (again.days_closed, again.items, JournalLine.objects.count()) == (0, 0, entries)
