"""A DART forecourt simulator: N pumps × nozzles behind one serial line (a pty or a TCP socket),
with a filling engine, totalizers and fault injection, driven by a small HTTP control API.

It is a separate process from the bridge and shares nothing with it but the serial bytes.
Run: python -m pumpgateway.simulator --pumps 4  (or manage.py simulate_forecourt)
"""

import argparse
import json
import os
import random
import select
import signal
import socket
import sys
import termios
import threading
import time
import tty
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from pumpgateway.dart.frames import Control, Frame, FrameError, FrameParser, encode_control, encode_data, next_block
from pumpgateway.dart.transactions import (
    CD1,
    CD2,
    CD3,
    CD4,
    CD5,
    CD101,
    DC1,
    DC2,
    DC3,
    DC7,
    DC101,
    Command,
    PumpStatus,
    TransactionError,
    decode_transactions,
    encode_transactions,
)

PROGRESS_INTERVAL_S = 0.2
PACED_CHUNK = 4  # bytes written at a time in --baud mode (4 bytes ≈ 4.6 ms at 9600)


@dataclass
class Faults:
    bad_crc_rate: float = 0.0
    drop_rate: float = 0.0
    lost_ack_rate: float = 0.0
    slow_rate: float = 0.0
    slow_ms: int = 200
    drop_acks: int = 0  # the next N ACKs of the master's DATA blocks are lost (the blocks are applied)
    late_acks: int = 0  # the next N ACKs come too late: with the answer to the master's next frame
    eot_answers: int = 0  # the next N DATA blocks are answered with EOT (not applied)


@dataclass
class SimNozzle:
    price: int
    total_volume: int = 0  # in pump volume units (centilitres at 2 decimals)
    total_amount: int = 0


