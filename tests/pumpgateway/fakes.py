"""The one in-memory BridgeStore for tests and benchmarks (bench/dart_bench.py): the DART master without
Django. Commands are handed in through `pending`; everything the master reports is recorded in order.
MemoryLine: a serial port whose far end is the forecourt simulator, in memory."""

from dataclasses import dataclass, field

from pumpgateway.simulator import Forecourt


@dataclass
class RecordingStore:
    events: list = field(default_factory=list)  # (method name, *arguments) for every report
    pending: list = field(default_factory=list)  # OutboundCommands the master picks up on its next cycle
    results: dict = field(default_factory=dict)  # command id → (delivered, error)
    status: dict = field(default_factory=dict)  # pump address → last reported DART status

    def pending_commands(self):
        commands, self.pending = self.pending, []
        return commands

    def command_is_pending(self, command_id):
        return command_id not in self.results

    possibly_applied: set = field(default_factory=set)  # command ids given up on without an ACK

    def command_result(self, command_id, *, delivered, error="", possibly_applied=False):
        self.results[command_id] = (delivered, error)
        if possibly_applied:
            self.possibly_applied.add(command_id)

    def pump_status(self, address, status, nozzle, lifted):
        self.status[address] = status
        self.events.append(("pump_status", address, status, nozzle, lifted))

    def __getattr__(self, name):  # every other report is recorded as an event
        return lambda *args, **kwargs: self.events.append((name, *args))

    def named(self, name):
        return [event for event in self.events if event[0] == name]


class MemoryLine:
    """A serial port whose far end is the simulator: each write is answered into the read buffer."""

    def __init__(self, forecourt: Forecourt):
        self.forecourt = forecourt
        self.buffer = bytearray()
        self.in_waiting = 0

    def write(self, data: bytes) -> None:
        self.forecourt.tick()
        for reply in self.forecourt.receive(data):
            self.buffer += reply
        self.in_waiting = len(self.buffer)

    def read(self, size: int) -> bytes:
        chunk, self.buffer = bytes(self.buffer[:size]), self.buffer[size:]
        self.in_waiting = len(self.buffer)
        return chunk

    def reset_input_buffer(self) -> None:
        self.buffer.clear()
        self.in_waiting = 0
