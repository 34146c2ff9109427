"""Real concurrency on PostgreSQL (READ COMMITTED): threads with their own connections hammer one wallet."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from core.exceptions import FuelpayError
from tests.factories.drivers import DriverFactory
from tests.factories.stations import StationFactory
from tests.factories.wallet import top_up
from wallet.models import Hold, JournalEntry
from wallet.selectors import wallet_balance_get
from wallet.services.chain import ledger_verify
from wallet.services.holds import hold_increase, wallet_hold_capture, wallet_hold_place, wallet_hold_release

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 50


def _in_thread(func):
    def run(*args):
        try:
            return func(*args)
        except FuelpayError as error:
            return error
        finally:
            connection.close()

    return run


def _pay(driver_id, station_id, key, hold_fen, capture_fen):
    hold = wallet_hold_place(
        driver_id=driver_id, station_id=station_id, amount_fen=hold_fen, reference=key, idempotency_key=key
    )
    return wallet_hold_capture(hold_id=hold.pk, amount_fen=capture_fen)


def test_fifty_concurrent_payments_never_overdraw_and_end_exact():
    driver, station = DriverFactory(), StationFactory()
    top_up(driver, 30_000)
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(
            pool.map(
                _in_thread(_pay),
                [driver.pk] * THREADS,
                [station.pk] * THREADS,
                [f"pay-{n}" for n in range(THREADS)],
                [1_500] * THREADS,
                [1_000] * THREADS,
            )
        )
    paid = [r for r in results if isinstance(r, Hold)]
    # Each payment reserves ¥15 and spends ¥10: at least 20 fit; never more than the money allows.
    assert 20 <= len(paid) <= 30
    balance = wallet_balance_get(driver_id=driver.pk)
    assert balance.principal_fen == 30_000 - 1_000 * len(paid)
    assert balance.held_fen == 0 and balance.available_fen >= 0
    assert ledger_verify().ok


def test_duplicate_concurrent_retries_move_money_exactly_once():
    driver, station = DriverFactory(), StationFactory()
    top_up(driver, 100_000)
    keys = [f"pay-{n % 10}" for n in range(THREADS)]  # every request arrives five times at once
    with ThreadPoolExecutor(THREADS) as pool:
        list(
            pool.map(
                _in_thread(_pay),
                [driver.pk] * THREADS,
                [station.pk] * THREADS,
                keys,
                [2_000] * THREADS,
                [1_000] * THREADS,
            )
        )
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 100_000 - 10 * 1_000
    assert Hold.objects.count() == 10
    assert ledger_verify().ok


def test_concurrent_credits_to_one_wallet_lose_no_update():
    """django-hordak #142: a cached running total updated read-modify-write loses money under concurrency."""
    driver = DriverFactory()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(_in_thread(lambda n: top_up(driver, 100 + n, key=f"t{n}")), range(THREADS)))
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == sum(100 + n for n in range(THREADS))
    assert JournalEntry.objects.count() == THREADS
    assert ledger_verify().ok


def test_holds_and_captures_interleaved_from_many_threads():
    driver, station = DriverFactory(), StationFactory()
    top_up(driver, 50_000)
    holds = [
        wallet_hold_place(
            driver_id=driver.pk, station_id=station.pk, amount_fen=1_000, reference=f"h{n}", idempotency_key=f"h{n}"
        )
        for n in range(25)
    ]

    def work(n):
        if n < 25:
            return wallet_hold_capture(hold_id=holds[n].pk, amount_fen=500 + n)
        return wallet_hold_place(
            driver_id=driver.pk, station_id=station.pk, amount_fen=1_000, reference=f"n{n}", idempotency_key=f"n{n}"
        )

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(_in_thread(work), range(THREADS)))
    assert not [r for r in results if isinstance(r, FuelpayError)]
    balance = wallet_balance_get(driver_id=driver.pk)
    assert balance.principal_fen == 50_000 - sum(500 + n for n in range(25))
    assert balance.held_fen == 25 * 1_000
    assert ledger_verify().ok


def test_hold_locks_the_wallet_rows_before_updating_them():
    driver, station = DriverFactory(), StationFactory()
    top_up(driver, 10_000)
    with CaptureQueriesContext(connection) as queries:
        wallet_hold_place(
            driver_id=driver.pk, station_id=station.pk, amount_fen=1_000, reference="r", idempotency_key="lock-order"
        )
    sql = [q["sql"] for q in queries.captured_queries]
    lock = next(i for i, s in enumerate(sql) if "FOR UPDATE" in s and "wallet_account" in s)
    update = next(i for i, s in enumerate(sql) if s.lstrip().startswith("UPDATE") and "wallet_account" in s)
    assert lock < update


def _deadlocks_so_far() -> int:
    # Each thread's backend exits when its connection closes, which flushes its statistics.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def test_holds_and_captures_on_one_wallet_never_deadlock():
    # Holds lock the wallet rows first; a capture that took a station bucket row first and then waited
    # for the wallet would deadlock with them (PostgreSQL breaks it after deadlock_timeout, 1 s each).
    driver, station = DriverFactory(), StationFactory()
    top_up(driver, 500_000)
    before = _deadlocks_so_far()
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(
                _in_thread(_pay),
                [driver.pk] * 200,
                [station.pk] * 200,
                [f"hot-{n}" for n in range(200)],
                [2_000] * 200,
                [1_500] * 200,
            )
        )
    assert all(isinstance(result, Hold) for result in results)
    assert _deadlocks_so_far() == before
    assert wallet_balance_get(driver_id=driver.pk).principal_fen == 500_000 - 200 * 1_500


def _grow(hold_id, amount_fen, key):
    with transaction.atomic():
        return hold_increase(hold_id=hold_id, amount_fen=amount_fen, idempotency_key=key)


def test_concurrent_growths_of_one_hold_never_reserve_more_than_the_wallet_holds():
    driver, station = DriverFactory(), StationFactory()
    top_up(driver, 20_000)
    hold = wallet_hold_place(
        driver_id=driver.pk,
        station_id=station.pk,
        amount_fen=10_000,
        reference="grow",
        idempotency_key="grow",
        owner_releases=True,
    )
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(
            pool.map(_in_thread(_grow), [hold.pk] * THREADS, [1_000] * THREADS, [f"g{n}" for n in range(THREADS)])
        )
    grown = [r for r in results if isinstance(r, Hold)]
    assert len(grown) == 10  # ¥100 was left to reserve: exactly ten growths of ¥10 fit
    assert Hold.objects.get(pk=hold.pk).amount_fen == 20_000
    balance = wallet_balance_get(driver_id=driver.pk)
    assert (balance.held_fen, balance.available_fen) == (20_000, 0)
    wallet_hold_release(hold_id=hold.pk)
    assert wallet_balance_get(driver_id=driver.pk).available_fen == 20_000
    assert ledger_verify().ok


def test_duplicate_concurrent_growths_grow_once():
    driver, station = DriverFactory(), StationFactory()
    top_up(driver, 20_000)
    hold = wallet_hold_place(
        driver_id=driver.pk,
        station_id=station.pk,
        amount_fen=10_000,
        reference="grow",
        idempotency_key="grow",
        owner_releases=True,
    )
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(_in_thread(_grow), [hold.pk] * THREADS, [1_000] * THREADS, ["same"] * THREADS))
    assert Hold.objects.get(pk=hold.pk).amount_fen == 11_000
    assert wallet_balance_get(driver_id=driver.pk).held_fen == 11_000
    assert ledger_verify().ok
