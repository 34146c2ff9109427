"""Ledger throughput on PostgreSQL: fuelpay's guarded ledger vs django-hordak with the same funds check.

    make bench        # or: python bench/ledger_bench.py [--seconds 5] [--workers 1,8,32]

Scenarios, each run by N worker processes for a fixed time:
  (a) top-ups spread over many wallets  — one posting per top-up (escrow → driver principal);
  (b) hold + capture on one hot wallet  — a fleet card: hold ¥50, capture ¥42 (two postings).
hordak does the same transfers; for (b) it is given the guard it lacks: lock the wallet row, SUM its
legs (hordak's balance), refuse an overdraft, then post. The scratch database is dropped and recreated.
"""

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


def recreate_database() -> None:
    import dj_database_url
    import psycopg2

    url = dj_database_url.parse(
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fuelpay_bench")
    )
    admin = psycopg2.connect(host=url["HOST"], port=url["PORT"] or 5432, user=url["USER"], dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{url["NAME"]}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{url["NAME"]}"')
    admin.close()


def wallet_fund(*, driver_id: int, amount_fen: int) -> None:
    """Give a bench wallet money straight from escrow (the top-up limits are not what is measured)."""
    from wallet.enums import AccountKind, Operation, Side
    from wallet.services.ledger import Leg, driver_account_id, ledger_post, ledger_transaction, system_account_id

    legs = [
        Leg(system_account_id(kind=AccountKind.PLATFORM_ESCROW, spread_key="f"), Side.DEBIT, amount_fen),
        Leg(driver_account_id(driver_id=driver_id, kind=AccountKind.DRIVER_PRINCIPAL), Side.CREDIT, amount_fen),
    ]
    ledger_transaction(ledger_post)(
        operation=Operation.TOP_UP, idempotency_key=f"bench-funding-{driver_id}", legs=legs, driver_id=driver_id
    )


def setup(wallets: int) -> dict:
    from django.core.management import call_command
    from djmoney.money import Money
    from hordak.models import Account as HordakAccount

    from drivers.services import driver_register
    from fuelpay.demo import demo_data_seed
    from stations.models import Station

    call_command("migrate", verbosity=0)
    demo_data_seed()
    station_id = Station.objects.get(code="demo-pudong").pk
    driver_ids = [driver_register(phone=f"139{number:08d}").pk for number in range(wallets)]
    fleet_id = driver_ids[0]

    wallet_fund(driver_id=fleet_id, amount_fen=10**12)
    bank = HordakAccount.objects.create(name="escrow", type="AS", currencies=["CNY"])
    income = HordakAccount.objects.create(name="station receivable", type="AS", currencies=["CNY"])
    held = HordakAccount.objects.create(name="held", type="AS", currencies=["CNY"])
    hordak_wallets = [
        HordakAccount.objects.create(name=f"wallet {n}", type="AS", currencies=["CNY"]) for n in range(wallets)
    ]
    bank.transfer_to(hordak_wallets[0], Money(10**10, "CNY"))
    return {
        "station_id": station_id,
        "driver_ids": driver_ids,
        "fleet_id": fleet_id,
        "hordak": {"bank": bank.pk, "income": income.pk, "held": held.pk, "wallets": [w.pk for w in hordak_wallets]},
    }


def _fuelpay_top_up(ctx, worker, n):
    from wallet.enums import AccountKind, Operation, Side
    from wallet.services.ledger import Leg, driver_account_id, ledger_post, ledger_transaction, system_account_id

    driver_id = ctx["driver_ids"][(worker * 7919 + n) % len(ctx["driver_ids"])]
    key = f"a-{worker}-{n}-{time.time_ns()}"

    @ledger_transaction
    def post():
        ledger_post(
            operation=Operation.TOP_UP,
            idempotency_key=key,
            legs=[
                Leg(system_account_id(kind=AccountKind.PLATFORM_ESCROW, spread_key=key), Side.DEBIT, 10_000),
                Leg(driver_account_id(driver_id=driver_id, kind=AccountKind.DRIVER_PRINCIPAL), Side.CREDIT, 10_000),
            ],
            driver_id=driver_id,
            reference=key,
        )

    post()
    return 1


def _fuelpay_hold_capture(ctx, worker, n):
    from wallet.services.holds import wallet_hold_capture, wallet_hold_place

    key = f"b-{worker}-{n}-{time.time_ns()}"
    hold = wallet_hold_place(
        driver_id=ctx["fleet_id"], station_id=ctx["station_id"], amount_fen=5_000, reference=key, idempotency_key=key
    )
    wallet_hold_capture(hold_id=hold.pk, amount_fen=4_200)
    return 2


def _hordak_top_up(ctx, worker, n):
    from django.db import transaction
    from djmoney.money import Money
    from hordak.models import Account

    wallets = ctx["hordak"]["wallets"]
    with transaction.atomic():
        bank = Account.objects.get(pk=ctx["hordak"]["bank"])
        wallet = Account.objects.get(pk=wallets[(worker * 7919 + n) % len(wallets)])
        bank.transfer_to(wallet, Money("100.00", "CNY"))
    return 1


def _hordak_hold_capture(ctx, worker, n):
    from decimal import Decimal

    from django.db import transaction
    from djmoney.money import Money
    from hordak.models import Account

    ids = ctx["hordak"]
    for amount, source, target in ((Decimal("50.00"), ids["wallets"][0], ids["held"]), (None, ids["held"], None)):
        with transaction.atomic():
            wallet = Account.objects.select_for_update().get(pk=source)
            if amount is not None:
                # The guard hordak lacks: the balance is a SUM over the account's legs, under the row lock.
                if wallet.get_simple_balance()["CNY"].amount < amount:
                    raise RuntimeError("insufficient funds")
                wallet.transfer_to(Account.objects.get(pk=target), Money(amount, "CNY"))
            else:
                wallet.transfer_to(Account.objects.get(pk=ids["income"]), Money("42.00", "CNY"))
                wallet.transfer_to(Account.objects.get(pk=ids["wallets"][0]), Money("8.00", "CNY"))
    return 2


SCENARIOS = {
    ("fuelpay", "a"): _fuelpay_top_up,
    ("fuelpay", "b"): _fuelpay_hold_capture,
    ("hordak", "a"): _hordak_top_up,
    ("hordak", "b"): _hordak_hold_capture,
}


def _worker(ledger, scenario, ctx, worker, seconds, start_at, results):
    from django.db import connections

    connections.close_all()  # never share the parent's socket after fork
    func = SCENARIOS[(ledger, scenario)]
    while time.time() < start_at:
        time.sleep(0.001)
    postings, errors, n, deadline = 0, 0, 0, start_at + seconds
    while time.time() < deadline:
        try:
            postings += func(ctx, worker, n)
        except Exception as error:  # noqa: BLE001 - counted and reported; a benchmark keeps going
            if errors == 0:
                print(f"{ledger} worker {worker}: {error!r}", file=sys.stderr)
            errors += 1
        n += 1
    results.put((postings, errors))


def run(ledger, scenario, ctx, workers, seconds) -> tuple[float, int]:
    from django.db import connections

    connections.close_all()
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    start_at = time.time() + 0.5 + workers * 0.02
    processes = [
        fork.Process(target=_worker, args=(ledger, scenario, ctx, w, seconds, start_at, results))
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    totals = [results.get() for _ in processes]
    for process in processes:
        process.join()
    return sum(p for p, _ in totals) / seconds, sum(e for _, e in totals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", default="1,8,32")
    parser.add_argument("--wallets", type=int, default=500)
    args = parser.parse_args()
    recreate_database()
    import django

    django.setup()
    ctx = setup(args.wallets)
    print(f"ledger postings/s on PostgreSQL, {os.cpu_count()} cores, {args.seconds:.0f} s per cell")
    print(f"{'scenario':<36}{'workers':>8}{'fuelpay':>10}{'hordak':>10}{'ratio':>8}{'errors (ours/hordak)':>22}")
    names = {"a": "(a) top-ups over many wallets", "b": "(b) hold+capture, one hot wallet"}
    for scenario in ("a", "b"):
        for workers in [int(w) for w in args.workers.split(",")]:
            ours, our_errors = run("fuelpay", scenario, ctx, workers, args.seconds)
            theirs, their_errors = run("hordak", scenario, ctx, workers, args.seconds)
            ratio = ours / theirs if theirs else float("inf")
            print(
                f"{names[scenario]:<36}{workers:>8}{ours:>10.0f}{theirs:>10.0f}{ratio:>7.1f}x"
                f"{our_errors:>14}/{their_errors}"
            )
    from django.core.management import call_command

    call_command("verify_ledger")


if __name__ == "__main__":
    main()
