"""A seeded business day settles to hand-computed figures; a closed day never changes; late fills land in
the next day as late items of the original; the ledger stays verified."""

from datetime import timedelta
from unittest import mock

import pytest

from settlement.enums import ItemKind, SettlementStatus
from settlement.exceptions import DayNotOver
from settlement.models import SettlementDay, SettlementItem
from settlement.services.days import settlement_day_close
from tests.factories.wallet import counters_snapshot
from tests.settlement.conftest import DISCOUNT, FUEL, NON_FUEL, at
from wallet.enums import AccountKind
from wallet.selectors import system_account_balance_fen
from wallet.services.chain import ledger_verify
from wallet.services.holds import wallet_payment_refund

pytestmark = pytest.mark.django_db


def seed_two_days(seeder, day):
    """The day before: one sale (settled first). The day: sales of both grades with discounts of both
    funders, a non-fuel item, a refund, a late fill of the day before, a missing fill, a duplicate fill
    record and a drive-off. Returns the orders by name."""
    before = day - timedelta(days=1)
    s = seeder
    s.top_up(100_000, when=at(day, 8), key="t1")
    s.top_up(50_000, when=at(day, 8, 30), key="t2")
    fill0 = s.fill(s.nozzle_92, volume_ml=13_605, amount_fen=10_000, when=at(before, 10))
    orders = {
        "p0": s.sale(
            s.nozzle_92,
            lines=[(FUEL, 10_400, ""), (DISCOUNT, -400, "station")],
            volume_ml=13_605,
            when=at(before, 10, 1),
            fill=fill0,
        )
    }
    settlement_day_close(business_date=before)

    fill1 = s.fill(s.nozzle_92, volume_ml=20_000, amount_fen=14_700, when=at(day, 9), totals_after_ml=900_000)
    orders["s1"] = s.sale(
        s.nozzle_92,
        lines=[(FUEL, 15_300, ""), (DISCOUNT, -600, "station")],
        volume_ml=20_000,
        when=at(day, 9, 1),
        fill=fill1,
    )
    # The same delivery stored twice (same nozzle, litres, amount and totalizer): a duplicate record.
    s.fill(s.nozzle_92, volume_ml=20_000, amount_fen=14_700, when=at(day, 9), totals_after_ml=900_000)
    fill2 = s.fill(s.nozzle_95, volume_ml=30_000, amount_fen=24_500, when=at(day, 10))
    orders["s2"] = s.sale(
        s.nozzle_95,
        lines=[(FUEL, 25_000, ""), (DISCOUNT, -1_000, "platform"), (DISCOUNT, -500, "station")],
        volume_ml=30_000,
        when=at(day, 10, 1),
        fill=fill2,
    )
    fill3 = s.fill(s.nozzle_92, volume_ml=10_000, amount_fen=7_350, when=at(day, 11))
    orders["s3"] = s.sale(
        s.nozzle_92,
        lines=[(FUEL, 7_650, ""), (DISCOUNT, -300, "station"), (NON_FUEL, 1_200, "")],
        volume_ml=10_000,
        when=at(day, 11, 1),
        fill=fill3,
    )
    # Paid, but its fill record never arrived.
    orders["s4"] = s.sale(
        s.nozzle_92, lines=[(FUEL, 3_100, ""), (DISCOUNT, -100, "station")], volume_ml=4_000, when=at(day, 12)
    )
    # Drive-off: fuel went out, nobody paid through the platform.
    s.fill(s.nozzle_92, volume_ml=8_163, amount_fen=6_000, when=at(day, 13))
    with mock.patch("django.utils.timezone.now", return_value=at(day, 15)):
        wallet_payment_refund(hold_id=orders["s1"].hold_id, amount_fen=2_000, idempotency_key="r1")
    # Late: fuelled before midnight on the day before (already closed), paid ten minutes into the day.
    fill_late = s.fill(s.nozzle_92, volume_ml=6_800, amount_fen=5_000, when=at(before, 23, 50))
    orders["late"] = s.sale(
        s.nozzle_92,
        lines=[(FUEL, 5_200, ""), (DISCOUNT, -200, "station")],
        volume_ml=6_800,
        when=at(day, 0, 10),
        fill=fill_late,
    )
    return orders


