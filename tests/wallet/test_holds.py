from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from marketing.enums import Funder
from tests.factories.marketing import top_up_bonus
from tests.factories.wallet import counters_snapshot, top_up
from wallet.enums import AccountKind, HoldStatus
from wallet.exceptions import CaptureExceedsHold, HoldNotActive, IdempotencyConflict, InsufficientFunds
from wallet.models import Hold
from wallet.selectors import system_account_balance_fen, wallet_balance_get
from wallet.services.chain import ledger_verify
from wallet.services.holds import (
    hold_increase,
    wallet_hold_capture,
    wallet_hold_place,
    wallet_hold_release,
    wallet_holds_release_expired,
)

pytestmark = pytest.mark.django_db


def _hold(driver, station, amount, key="h1", **kwargs):
    return wallet_hold_place(
        driver_id=driver.pk,
        station_id=station.pk,
        amount_fen=amount,
        reference=f"R-{key}",
        idempotency_key=key,
        **kwargs,
    )


def test_hold_counts_against_the_balance_at_once(driver, station):
    top_up(driver, 500_000)
    _hold(driver, station, 100_000)
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.principal_fen, balance.held_fen, balance.available_fen) == (500_000, 100_000, 400_000)


def test_six_holds_on_five_thousand_accept_only_five(driver, station):
    """Blnk #181: six ¥1,000 holds must not all be accepted on a ¥5,000 balance."""
    top_up(driver, 500_000)
    for n in range(5):
        _hold(driver, station, 100_000, key=f"h{n}")
    before = counters_snapshot()
    with pytest.raises(InsufficientFunds):
        _hold(driver, station, 100_000, key="h5")
    assert counters_snapshot() == before
    assert Hold.objects.count() == 5


def test_capture_takes_the_fill_and_releases_the_rest_in_one_posting(driver, station, settings):
    settings.PLATFORM_FEE_BPS = 30
    top_up(driver, 500_000)
    hold = _hold(driver, station, 30_000)
    wallet_hold_capture(hold_id=hold.pk, amount_fen=25_050)
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.principal_fen, balance.held_fen) == (500_000 - 25_050, 0)
    # The station is owed the gross until the daily settlement takes the platform fee (settlement app).
    assert system_account_balance_fen(kind=AccountKind.STATION_RECEIVABLE, station_id=station.pk) == 25_050
    assert system_account_balance_fen(kind=AccountKind.PLATFORM_FEE_INCOME) == 0
    assert ledger_verify().ok


def test_capture_is_idempotent_and_a_different_amount_conflicts(driver, station):
    top_up(driver, 100_000)
    hold = _hold(driver, station, 30_000)
    wallet_hold_capture(hold_id=hold.pk, amount_fen=20_000)
    wallet_hold_capture(hold_id=hold.pk, amount_fen=20_000)
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 80_000
    with pytest.raises(IdempotencyConflict):
        wallet_hold_capture(hold_id=hold.pk, amount_fen=19_000)


def test_capture_above_the_hold_is_refused_and_changes_nothing(driver, station):
    top_up(driver, 100_000)
    hold = _hold(driver, station, 30_000)
    before = counters_snapshot()
    with pytest.raises(CaptureExceedsHold):
        wallet_hold_capture(hold_id=hold.pk, amount_fen=30_001)
    assert counters_snapshot() == before
    hold.refresh_from_db()
    assert hold.status == HoldStatus.HELD


def test_release_returns_everything_and_capture_after_release_is_refused(driver, station):
    top_up(driver, 100_000)
    hold = _hold(driver, station, 30_000)
    wallet_hold_release(hold_id=hold.pk)
    wallet_hold_release(hold_id=hold.pk)  # idempotent
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 100_000
    with pytest.raises(HoldNotActive):
        wallet_hold_capture(hold_id=hold.pk, amount_fen=1)


