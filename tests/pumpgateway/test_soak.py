"""Soak: 2,000 fills on 8 pumps over a real pty with ~1% of the pump's frames corrupted or cut short,
while the bridge process is SIGKILLed and restarted 5 times. Every fill must be recorded exactly once,
every totalizer delta must match, and no authorization may be left open."""

import os
import signal
import subprocess
import sys
import time

import pytest
from django.db import connection
from django.db.models import Sum

from core.env import BASE_DIR
from pumpgateway.enums import OPEN_AUTHORIZATION_STATUSES, AuthorizationSource, AuthorizationStatus, TotalsCheck
from pumpgateway.exceptions import NozzleBusy, PumpOffline
from pumpgateway.models import Fill, PumpAuthorization
from pumpgateway.services import pump_authorization_request, pump_binding_set, serial_line_configure
from tests.factories.stations import DispenserFactory, NozzleFactory, StationFactory
from tests.forecourt import Simulator, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
FILLS = int(os.environ.get("SOAK_FILLS", "2000"))
PUMPS = 8
KILLS = 5
PRESET_ML = 1_000


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


class BridgeProcess:
    def __init__(self, line_code: str, log_path):
        self.log_path = log_path
        environment = os.environ | {
            "DATABASE_URL": _database_url(),
            "DJANGO_SETTINGS_MODULE": "fuelpay.settings.test",
            "PUMP_COMMAND_SCAN_SECONDS": "0.03",
            "LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "run_pump_bridge", "--line", line_code, "--standalone"],
            cwd=BASE_DIR,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=open(log_path, "ab"),  # noqa: SIM115 - the child process owns the file for its life
        )

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"bridge exited: {self.log_path.read_text()[-2000:]}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def test_soak_every_fill_exactly_once_through_corruption_and_bridge_kills(tmp_path):
    simulator = Simulator(
        tmp_path,
        "--pumps",
        str(PUMPS),
        "--nozzles",
        "1",
        "--flow-ml-per-s",
        "40000",
        "--bad-crc-rate",
        "0.005",
        "--drop-rate",
        "0.005",
        "--seed",
        "42",
    )
    station = StationFactory()
    nozzles = [
        NozzleFactory(dispenser=DispenserFactory(station=station, number=n), number=n, logical_number=1)
        for n in range(1, PUMPS + 1)
    ]
    line = serial_line_configure(code="soak", station=station, url=simulator.link)
    for n in range(1, PUMPS + 1):
        pump_binding_set(line_code=line.code, dispenser_number=n, dart_address=0x4F + n)
    for n in range(1, PUMPS + 1):
        simulator.control(f"/pumps/{n}/lift", {"nozzle": 1})  # nozzles stay lifted: each authorize fills at once
    bridge = BridgeProcess(line.code, tmp_path / "bridge.log")
    kill_at = [FILLS * (k + 1) // (KILLS + 1) for k in range(KILLS)]
    kills = 0
    started = time.monotonic()
    try:
        while Fill.objects.count() < FILLS:
            assert time.monotonic() - started < 900, f"soak too slow: {Fill.objects.count()} fills"
            bridge.assert_alive()
            # Refused requests (a pump still busy after a restart) do not count: ask until FILLS will complete.
            # Open authorizations are counted before fills, so one completing in between is never counted
            # twice out of the budget: the soak asks for exactly FILLS fills, never more.
            still_open = PumpAuthorization.objects.filter(status__in=OPEN_AUTHORIZATION_STATUSES).count()
            budget = FILLS - Fill.objects.count() - still_open
            for nozzle in nozzles:
                if budget <= 0:
                    break
                try:
                    pump_authorization_request(
                        nozzle=nozzle, source=AuthorizationSource.ATTENDANT, preset_volume_ml=PRESET_ML
                    )
                    budget -= 1
                except (NozzleBusy, PumpOffline):
                    pass
            if kills < KILLS and Fill.objects.count() >= kill_at[kills]:
                bridge.kill()
                kills += 1
                bridge = BridgeProcess(line.code, tmp_path / "bridge.log")
            time.sleep(0.01)
        wait_for(
            lambda: not PumpAuthorization.objects.filter(status__in=OPEN_AUTHORIZATION_STATUSES).exists(),
            timeout=60,
            message="every authorization closed",
        )
        wait_for(
            lambda: not Fill.objects.filter(totals_check=TotalsCheck.PENDING).exists(),
            timeout=30,
            message="every totalizer read",
        )
    finally:
        bridge.stop()
        state = simulator.state()
        simulator.stop()
    elapsed = time.monotonic() - started
    completed = PumpAuthorization.objects.filter(status=AuthorizationStatus.COMPLETED)
    print(
        f"\nsoak: {Fill.objects.count()} fills in {elapsed:.0f}s, {kills} bridge kills, "
        f"{state['frames_in']} frames seen by the pumps, "
        f"{PumpAuthorization.objects.exclude(status=AuthorizationStatus.COMPLETED).count()} authorizations "
        f"refused or cancelled"
    )
    assert kills == KILLS
    assert Fill.objects.count() == FILLS
    assert Fill.objects.count() == completed.count()  # one fill per completed authorization, no more
    assert not PumpAuthorization.objects.filter(source=AuthorizationSource.UNATTRIBUTED).exists()
    unmatched = list(
        Fill.objects.exclude(totals_check=TotalsCheck.MATCHED).values(
            "pk", "nozzle_id", "sequence", "volume_ml", "totals_before_ml", "totals_after_ml", "totals_check"
        )
    )
    assert not unmatched, [sorted(fill.items()) for fill in unmatched]
    for number, nozzle in enumerate(nozzles, start=1):
        delivered = Fill.objects.filter(nozzle=nozzle).aggregate(total=Sum("volume_ml"))["total"] or 0
        assert delivered == state["pumps"][str(number)]["nozzles"]["1"]["total_volume"] * 10