def test_a_seeded_day_settles_to_hand_computed_figures(seeder, day, fee_contracts):
    orders = seed_two_days(seeder, day)
    before = SettlementDay.objects.get(business_date=day - timedelta(days=1))
    assert (before.collected_fen, before.fee_fen, before.net_fen) == (10_000, 30, 9_970)

    result = settlement_day_close(business_date=day)

    settled = SettlementDay.objects.get(station=seeder.station, business_date=day)
    assert result.days_closed == 1 and result.items == 6
    assert settled.status == SettlementStatus.CLOSED
    assert settled.sales_count == 5
    assert settled.volume_ml == 20_000 + 30_000 + 10_000 + 4_000 + 6_800
    assert settled.gross_fuel_fen == 15_300 + 25_000 + 7_650 + 3_100 + 5_200
    assert settled.gross_non_fuel_fen == 1_200
    assert settled.discount_platform_fen == 1_000
    assert settled.discount_station_fen == 600 + 500 + 300 + 100 + 200
    assert settled.collected_fen == 14_700 + 23_500 + 8_550 + 3_000 + 5_000
    assert settled.refunds_fen == 2_000
    assert settled.adjustments_fen == 5_000
    # Fee, half-up per item: 92# at 30 bps, 95# at 50 bps on what the station earns (paid + platform discount).
    # 14,700→44; (23,500+1,000)→123; 8,550→26; 3,000→9; 5,000→15; the refund of 2,000 gives back 6.
    assert settled.fee_fen == 44 + 123 + 26 + 9 + 15 - 6 == 211
    assert settled.net_fen == 54_750 - 2_000 + 1_000 - 211 == 53_539

    late = SettlementItem.objects.get(order=orders["late"])
    assert late.day == settled and late.original_date == day - timedelta(days=1)
    refund = SettlementItem.objects.get(day=settled, kind=ItemKind.REFUND)
    assert (refund.amount_fen, refund.fee_fen, refund.order) == (-2_000, -6, orders["s1"])
    assert SettlementItem.objects.get(order=orders["s2"]).fee_bps == 50

    station_id = seeder.station.pk
    assert system_account_balance_fen(kind=AccountKind.STATION_RECEIVABLE, station_id=station_id) == 0
    assert system_account_balance_fen(kind=AccountKind.STATION_PAYABLE, station_id=station_id) == 9_970 + 53_539
    assert system_account_balance_fen(kind=AccountKind.PLATFORM_FEE_INCOME) == 30 + 211
    assert system_account_balance_fen(kind=AccountKind.PROMOTION_EXPENSE_PLATFORM) == 1_000
    assert ledger_verify().ok


def test_a_closed_day_is_immutable_and_settling_it_again_changes_nothing(seeder, day, fee_contracts):
    seed_two_days(seeder, day)
    settlement_day_close(business_date=day)
    snapshot = (counters_snapshot(), list(SettlementDay.objects.values()), SettlementItem.objects.count())

    again = settlement_day_close(business_date=day, station_id=seeder.station.pk)
    also = settlement_day_close(business_date=day)

    assert again.already_closed and also.days_closed == 0
    assert (counters_snapshot(), list(SettlementDay.objects.values()), SettlementItem.objects.count()) == snapshot


def test_a_posting_after_the_close_goes_to_the_next_day_as_a_late_item(seeder, day):
    seeder.top_up(50_000, when=at(day, 8), key="t")
    seeder.sale(seeder.nozzle_92, lines=[(FUEL, 1_000, "")], volume_ml=1_300, when=at(day, 9))
    settlement_day_close(business_date=day)
    # Committed with a timestamp inside the closed day, but after it was closed (a slow transaction).
    late = seeder.sale(seeder.nozzle_92, lines=[(FUEL, 2_000, "")], volume_ml=2_600, when=at(day, 23, 59))
    closed = SettlementDay.objects.get(business_date=day)
    assert closed.collected_fen == 1_000

    settlement_day_close(business_date=day + timedelta(days=1))

    next_day = SettlementDay.objects.get(business_date=day + timedelta(days=1))
    assert (next_day.collected_fen, next_day.adjustments_fen) == (2_000, 2_000)
    assert SettlementItem.objects.get(order=late).original_date == day
    assert ledger_verify().ok


def test_a_day_not_yet_over_is_refused_and_nothing_changes(seeder):
    from django.utils import timezone

    before = counters_snapshot()
    with pytest.raises(DayNotOver):
        settlement_day_close(business_date=timezone.localdate())
    assert counters_snapshot() == before and not SettlementDay.objects.exists()


def test_the_settle_command_closes_a_day_once_and_says_so_the_second_time(seeder, day):
    from io import StringIO

    from django.core.management import call_command

    seeder.top_up(50_000, when=at(day, 8), key="t")
    seeder.sale(seeder.nozzle_92, lines=[(FUEL, 1_000, "")], volume_ml=1_300, when=at(day, 9))
    first, second = StringIO(), StringIO()
    call_command("settle", "--date", day.isoformat(), stdout=first)
    call_command("settle", "--date", day.isoformat(), "--station", seeder.station.code, stdout=second)
    assert "closed 1 station days" in first.getvalue() and "¥9.97" in first.getvalue()
    assert "already closed, nothing changed" in second.getvalue()