def test_expired_holds_are_released_by_the_periodic_step_and_live_ones_are_kept(driver, station):
    top_up(driver, 100_000)
    expired = _hold(driver, station, 10_000, key="old", ttl_seconds=0)
    live = _hold(driver, station, 10_000, key="new", ttl_seconds=600)
    assert wallet_holds_release_expired(now=timezone.now() + timedelta(seconds=1)) == 1
    expired.refresh_from_db()
    live.refresh_from_db()
    assert (expired.status, live.status) == (HoldStatus.EXPIRED, HoldStatus.HELD)
    assert wallet_balance_get(driver_id=driver.pk).held_fen == 10_000


def test_bonus_is_spent_before_principal(driver, station):
    top_up_bonus(name="送", min_amount_fen=100_000, bonus_fen=5_000, funder=Funder.PLATFORM)
    top_up(driver, 100_000)
    hold = _hold(driver, station, 8_000)
    wallet_hold_capture(hold_id=hold.pk, amount_fen=8_000)
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.bonus_fen, balance.principal_fen) == (0, 97_000)


def test_hold_replay_with_same_key_returns_the_original(driver, station):
    top_up(driver, 100_000)
    first = _hold(driver, station, 30_000)
    assert _hold(driver, station, 30_000).pk == first.pk
    assert wallet_balance_get(driver_id=driver.pk).held_fen == 30_000
    with pytest.raises(IdempotencyConflict):
        _hold(driver, station, 40_000)


def _grow(hold, amount, key="grow-1"):
    with transaction.atomic():
        return hold_increase(hold_id=hold.pk, amount_fen=amount, idempotency_key=key)


def test_a_grown_hold_reserves_the_new_total_and_releases_all_of_it(driver, station):
    top_up(driver, 20_000)
    hold = _hold(driver, station, 10_000, owner_releases=True)
    hold = _grow(hold, 5_000)
    assert hold.amount_fen == 15_000
    assert wallet_balance_get(driver_id=driver.pk).held_fen == 15_000
    wallet_hold_release(hold_id=hold.pk)
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.held_fen, balance.available_fen) == (0, 20_000)
    assert ledger_verify().ok


def test_a_grown_hold_is_captured_in_one_posting(driver, station):
    top_up(driver, 20_000)
    hold = _grow(_hold(driver, station, 10_000, owner_releases=True), 3_000)
    wallet_hold_capture(hold_id=hold.pk, amount_fen=12_500)
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.principal_fen, balance.held_fen) == (20_000 - 12_500, 0)
    assert system_account_balance_fen(kind=AccountKind.STATION_RECEIVABLE, station_id=station.pk) == 12_500
    assert ledger_verify().ok


def test_growing_past_the_balance_is_refused_and_changes_nothing(driver, station):
    top_up(driver, 12_000)
    hold = _hold(driver, station, 10_000, owner_releases=True)
    before = counters_snapshot()
    with pytest.raises(InsufficientFunds):
        _grow(hold, 2_001)
    assert counters_snapshot() == before and Hold.objects.get(pk=hold.pk).amount_fen == 10_000


def test_a_replayed_growth_grows_once_and_a_different_amount_under_its_key_conflicts(driver, station):
    top_up(driver, 20_000)
    hold = _hold(driver, station, 10_000, owner_releases=True)
    _grow(hold, 1_000)
    _grow(hold, 1_000)
    assert Hold.objects.get(pk=hold.pk).amount_fen == 11_000
    before = counters_snapshot()
    with pytest.raises(IdempotencyConflict):
        _grow(hold, 2_000)
    assert counters_snapshot() == before and Hold.objects.get(pk=hold.pk).amount_fen == 11_000


def test_a_captured_hold_cannot_grow(driver, station):
    top_up(driver, 20_000)
    hold = _hold(driver, station, 10_000, owner_releases=True)
    wallet_hold_capture(hold_id=hold.pk, amount_fen=9_000)
    before = counters_snapshot()
    with pytest.raises(HoldNotActive):
        _grow(hold, 1_000)
    assert counters_snapshot() == before
