"""The README's run command: the whole platform on one machine, each part its own process, as in production.

web (runserver) · Celery worker (default queue) · Celery beat · forecourt simulator (DART on socket://) ·
pump bridge worker (the line's own queue, the only owner of the serial line). Ctrl-C stops them all. A part
other than the web server that dies is started again (its name and exit code are printed, and it waits a
little longer each time it dies again soon); only if the web server itself dies is everything stopped.
"""

import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.env import BASE_DIR
from fuelpay.demo import DEMO_LINE
from pumpgateway.models import SerialLine
from pumpgateway.services import serial_line_configure

RESTART_DELAYS_S = (1, 2, 5, 10, 30)  # after the 1st, 2nd, ... death in a row
STABLE_S = 60  # a part that ran this long has its restart count forgiven


@dataclass
class Part:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    restartable: bool = True
    deaths: int = 0
    started_at: float = 0.0
    restart_at: float | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, cwd=BASE_DIR)
        self.started_at, self.restart_at = time.monotonic(), None


def supervise_once(parts: list[Part], log) -> Part | None:
    """One look at every part: a dead restartable part is scheduled for a restart (with a log line) and
    restarted when due. Returns the part whose death must stop everything (the web server), if any."""
    now = time.monotonic()
    for part in parts:
        if part.restart_at is not None:
            if now >= part.restart_at:
                part.start()
            continue
        code = part.process.poll()
        if code is None:
            continue
        if not part.restartable:
            return part
        part.deaths = 1 if now - part.started_at > STABLE_S else part.deaths + 1
        delay = RESTART_DELAYS_S[min(part.deaths, len(RESTART_DELAYS_S)) - 1]
        log(f"{part.name} exited with code {code}; restarting it in {delay} s")
        part.restart_at = now + delay
    return None


def supervise_until_stopped(parts: list[Part], log, stopping) -> Part | None:
    """Supervise until stopping() (Ctrl-C or TERM) or the web server dies. A part that dies because the same
    Ctrl-C or TERM reached its whole process group is part of the stop, not a failure: None then."""
    while True:
        time.sleep(0.5)
        if stopping():
            return None
        failed = supervise_once(parts, log)
        if failed is not None:
            return None if stopping() else failed


class Command(BaseCommand):
    help = "Run web, worker, beat, the forecourt simulator and the pump bridge; Ctrl-C stops everything."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1:8000", help="web server address (host:port)")
        parser.add_argument("--simulator-port", type=int, default=4001, help="TCP port of the DART simulator")
        parser.add_argument("--simulator-control-port", type=int, default=4002)
        parser.add_argument("--line", default=DEMO_LINE, help="serial line the simulator stands in for")
        parser.add_argument("--no-simulator", action="store_true", help="a real controller is on the line")

    def handle(self, *args, **options):
        parts = self._parts(options)
        self._point_line_at_simulator(options)
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for part in parts:
            part.start()
            if part.name == "simulator":
                time.sleep(0.5)  # the bridge connects to it; let it listen first
        self._print_urls(options)
        failed = supervise_until_stopped(parts, lambda line: self.stderr.write(line), lambda: stopping)
        for part in reversed(parts):
            if part.process.poll() is None:
                part.process.terminate()
        for part in parts:
            try:
                part.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                part.process.kill()
        if failed is not None:
            raise CommandError(f"{failed.name} exited with code {failed.process.returncode}; everything was stopped")
        self.stdout.write("fuelpay stopped.")

    def _parts(self, options) -> list[Part]:
        python, manage = sys.executable, str(BASE_DIR / "manage.py")
        celery = [python, "-m", "celery", "-A", "fuelpay", "--quiet"]
        parts = []
        if not options["no_simulator"]:
            parts.append(
                Part(
                    "simulator",
                    [
                        python,
                        "-m",
                        "pumpgateway.simulator",
                        "--pumps",
                        "3",
                        "--nozzles",
                        "2",
                        "--tcp-port",
                        str(options["simulator_port"]),
                        "--control-port",
                        str(options["simulator_control_port"]),
                    ],
                )
            )
        parts += [
            Part("web", [python, manage, "runserver", options["addr"], "--noreload"], restartable=False),
            # Solo pool: on SQLite one writer at a time is what the database allows anyway.
            Part("worker", [*celery, "worker", "-Q", "default", "-P", "solo", "-n", "default@%h", "-l", "WARNING"]),
            Part("beat", [*celery, "beat", "-l", "WARNING"]),
            Part("pump-bridge", [python, manage, "run_pump_bridge", "--line", options["line"]]),
        ]
        return parts

    def _point_line_at_simulator(self, options) -> None:
        line = SerialLine.objects.filter(code=options["line"]).first()
        if line is None:
            raise CommandError(f"no serial line {options['line']!r}: run `manage.py seed_demo` first")
        if not options["no_simulator"]:
            serial_line_configure(code=line.code, url=f"socket://127.0.0.1:{options['simulator_port']}")

    def _print_urls(self, options) -> None:
        web = f"http://{options['addr']}"
        station = line_station_code(options["line"])
        lines = [
            "",
            "fuelpay is running (Ctrl-C stops everything):",
            f"  driver sign-in        {web}/login/   (demo phones 13800000001-3; the SMS code is printed here)",
            f"  driver home           {web}/me/",
            f"  pay at nozzle 1       {web}/s/{station}/1/",
            f"  attendant console     {web}/console/{station}/",
            f"  admin console         {web}/admin/   (admin / manager / cashier / finance, password fuelpay-demo)",
            f"  health                {web}/healthz",
        ]
        if not options["no_simulator"]:
            lines.append(
                f"  forecourt simulator   http://127.0.0.1:{options['simulator_control_port']}/  (state, JSON)"
            )
        lines.append(f"  SMS codes also go to  {settings.SMS_FILE_PATH}")
        self.stdout.write("\n".join(lines) + "\n")


def line_station_code(line_code: str) -> str:
    line = SerialLine.objects.filter(code=line_code).select_related("station").first()
    return line.station.code if line is not None and line.station_id else "demo-pudong"
