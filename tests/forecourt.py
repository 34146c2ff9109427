import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.env import BASE_DIR
from pumpgateway.dart.transactions import PumpStatus
from pumpgateway.enums import NozzleLiveState
from pumpgateway.models import NozzleState, PumpBinding
from pumpgateway.runner import line_runner_start_thread
from pumpgateway.services import DjangoBridgeStore, pump_binding_set, pump_prices_sync, serial_line_configure
from tests.factories.pumpgateway import PumpBindingFactory
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
    state = {"simulator": simulator, "station": station, "nozzles": nozzles, "line": line, "runner": runner}
    yield state
    state["runner"].stop()  # a test may have restarted the bridge
    state["runner"].thread.join(timeout=5)
    simulator.stop()


class StoreLine:
    """One pump (address 0x50, nozzles 1 and 2) driven through the real DjangoBridgeStore the way the DART
    master reports it, without a serial port. After-commit effects (the order side's task) run at once."""

    ADDRESS = 0x50

    def __init__(self, line, capture_on_commit):
        self.line = line
        self.store = DjangoBridgeStore(line)
        self._capture = capture_on_commit

    def report(self, event: str, *args, **kwargs):
        with self._capture(execute=True):
            return getattr(self.store, event)(*args, **kwargs)

    def send_pending(self) -> None:
        """Hand the queued commands to the pump: write-ahead SENT, then delivered."""
        self.store.wake()  # what the bridge wake-up task does in the process that owns the line
        for command in self.report("pending_commands"):
            if command.only_in_reset:
                self.report("command_sending", command.command_id)
            self.report("command_result", command.command_id, delivered=True)

    def status(self, status: int, *, nozzle: int = 0, lifted: bool = False) -> None:
        self.report("pump_status", self.ADDRESS, status, nozzle, lifted)

    def authorised(self) -> None:
        self.send_pending()
        self.status(PumpStatus.AUTHORIZED)

    def fuelling(self, *, nozzle: int = 1) -> None:
        self.status(PumpStatus.FILLING, nozzle=nozzle, lifted=True)

    def completed(self, *, volume_ml: int, amount_fen: int, nozzle: int = 1, price_fen_per_litre: int = 735) -> None:
        """The final DC2 at two decimals (volume in centilitres, amount in fen); then the master resets the pump."""
        self.status(PumpStatus.FILLING_COMPLETED, nozzle=nozzle, lifted=False)
        self.report("fill_completed", self.ADDRESS, nozzle, volume_ml // 10, amount_fen, price_fen_per_litre)
        self.status(PumpStatus.RESET)


@pytest.fixture
def store_line(django_capture_on_commit_callbacks):
    """An active station 'pay-test' with one pump of two nozzles (92# at ¥7.35, list ¥7.65), online on a
    line whose bridge is alive, every nozzle READY, and the line's store."""
    station = StationFactory(code="pay-test")
    dispenser = DispenserFactory(station=station, number=1)
    grade = FuelGradeFactory()
    GradePriceFactory(station=station, grade=grade, list_price_fen_per_litre=765, price_fen_per_litre=735)
    nozzles = [
        NozzleFactory(dispenser=dispenser, number=number, logical_number=number, grade=grade) for number in (1, 2)
    ]
    binding = PumpBindingFactory(dispenser=dispenser, dart_address=StoreLine.ADDRESS, online=True)
    for nozzle in nozzles:
        NozzleState.objects.create(nozzle=nozzle, state=NozzleLiveState.READY)
    line = StoreLine(binding.line, django_capture_on_commit_callbacks)
    line.nozzles, line.station, line.binding = nozzles, station, binding
    return line
