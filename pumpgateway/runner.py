"""Running the DART master for one serial line: exactly one owner per port (an flock'd lock file),
a PID file, SIGTERM handling, DB connection refresh, and reconnecting after serial errors."""

import fcntl
import logging
import os
import termios
import threading
import time
from pathlib import Path

import serial
from django.db import DatabaseError, close_old_connections, connections

from core.env import VAR_DIR
from pumpgateway.bridge import DartMaster
from pumpgateway.models import PumpBinding, SerialLine
from pumpgateway.ptys import pty_parity_clear
from pumpgateway.services import DjangoBridgeStore

logger = logging.getLogger(__name__)
HEARTBEAT_S = 1.0
# A cycle (one exchange with every pump) takes at least this long: over a pty or TCP a line of a few pumps
# would otherwise spin at full CPU (a real 9600-baud line needs ~7 ms a pump anyway).
MIN_CYCLE_S = 0.005
RECONNECT_DELAY_S = 1.0

SERIAL_ERRORS = (serial.SerialException, OSError, termios.error)  # termios.error is no OSError
_active: dict[str, "LineRunner"] = {}


class LineBusy(RuntimeError):
    """Another process already owns this serial line."""


def bridge_wake(*, line_code: str) -> None:
    runner = _active.get(line_code)
    if runner is not None:
        runner.store.wake()


def serial_open(line: SerialLine):
    """One code path for a real tty, a pty and socket:// (the simulator)."""
    pty_parity_clear(line.url)
    return serial.serial_for_url(
        line.url,
        baudrate=line.baudrate,
        bytesize=serial.EIGHTBITS,
        parity=line.parity,
        stopbits=serial.STOPBITS_ONE,
        timeout=0.005,
        write_timeout=1,
    )


class LineRunner:
    def __init__(self, line_code: str):
        self.line = SerialLine.objects.get(code=line_code)
        self.store = DjangoBridgeStore(self.line)
        self.stop_event = threading.Event()
        self.cycles = 0
        self._lock_file = None

    def acquire(self) -> None:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        lock_path = Path(VAR_DIR) / f"pump-bridge-{self.line.code}.lock"
        self._lock_file = open(lock_path, "w")  # noqa: SIM115 - held for the process lifetime
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise LineBusy(f"serial line {self.line.code} is already owned by another bridge") from error
        self._lock_file.write(str(os.getpid()))
        self._lock_file.flush()
        (Path(VAR_DIR) / f"pump-bridge-{self.line.code}.pid").write_text(str(os.getpid()))
        _active[self.line.code] = self

    def release(self) -> None:
        _active.pop(self.line.code, None)
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _master(self, port) -> DartMaster:
        nozzles: dict[int, list[int]] = {}
        for binding in PumpBinding.objects.filter(line=self.line).prefetch_related("dispenser__nozzles"):
            nozzles[binding.dart_address] = sorted(n.logical_number for n in binding.dispenser.nozzles.all())
        return DartMaster(
            port,
            nozzles,
            self.store,
            reply_timeout=self.line.reply_timeout_ms / 1000,
            max_retries=self.line.max_retries,
            fatal_errors=(DatabaseError, *SERIAL_ERRORS),
        )

    def run(self, *, run_once: bool = False) -> None:
        logger.info("pump bridge starting", extra={"line": self.line.code, "url": self.line.url})
        while not self.stop_event.is_set():
            try:
                with serial_open(self.line) as port:
                    self.master = self._master(port)
                    self._loop(self.master, run_once=run_once)
                    if run_once:
                        return
            except SERIAL_ERRORS as error:
                logger.error("serial line error; reconnecting", extra={"line": self.line.code, "error": str(error)})
                self.stop_event.wait(RECONNECT_DELAY_S)

    def _loop(self, master: DartMaster, *, run_once: bool) -> None:
        last_heartbeat = 0.0
        while not self.stop_event.is_set():
            started = time.monotonic()
            try:
                master.cycle()
                self.cycles += 1
                if time.monotonic() - last_heartbeat > HEARTBEAT_S:
                    close_old_connections()
                    self.store.heartbeat()
                    last_heartbeat = time.monotonic()
            except DatabaseError as error:
                # The pumps keep their state; we retry the same event once the database is back.
                logger.error("database error in bridge", extra={"line": self.line.code, "error": str(error)})
                close_old_connections()
                self.stop_event.wait(0.5)
            except Exception:
                # Whatever else goes wrong (the store's own bug, say), the line keeps running: heartbeats
                # stop only if the thread dies, and then the whole station refuses orders.
                logger.exception("bridge cycle failed", extra={"line": self.line.code})
                self.stop_event.wait(0.5)
            if run_once:
                return
            self.stop_event.wait(max(0.0, MIN_CYCLE_S - (time.monotonic() - started)))
        master.port.flush()

    def stop(self) -> None:
        self.stop_event.set()


def line_runner_start_thread(line_code: str) -> LineRunner:
    runner = LineRunner(line_code)
    runner.acquire()
    thread = threading.Thread(target=_run_and_release, args=(runner,), name=f"dart-{line_code}", daemon=True)
    thread.start()
    runner.thread = thread
    return runner


def _run_and_release(runner: LineRunner) -> None:
    try:
        runner.run()
    finally:
        runner.release()
        connections.close_all()  # this thread's own: left open they outlive it (a restarted bridge leaks one)
