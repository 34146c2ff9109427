"""DART figures: codec throughput, the poll cycle for 8 pumps on a real pty, and authorize latency.

    make bench        # or: python bench/dart_bench.py [--cycles 300] [--authorizations 200]

No database: the master talks to the forecourt simulator (its own process) over a pty; the tests'
recording store (tests/pumpgateway/fakes.py) stands in for Django. The line's physical time is what the
same bytes would take on a 9600-baud 8O1 wire: 11 bits per byte = 1.146 ms.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import serial  # noqa: E402

from pumpgateway.bridge import DartMaster, OutboundCommand  # noqa: E402
from pumpgateway.dart.frames import FrameParser, encode_control, encode_data  # noqa: E402
from pumpgateway.dart.transactions import (  # noqa: E402
    CD1,
    CD2,
    CD4,
    DC1,
    DC2,
    DC3,
    Command,
    PumpStatus,
    decode_transactions,
    encode_transactions,
)
from pumpgateway.ptys import pty_parity_clear  # noqa: E402
from tests.pumpgateway.fakes import RecordingStore  # noqa: E402

MS_PER_BYTE_9600_8O1 = 11 / 9600 * 1000
PUMPS = 8
FIRST_ADDRESS = 0x50


class CountingPort:
    """The serial port, counting bytes both ways."""

    def __init__(self, port):
        self.port, self.written, self.read_bytes = port, 0, 0

    def write(self, data):
        self.written += len(data)
        return self.port.write(data)

    def read(self, size):
        data = self.port.read(size)
        self.read_bytes += len(data)
        return data

    def __getattr__(self, name):
        return getattr(self.port, name)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def codec_frames_per_second(seconds: float = 2.0) -> tuple[float, float]:
    reply = encode_transactions([DC1(PumpStatus.FILLING), DC2(123456, 907654), DC3(735, 1, True)])
    parser, count, start = FrameParser(), 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        frame = encode_data(FIRST_ADDRESS, count & 0x0F, reply)
        for decoded in parser.feed(frame):
            decode_transactions(decoded.data, from_pump=True)
        count += 1
    data_rate = count / (time.perf_counter() - start)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        parser.feed(encode_control(FIRST_ADDRESS, 0x20))
        count += 1
    return data_rate, count / (time.perf_counter() - start)


def start_simulator(link: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "pumpgateway.simulator", "--pumps", str(PUMPS), "--nozzles", "1", "--link", link],
        cwd=Path(__file__).resolve().parent.parent,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not os.path.exists(link):
        if time.monotonic() > deadline:
            raise RuntimeError("simulator did not start")
        time.sleep(0.05)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--authorizations", type=int, default=200)
    args = parser.parse_args()

    data_rate, control_rate = codec_frames_per_second()
    print(
        f"codec, one core: {data_rate:,.0f} data frames/s (DC1+DC2+DC3 encoded, parsed, decoded), "
        f"{control_rate:,.0f} poll frames/s parsed"
    )

    with tempfile.TemporaryDirectory() as scratch:
        link = str(Path(scratch) / "pump-line")
        simulator = start_simulator(link)
        try:
            pty_parity_clear(link)
            raw = serial.serial_for_url(link, baudrate=9600, bytesize=8, parity="O", stopbits=1, timeout=0.005)
            port, store = CountingPort(raw), RecordingStore()
            addresses = [FIRST_ADDRESS + n for n in range(PUMPS)]
            master = DartMaster(port, {address: [1] for address in addresses}, store)
            for _ in range(30):  # bring every pump online (link setup, status, parameters)
                master.cycle()
            durations, wire = [], []
            for _ in range(args.cycles):
                before, start = port.written + port.read_bytes, time.perf_counter()
                master.cycle()
                durations.append((time.perf_counter() - start) * 1000)
                wire.append((port.written + port.read_bytes - before) * MS_PER_BYTE_9600_8O1)
            print(
                f"poll cycle, {PUMPS} idle pumps on a pty: median {statistics.median(durations):.1f} ms, "
                f"p95 {percentile(durations, 0.95):.1f} ms; the same bytes on a 9600-baud wire: "
                f"{statistics.median(wire):.1f} ms"
            )

            latencies, target = [], addresses[0]
            for n in range(args.authorizations):
                store.pending.append(
                    OutboundCommand(target, (CD2((1,)), CD4(10000), CD1(Command.AUTHORIZE)), 2 * n, only_in_reset=True)
                )
                start = time.perf_counter()
                while store.status.get(target) != PumpStatus.AUTHORIZED:
                    master.cycle()
                latencies.append((time.perf_counter() - start) * 1000)
                store.pending.append(OutboundCommand(target, (CD1(Command.RESET),), 2 * n + 1))
                while store.status.get(target) != PumpStatus.RESET:
                    master.cycle()
            print(
                f"authorize queued → pump reports AUTHORIZED ({PUMPS} pumps polled), n={len(latencies)}: "
                f"p50 {percentile(latencies, 0.5):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
                f"p99 {percentile(latencies, 0.99):.1f} ms"
            )
            raw.close()
        finally:
            simulator.terminate()
            simulator.wait(timeout=5)


if __name__ == "__main__":
    main()
