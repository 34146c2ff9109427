"""Pay at the pump latency: driver's confirm → the simulator's pump AUTHORIZED, and the simulator's fill
end → the order PAID (receipt ready), p50/p95/p99 over 200 runs while the 7 other pumps on the same
line are fuelling (8 nozzles busy).

    make bench        # or: python bench/pay_bench.py [--runs 200] [--baud 9600]

The real path end to end except the HTTP request: the order service (hold + authorization in one
transaction) → the bridge wake-up task → the DART master → the pty → the simulator (its own
process), and back: DC2 → fill stored → order capture task → PAID. Celery runs eagerly here (the
task executes in the calling thread), so the broker hop is not in the figures. PostgreSQL scratch
database, recreated each run.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fuelpay_paybench")
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"

PUMPS = 8
AUTHORIZED, RESET = 2, 1


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


class Simulator:
    def __init__(self, link: str, baud: int | None = None):
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pumpgateway.simulator",
                "--pumps",
                str(PUMPS),
                "--nozzles",
                "1",
                "--prices",
                "735",
                "--link",
                link,
                "--control-port",
                "0",
                *(["--baud", str(baud)] if baud else []),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.process.stdout.readline()  # serial: ...
        self.control = self.process.stdout.readline().split()[-1]

    def call(self, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(
            self.control + path,
            data=None if body is None else json.dumps(body).encode(),
            method="GET" if body is None else "POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())

    def pump(self, number: int) -> dict:
        return self.call("/")["pumps"][str(number)]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=5)


def wait(predicate, timeout=20.0, interval=0.002):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(interval)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--baud", type=int, help="pace the simulator's line like a real one (e.g. 9600)")
    args = parser.parse_args()

    from bench.ledger_bench import recreate_database, wallet_fund

    recreate_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from drivers.services import driver_register
    from fuelpay.celery import app
    from orders.enums import OrderStatus
    from orders.models import FuelOrder
    from orders.services import order_prepaid_create
    from pumpgateway.enums import AuthorizationSource
    from pumpgateway.models import NozzleState, PumpBinding
    from pumpgateway.runner import line_runner_start_thread
    from pumpgateway.services import (
        pump_authorization_request,
        pump_binding_set,
        pump_prices_sync,
        serial_line_configure,
    )
    from stations.enums import StationStatus
    from stations.models import Enterprise, FuelGrade, Nozzle
    from stations.services import (
        dispenser_create,
        nozzle_create,
        station_apply,
        station_bank_account_set,
        station_price_schedule,
        station_transition,
    )

    app.conf.task_always_eager = True
    settings.PUMP_COMMAND_SCAN_SECONDS = 0.5
    call_command("migrate", verbosity=0)
    enterprise = Enterprise.objects.create(name="bench", kind="chain")
    station = station_apply(enterprise=enterprise, code="bench", name="bench", address="-", latitude=31, longitude=121)
    station_bank_account_set(station=station, bank_name="bank", holder="bench", account_number="6222020000123456")
    grade = FuelGrade.objects.create(code="92", name="92#", kind="gasoline")
    nozzles = []
    for number in range(1, PUMPS + 1):
        dispenser = dispenser_create(station=station, number=number)
        nozzles.append(nozzle_create(dispenser=dispenser, number=number, logical_number=1, grade=grade))
    station_price_schedule(station=station, grade=grade, list_price_fen_per_litre=765, price_fen_per_litre=735)
    for status in (StationStatus.UNDER_REVIEW, StationStatus.APPROVED, StationStatus.ACTIVE):
        station_transition(station=station, to_status=status)
    nozzles = list(Nozzle.objects.filter(station=station).select_related("station", "grade").order_by("number"))
    driver = driver_register(phone="13700000000")

    wallet_fund(driver_id=driver.pk, amount_fen=10**9)
    with tempfile.TemporaryDirectory() as scratch:
        simulator = Simulator(str(Path(scratch) / "pump-line"), args.baud)
        line = serial_line_configure(code="bench", station=station, url=str(Path(scratch) / "pump-line"))
        for number in range(1, PUMPS + 1):
            pump_binding_set(line_code=line.code, dispenser_number=number, dart_address=0x4F + number)
        runner = line_runner_start_thread(line.code)
        try:
            wait(lambda: PumpBinding.objects.filter(line=line, online=True).count() == PUMPS, timeout=30)
            pump_prices_sync()
            wait(lambda: NozzleState.objects.filter(nozzle__station=station, state="ready").count() == PUMPS, 30)
            # Seven pumps fuel slowly for the whole run: the bridge polls their progress every cycle.
            for number in range(2, PUMPS + 1):
                simulator.call(f"/pumps/{number}/flow", {"ml_per_s": 50})
                pump_authorization_request(
                    nozzle=nozzles[number - 1], source=AuthorizationSource.ATTENDANT, preset_volume_ml=900_000
                )
            for number in range(2, PUMPS + 1):
                wait(lambda n=number: simulator.pump(n)["status"] == AUTHORIZED)
                simulator.call(f"/pumps/{number}/lift", {"nozzle": 1})
            simulator.call("/pumps/1/flow", {"ml_per_s": 20_000})
            authorize_ms, receipt_ms = [], []

            def one_run(run: int) -> None:
                fills_before = simulator.pump(1)["fills_completed"]
                start = time.perf_counter()
                order = order_prepaid_create(
                    driver=driver, nozzle=nozzles[0], idempotency_key=f"run-{run}", amount_fen=2_000
                )
                wait(lambda: simulator.pump(1)["status"] == AUTHORIZED)
                authorize_ms.append((time.perf_counter() - start) * 1000)
                simulator.call("/pumps/1/lift", {"nozzle": 1})
                wait(lambda: simulator.pump(1)["fills_completed"] > fills_before)
                ended = time.perf_counter()
                wait(lambda: FuelOrder.objects.filter(pk=order.pk, status=OrderStatus.PAID).exists())
                receipt_ms.append((time.perf_counter() - ended) * 1000)
                simulator.call("/pumps/1/hangup", {})
                wait(lambda: NozzleState.objects.filter(nozzle=nozzles[0], state="ready").exists())

            for run in range(args.runs):
                one_run(run)
            busy = sum(1 for n in range(1, PUMPS + 1) if simulator.pump(n)["status"] != RESET)
            pacing = f"paced at {args.baud} baud" if args.baud else "unpaced"
            print(
                f"pay at the pump, {args.runs} runs on pump 1 while {busy} other pumps fuel "
                f"({os.cpu_count()} cores, PostgreSQL, line {pacing}):"
            )
            for name, values in (
                ("confirm → pump AUTHORIZED", authorize_ms),
                ("fill end → receipt (PAID)", receipt_ms),
            ):
                print(
                    f"  {name:<28} p50 {percentile(values, 0.5):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms"
                    f"   p99 {percentile(values, 0.99):6.1f} ms"
                )
        finally:
            runner.stop()
            runner.thread.join(timeout=5)
            simulator.stop()


if __name__ == "__main__":
    main()
