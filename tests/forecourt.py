import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.env import BASE_DIR
from pumpgateway.enums import NozzleLiveState
from pumpgateway.models import NozzleState, PumpBinding
from pumpgateway.runner import line_runner_start_thread
from pumpgateway.services import pump_binding_set, pump_prices_sync, serial_line_configure
from tests.factories.stations import (
    DispenserFactory,
    FuelGradeFactory,
    GradePriceFactory,
    NozzleFactory,
    StationFactory,
)


def wait_for(predicate, timeout=10.0, interval=0.02, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


class Simulator:
    """The forecourt simulator as its own process on a real pty, as in production."""

    def __init__(self, tmp_path: Path, *extra: str):
        self.link = str(tmp_path / "pump-line")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pumpgateway.simulator",
                "--pumps",
                "2",
                "--nozzles",
                "2",
                "--prices",
                "735,780",
                "--flow-ml-per-s",
                "2000",
                "--link",
                self.link,
                "--control-port",
                "0",
                *extra,
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=BASE_DIR,
            env=os.environ | {"PYTHONUNBUFFERED": "1"},
        )
        first_line = self.process.stdout.readline()
        assert first_line.startswith("serial: "), first_line
        self.control_url = self.process.stdout.readline().split(" ", 1)[1].strip()

    def control(self, path: str, body: dict | None = None) -> dict:
        request = urllib.request.Request(self.control_url + path, data=json.dumps(body or {}).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback simulator
            return json.loads(response.read())

    def state(self) -> dict:
        with urllib.request.urlopen(self.control_url, timeout=5) as response:  # noqa: S310
            return json.loads(response.read())

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=5)


@pytest.fixture
def forecourt(tmp_path, settings):
    """A station with two pumps × two nozzles on one line, the simulator on a pty, and the bridge running."""
    settings.PUMP_AUTHORIZE_LIFT_TIMEOUT_SECONDS = 60
    simulator = Simulator(tmp_path)
    station = StationFactory()
    grade95 = FuelGradeFactory(code="95", name="95#汽油")
    for grade, (list_price, price) in ((FuelGradeFactory(), (765, 735)), (grade95, (815, 780))):
        GradePriceFactory(station=station, grade=grade, list_price_fen_per_litre=list_price, price_fen_per_litre=price)
    nozzles = []
    for pump in (1, 2):
        dispenser = DispenserFactory(station=station, number=pump)
        nozzles.append(NozzleFactory(dispenser=dispenser, number=pump * 2 - 1, logical_number=1))
        nozzles.append(NozzleFactory(dispenser=dispenser, number=pump * 2, logical_number=2, grade=grade95))
    line = serial_line_configure(code=f"test-{station.pk}", station=station, url=simulator.link)
    for pump in (1, 2):
        pump_binding_set(line_code=line.code, dispenser_number=pump, dart_address=0x4F + pump)
    runner = line_runner_start_thread(line.code)
    wait_for(lambda: PumpBinding.objects.filter(line=line, online=True).count() == 2, message="pumps online")
    pump_prices_sync()
    wait_for(
        lambda: NozzleState.objects.filter(nozzle__station=station, state=NozzleLiveState.READY).count() == 4,
        message="every nozzle ready",
    )
    yield {"simulator": simulator, "station": station, "nozzles": nozzles, "line": line, "runner": runner}
    runner.stop()
    runner.thread.join(timeout=5)
    simulator.stop()