@dataclass
class SimPump:
    address: int
    nozzles: dict[int, SimNozzle]
    volume_decimals: int = 2
    amount_decimals: int = 2
    price_decimals: int = 2
    flow_ml_per_s: float = 500.0
    status: int = PumpStatus.RESET
    selected: int = 0  # the nozzle out of its holster (DC3 reports 0 once it is hung up)
    fill_nozzle: int = 0  # the nozzle of the current or last fill, until RESET
    lifted: bool = False
    allowed: tuple[int, ...] = ()
    preset_amount: int | None = None
    preset_volume: int | None = None
    volume_ml: float = 0.0
    powered: bool = True
    outbox: list = field(default_factory=list)
    unacked: bytes | None = None
    tx_block: int = 0
    rx_block: int | None = None
    last_progress: float = 0.0
    last_tick: float | None = None
    fills_completed: int = 0

    # --- units -----------------------------------------------------------------------------
    def volume_units(self) -> int:
        return int(self.volume_ml) // 10 ** (3 - self.volume_decimals)

    def amount_units(self) -> int:
        price = self.nozzles[self.fill_nozzle].price if self.fill_nozzle else 0
        # amount = volume × price with half-up rounding, as a pump's computer does
        scale = 10 ** (self.volume_decimals + self.price_decimals - self.amount_decimals)
        return (self.volume_units() * price + scale // 2) // scale

    def state(self) -> dict:
        return {
            "address": self.address,
            "status": int(self.status),
            "selected": self.selected,
            "lifted": self.lifted,
            "volume": self.volume_units(),
            "amount": self.amount_units(),
            "powered": self.powered,
            "fills_completed": self.fills_completed,
            "unsent_bytes": len(self.unacked or b""),
            "tx_block": self.tx_block,
            "rx_block": self.rx_block,
            "nozzles": {n: {"price": z.price, "total_volume": z.total_volume} for n, z in self.nozzles.items()},
        }

    # --- events ----------------------------------------------------------------------------
    def _report(self, *transactions) -> None:
        self.outbox.extend(transactions)

    def _dc3(self) -> DC3:
        nozzle = self.selected or self.fill_nozzle or next(iter(self.nozzles))  # PRI: the sale's price
        return DC3(self.nozzles[nozzle].price, self.selected, self.lifted)

    def _complete(self, status: int) -> None:
        nozzle = self.nozzles[self.fill_nozzle]
        nozzle.total_volume += self.volume_units()
        nozzle.total_amount += self.amount_units()
        self.status = status
        self.fills_completed += 1
        self._report(DC2(self.volume_units(), self.amount_units()), self._dc3(), DC1(status))

    def lift(self, nozzle: int) -> None:
        if nozzle not in self.nozzles or self.lifted:
            return
        self.lifted, self.selected = True, nozzle
        if self.status == PumpStatus.AUTHORIZED and (not self.allowed or nozzle in self.allowed):
            self.status, self.fill_nozzle = PumpStatus.FILLING, nozzle
            self.volume_ml = 0.0
        self._report(self._dc3(), DC1(self.status))

    def hang_up(self) -> None:
        if not self.lifted:
            return
        self.lifted, self.selected = False, 0  # back in the holster: DC3 names no nozzle
        if self.status in (PumpStatus.FILLING, PumpStatus.SUSPENDED):
            self._complete(PumpStatus.FILLING_COMPLETED)
        else:
            self._report(self._dc3(), DC1(self.status))

    def tick(self, dt: float, now: float) -> None:
        if not self.powered or self.status != PumpStatus.FILLING:
            return
        self.volume_ml += self.flow_ml_per_s * dt
        limit_reached = False
        if self.preset_volume is not None and self.volume_units() >= self.preset_volume:
            self.volume_ml = self.preset_volume * 10 ** (3 - self.volume_decimals)
            limit_reached = True
        price = self.nozzles[self.fill_nozzle].price
        if self.preset_amount is not None and self.amount_units() >= self.preset_amount:
            # stop on the last whole volume unit the preset pays for
            scale = 10 ** (self.volume_decimals + self.price_decimals - self.amount_decimals)
            units = self.preset_amount * scale // price
            self.volume_ml = units * 10 ** (3 - self.volume_decimals)
            limit_reached = True
        if limit_reached:
            self._complete(PumpStatus.MAX_REACHED)
        elif now - self.last_progress >= PROGRESS_INTERVAL_S:
            self.last_progress = now
            self._report(DC2(self.volume_units(), self.amount_units()))

    def reboot(self) -> None:
        """The pump computer restarts: block numbers from 0, status NOT PROGRAMMED (a stored fill is kept)."""
        self.unacked, self.rx_block, self.tx_block, self.outbox = None, None, 0, []
        if self.status not in (PumpStatus.FILLING_COMPLETED, PumpStatus.MAX_REACHED, PumpStatus.FILLING):
            self.status, self.fill_nozzle, self.volume_ml = PumpStatus.NOT_PROGRAMMED, 0, 0.0
            self.preset_amount = self.preset_volume = None
            self.allowed = ()
        self._report(DC1(self.status))

    def power(self, on: bool) -> None:
        if not on and self.status in (PumpStatus.FILLING, PumpStatus.SUSPENDED):
            self._complete(PumpStatus.FILLING_COMPLETED)  # flow stops; the fill so far is kept
        self.powered = on
        if on:
            self.unacked, self.rx_block, self.tx_block = None, None, 0  # a restart resets block numbers

    # --- commands --------------------------------------------------------------------------
    def apply(self, transactions: list) -> None:
        for transaction in transactions:
            match transaction:
                case CD2(nozzles=nozzles):
                    self.allowed = nozzles
                case CD3(volume=volume):
                    self.preset_volume, self.preset_amount = volume, None
                case CD4(amount=amount):
                    self.preset_amount, self.preset_volume = amount, None
                case CD5(prices=prices) if self.status in (PumpStatus.RESET, PumpStatus.NOT_PROGRAMMED):
                    for number, price in zip(sorted(self.nozzles), prices, strict=False):
                        self.nozzles[number].price = price
                case CD101(nozzle=nozzle) if nozzle in self.nozzles:
                    z = self.nozzles[nozzle]
                    self._report(DC101(nozzle, z.total_volume, z.total_amount, 0))
                case CD1(command=command):
                    self._command(command)

    def _command(self, command: Command) -> None:
        s = self.status
        if command == Command.AUTHORIZE and s == PumpStatus.RESET:
            if self.lifted and (not self.allowed or self.selected in self.allowed):
                self.status, self.fill_nozzle = PumpStatus.FILLING, self.selected
            else:
                self.status = PumpStatus.AUTHORIZED
            self.volume_ml = 0.0
        elif command == Command.RESET and s not in (PumpStatus.FILLING, PumpStatus.SUSPENDED):
            self.status, self.volume_ml = PumpStatus.RESET, 0.0
            self.preset_amount = self.preset_volume = None
            self.allowed, self.fill_nozzle = (), 0
        elif command == Command.STOP and s in (PumpStatus.FILLING, PumpStatus.SUSPENDED):
            self._complete(PumpStatus.FILLING_COMPLETED)
            return
        elif command == Command.STOP and s == PumpStatus.AUTHORIZED:
            self.status = PumpStatus.RESET  # zero sale: never lifted
        elif command == Command.SUSPEND and s == PumpStatus.FILLING:
            self.status = PumpStatus.SUSPENDED
        elif command == Command.RESUME and s == PumpStatus.SUSPENDED:
            self.status = PumpStatus.FILLING
        elif command == Command.SWITCH_OFF:
            self.status = PumpStatus.SWITCHED_OFF
        elif command == Command.RETURN_FILLING_INFO:
            self._report(self._dc3(), DC2(self.volume_units(), self.amount_units()))
        elif command == Command.RETURN_PARAMETERS:
            self._report(
                DC7.with_decimals(volume=self.volume_decimals, amount=self.amount_decimals, price=self.price_decimals)
            )
        elif command == Command.RETURN_PRICES:  # one DC3 per nozzle, each naming its nozzle
            for number in sorted(self.nozzles):
                self._report(DC3(self.nozzles[number].price, number, self.lifted and number == self.selected))
        self._report(DC1(self.status))


class Forecourt:
    """The slave side of the line: answers the master's frames for every simulated pump."""

    def __init__(self, pumps: list[SimPump], faults: Faults | None = None, seed: int | None = None):
        self.pumps = {pump.address: pump for pump in pumps}
        self.faults = faults or Faults()
        self.lock = threading.Lock()
        self.random = random.Random(seed)
        self.parser = FrameParser()
        self.frames_in = self.frames_bad = 0
        self.late: list[bytes] = []

    def tick(self) -> None:
        now = time.monotonic()
        with self.lock:
            for pump in self.pumps.values():
                pump.tick(now - (pump.last_tick or now), now)
                pump.last_tick = now

    def receive(self, data: bytes) -> list[bytes]:
        """Bytes in from the master; the byte strings to send back, in order."""
        replies, self.late = self.late, []  # late ACKs go out ahead of the next answer
        for item in self.parser.feed(data):
            if isinstance(item, FrameError):
                self.frames_bad += 1
                continue
            self.frames_in += 1
            with self.lock:
                reply = self._answer(item)
            if reply is not None:
                replies.append(self._corrupt(reply))
        return replies

    def _answer(self, frame: Frame) -> bytes | None:
        pump = self.pumps.get(frame.address)
        if pump is None or not pump.powered:
            return None
        kind = frame.kind
        if kind == Control.POLL:
            if pump.unacked is None and pump.outbox:
                pump.unacked = encode_data(pump.address, pump.tx_block, encode_transactions(pump.outbox))
                pump.outbox = []
            return (
                pump.unacked if pump.unacked is not None else encode_control(pump.address, Control.EOT | pump.tx_block)
            )
        if kind == Control.ACK:
            if pump.unacked is not None and frame.block == pump.tx_block:
                if self.random.random() < self.faults.lost_ack_rate:
                    return None  # as if the ACK never arrived: the same block is sent again
                pump.unacked = None
                pump.tx_block = next_block(pump.tx_block)
            return None
        if kind == Control.DATA:
            if self.faults.eot_answers > 0:
                self.faults.eot_answers -= 1
                return encode_control(pump.address, Control.EOT | pump.tx_block)
            if frame.block != pump.rx_block:  # a repeat of the last accepted block is ACKed, not applied
                try:
                    transactions = decode_transactions(frame.data, from_pump=False)
                except TransactionError:
                    return encode_control(pump.address, Control.NAK | frame.block)
                pump.rx_block = frame.block
                pump.apply(transactions)
            if self.faults.drop_acks > 0:
                self.faults.drop_acks -= 1
                return None
            if self.faults.late_acks > 0:
                self.faults.late_acks -= 1
                self.late.append(encode_control(pump.address, Control.ACK | frame.block))
                return None
            return encode_control(pump.address, Control.ACK | frame.block)
        return None

    def _corrupt(self, reply: bytes) -> bytes:
        roll = self.random.random()
        if roll < self.faults.bad_crc_rate and len(reply) > 4:
            index = self.random.randrange(2, len(reply) - 3)
            return reply[:index] + bytes([reply[index] ^ 0x01]) + reply[index + 1 :]
        if roll < self.faults.bad_crc_rate + self.faults.drop_rate and len(reply) > 3:
            index = self.random.randrange(0, len(reply) - 1)
            return reply[:index] + reply[index + 1 :]
        return reply

    def slow_delay(self) -> float:
        return self.faults.slow_ms / 1000 if self.random.random() < self.faults.slow_rate else 0.0

    def control(self, pump_number: int, action: str, body: dict) -> dict:
        with self.lock:
            if action == "faults":
                for key, value in body.items():
                    if hasattr(self.faults, key):
                        setattr(self.faults, key, type(getattr(self.faults, key))(value))
                return {"faults": self.faults.__dict__}
            pump = self.pumps[0x50 + pump_number - 1]
            if action == "lift":
                pump.lift(int(body.get("nozzle", 1)))
            elif action == "hangup":
                pump.hang_up()
            elif action == "power":
                pump.power(bool(body.get("on", True)))
            elif action == "reboot":
                pump.reboot()
            elif action == "flow":
                pump.flow_ml_per_s = float(body["ml_per_s"])
            else:
                raise KeyError(action)
            return pump.state()

    def snapshot(self) -> dict:
        with self.lock:
            return {
                "pumps": {a - 0x4F: p.state() for a, p in self.pumps.items()},
                "frames_in": self.frames_in,
                "frames_bad": self.frames_bad,
            }


def control_server(forecourt: Forecourt, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def _send(self, status: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802
            self._send(200, forecourt.snapshot())

        def do_POST(self):  # noqa: N802
            parts = self.path.strip("/").split("/")
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                if parts == ["faults"]:
                    self._send(200, forecourt.control(0, "faults", body))
                elif len(parts) == 3 and parts[0] == "pumps":
                    self._send(200, forecourt.control(int(parts[1]), parts[2], body))
                else:
                    self._send(404, {"error": "unknown path"})
            except (KeyError, ValueError) as error:
                self._send(400, {"error": str(error)})

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class _Line:
    """The simulator's end of the wire: a pty master, or one accepted TCP connection at a time."""

    def __init__(self, *, tcp_port: int | None, link: str | None):
        self.listener = self.conn = None
        self.slave_fd = None
        if tcp_port is not None:
            self.listener = socket.create_server(("127.0.0.1", tcp_port))
            self.name = f"socket://127.0.0.1:{self.listener.getsockname()[1]}"
            return
        master, slave = os.openpty()
        tty.setraw(slave)
        attributes = termios.tcgetattr(slave)
        attributes[3] &= ~termios.ECHO
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        # Keeping our own slave fd open means the master never sees EIO when the bridge closes it.
        self.master, self.slave_fd = master, slave
        self.name = os.ttyname(slave)
        if link:
            if os.path.islink(link):
                os.unlink(link)
            os.symlink(self.name, link)
            self.name = link

    def readable(self):
        if self.listener is None:
            return [self.master]
        return [self.conn] if self.conn else [self.listener]

    def read(self, ready) -> bytes:
        if self.listener is None:
            return os.read(self.master, 4096)
        if ready is self.listener:
            self.conn, _ = self.listener.accept()
            self.conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return b""
        data = self.conn.recv(4096)
        if not data:
            self.conn.close()
            self.conn = None
        return data

    def write(self, data: bytes) -> None:
        if self.listener is None:
            os.write(self.master, data)
        elif self.conn is not None:
            try:
                self.conn.sendall(data)
            except OSError:
                self.conn = None


def build_pumps(*, pumps: int, nozzles: int, prices: list[int], flow_ml_per_s: float) -> list[SimPump]:
    return [
        SimPump(
            address=0x50 + i,
            flow_ml_per_s=flow_ml_per_s,
            nozzles={n: SimNozzle(price=prices[(n - 1) % len(prices)]) for n in range(1, nozzles + 1)},
        )
        for i in range(pumps)
    ]


def serve(forecourt: Forecourt, line: _Line, stop: threading.Event, *, baud: int | None = None) -> None:
    """Answer the master. With a baud rate, bytes take as long as on a real 8O1 line (11 bits each):
    the master's frame is only complete that long after its first byte, and the answer as long again."""
    byte_s = 11 / baud if baud else 0.0
    while not stop.is_set():
        ready, _, _ = select.select(line.readable(), [], [], 0.01)
        forecourt.tick()
        for source in ready:
            data = line.read(source)
            if byte_s and data:
                time.sleep(len(data) * byte_s)
            for reply in forecourt.receive(data):
                delay = forecourt.slow_delay()
                if delay:
                    time.sleep(delay)
                if not byte_s:
                    line.write(reply)
                    continue
                for start in range(0, len(reply), PACED_CHUNK):  # the answer trickles in as on the wire
                    chunk = reply[start : start + PACED_CHUNK]
                    time.sleep(len(chunk) * byte_s)
                    line.write(chunk)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="DART forecourt simulator")
    parser.add_argument("--pumps", type=int, default=4)
    parser.add_argument("--nozzles", type=int, default=2)
    parser.add_argument("--prices", default="735,780", help="unit prices per logical nozzle, pump units")
    parser.add_argument("--flow-ml-per-s", type=float, default=500.0)
    parser.add_argument("--tcp-port", type=int, help="listen on socket://127.0.0.1:PORT instead of a pty")
    parser.add_argument("--link", help="also make this path a symlink to the pty")
    parser.add_argument("--control-port", type=int, default=0)
    parser.add_argument("--bad-crc-rate", type=float, default=0.0)
    parser.add_argument("--drop-rate", type=float, default=0.0)
    parser.add_argument("--lost-ack-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--baud", type=int, help="pace bytes as a real 8O1 line at this rate (e.g. 9600)")
    parser.add_argument("--start-authorized", type=int, default=0, help="this many pumps start AUTHORIZED")
    args = parser.parse_args(argv)
    pumps = build_pumps(
        pumps=args.pumps,
        nozzles=args.nozzles,
        prices=[int(p) for p in args.prices.split(",")],
        flow_ml_per_s=args.flow_ml_per_s,
    )
    faults = Faults(bad_crc_rate=args.bad_crc_rate, drop_rate=args.drop_rate, lost_ack_rate=args.lost_ack_rate)
    for pump in pumps[: args.start_authorized]:
        pump.status = PumpStatus.AUTHORIZED  # left so by another controller: not ours to fuel
    forecourt = Forecourt(pumps, faults, seed=args.seed)
    line = _Line(tcp_port=args.tcp_port, link=args.link)
    server = control_server(forecourt, args.control_port)
    print(f"serial: {line.name}", flush=True)
    print(f"control: http://127.0.0.1:{server.server_address[1]}", flush=True)
    print(f"pumps: {args.pumps} x {args.nozzles} nozzles at 0x50-0x{0x4F + args.pumps:02X}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        serve(forecourt, line, stop, baud=args.baud)
    except KeyboardInterrupt:
        pass
    finally:
        if args.link and os.path.islink(args.link):
            os.unlink(args.link)
        server.shutdown()
    sys.exit(0)


if __name__ == "__main__":
    main()
