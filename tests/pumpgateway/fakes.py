"""The one in-memory BridgeStore for tests and benchmarks (bench/dart_bench.py): the DART master without
Django. Commands are handed in through `pending`; everything the master reports is recorded in order."""

from dataclasses import dataclass, field


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
