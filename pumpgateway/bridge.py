"""The DART master: polls every pump on one serial line, sends commands, and turns replies into
events for a store (the Django side, see pumpgateway/services.py). No Django here.

Per pump, after a fill completes the master (1) hands the final DC2 to the store and waits until it
is stored, (2) reads the nozzle's totals, (3) only then RESETs the pump: a fill is never lost.

A block the pump never acknowledged is given up after `max_retries` sends; its block number is never used
again (the pump may have applied it and lost only our ACK: a repeat of that number would be ACKed and
ignored), and the pump's state is *unknown* until a fresh CD1 return-status answer: no command goes out
before it. See docs/pumpgateway.md.
"""

import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from pumpgateway.dart.frames import Control, Frame, FrameError, FrameParser, encode_control, encode_data, next_block
from pumpgateway.dart.transactions import (
    CD1,
    CD5,
    CD101,
    DC1,
    DC2,
    DC3,
    DC5,
    DC7,
    DC101,
    Command,
    PumpStatus,
    Transaction,
    TransactionError,
    decode_transactions,
    encode_transactions,
)

logger = logging.getLogger(__name__)
COMPLETED_STATUSES = (PumpStatus.FILLING_COMPLETED, PumpStatus.MAX_REACHED)
STATE_COMMANDS = (Command.RESET, Command.STOP)  # after one is acknowledged, the pump's status is read again
TOTALS_RETRY_SECONDS = 1.0
PUMP_FAULT_REST_SECONDS = 1.0


@dataclass(frozen=True)
class OutboundCommand:
    """A block to send to one pump. command_id ties it to a stored command (None: the master's own)."""

    address: int
    transactions: tuple[Transaction, ...]
    command_id: int | None = None
    only_in_reset: bool = False  # AUTHORIZE: refused unless the pump is in RESET
    wait_for_reset: bool = False  # price updates: held back until the pump is in RESET


class BridgeStore(Protocol):
    def pending_commands(self) -> list[OutboundCommand]: ...
    def command_is_pending(self, command_id: int) -> bool: ...
    def command_sending(self, command_id: int) -> None: ...
    def command_result(
        self, command_id: int, *, delivered: bool, error: str = "", possibly_applied: bool = False
    ) -> None: ...
    def pump_online(self, address: int, online: bool) -> None: ...
    def pump_status(self, address: int, status: int, nozzle: int, lifted: bool) -> None: ...
    def nozzle_price(self, address: int, nozzle: int, price: int) -> None: ...
    def filling_progress(self, address: int, nozzle: int, volume: int, amount: int) -> None: ...
    def fill_completed(self, address: int, nozzle: int, volume: int, amount: int, price: int) -> int | None:
        """Store the fill; returns the logical nozzle it was attributed to (the authorization's) if known."""

    def totals(self, address: int, nozzle: int, total_volume: int, total_amount: int) -> None: ...
    def parameters(self, address: int, decimals: tuple[int, int, int] | None) -> None: ...
    def alarm(self, address: int, code: int) -> None: ...
    def bad_frame(self, address: int | None, reason: str) -> None: ...


@dataclass
class PumpLink:
    address: int
    tx_block: int = 0
    rx_block: int | None = None
    rx_data: bytes = b""
    online: bool | None = None
    failures: int = 0
    status: int | None = None
    nozzle: int = 0
    lifted: bool = False
    price: int = 0
    last_dc2: DC2 | None = None
    dc2_since_completion: bool = False
    fill_stored: bool = False
    totals_read: bool = False
    totals_requested_at: float = 0.0
    status_asked_at: float = 0.0
    filling_info_asked_at: float = 0.0
    resting_until: float = 0.0  # after an unexpected error in its handling
    totals_nozzle: int = 0  # the nozzle whose totals, read after a fill, let the master RESET the pump
    own_queue: deque = field(default_factory=deque)


class DartMaster:
    def __init__(
        self,
        port,
        nozzles_by_address: dict[int, list[int]],
        store: BridgeStore,
        *,
        reply_timeout: float = 0.05,
        max_retries: int = 3,
        fatal_errors: tuple[type[BaseException], ...] = (),
    ):
        self.port = port
        self.nozzles_by_address = nozzles_by_address
        addresses = sorted(nozzles_by_address)
        self.store = store
        self.reply_timeout = reply_timeout
        self.max_retries = max_retries
        self.pumps = {address: PumpLink(address) for address in addresses}
        self.commands: dict[int, deque[OutboundCommand]] = {address: deque() for address in addresses}
        self.parser = FrameParser()
        self.bytes_sent = 0
        self.fatal_errors = fatal_errors  # left to the runner (e.g. a lost database); others are per pump

    def enqueue(self, command: OutboundCommand) -> None:
        if command.address in self.commands and command not in self.commands[command.address]:
            self.commands[command.address].append(command)

    # --- the loop ---------------------------------------------------------------------------
    def cycle(self) -> None:
        for command in self.store.pending_commands():
            self.enqueue(command)
        now = time.monotonic()
        for pump in self.pumps.values():
            if pump.resting_until > now:
                continue
            try:
                self._service(pump)
            except self.fatal_errors:
                raise
            except Exception:
                # One pump's trouble (a bug, a bad value) must not stop the line: the others are served,
                # and this one is left alone for a moment so a repeating fault cannot spin the loop.
                logger.exception("pump handling failed", extra={"pump": f"0x{pump.address:02X}"})
                pump.resting_until = time.monotonic() + PUMP_FAULT_REST_SECONDS

    def _service(self, pump: PumpLink) -> None:
        self._advance_completion(pump)
        if pump.online and pump.status is None and not pump.own_queue and self._due(pump, "status_asked_at"):
            # Unknown and the pump volunteers nothing (our request may have been taken for a repeat): ask again.
            pump.own_queue.append(OutboundCommand(pump.address, (CD1(Command.RETURN_STATUS),)))
        if pump.own_queue:
            frame = self._frame(pump, pump.own_queue[0])
            if frame is None or self._send_data(pump, frame):
                pump.own_queue.popleft()
            return
        command = self._next_command(pump)
        if command is None:
            self._poll(pump)
            return
        # No "already in progress": an AUTHORIZE goes only to a pump seen in RESET since its last give-up,
        # so whatever the pump does next is this authorization's doing and nothing older.
        if command.only_in_reset and pump.status != PumpStatus.RESET:
            self.store.command_result(command.command_id, delivered=False, error=f"pump busy (status {pump.status})")
            return
        frame = self._frame(pump, command)
        if frame is None:
            self.store.command_result(command.command_id, delivered=False, error="command cannot be encoded")
            return
        if command.only_in_reset and command.command_id is not None:
            self.store.command_sending(command.command_id)  # durable before the frame leaves
        delivered = self._send_data(pump, frame)
        if command.command_id is not None:
            self.store.command_result(
                command.command_id,
                delivered=delivered,
                error="" if delivered else "pump did not acknowledge",
                possibly_applied=not delivered,
            )
        if delivered and any(isinstance(t, CD1) and t.command in STATE_COMMANDS for t in command.transactions):
            pump.own_queue.append(OutboundCommand(pump.address, (CD1(Command.RETURN_STATUS),)))
        if delivered and any(isinstance(t, CD5) for t in command.transactions):
            # Confirmed only by the pump's own answer: an idle pump's DC3 names no nozzle.
            pump.own_queue.append(OutboundCommand(pump.address, (CD1(Command.RETURN_PRICES),)))

    def _frame(self, pump: PumpLink, command: OutboundCommand) -> bytes | None:
        """The DATA block for a command, or None if a value does not fit the protocol (it is never sent)."""
        try:
            return encode_data(pump.address, pump.tx_block, encode_transactions(list(command.transactions)))
        except (TransactionError, ValueError) as error:
            logger.error("command cannot be encoded", extra={"pump": f"0x{pump.address:02X}", "error": str(error)})
            return None

    def _next_command(self, pump: PumpLink) -> OutboundCommand | None:
        """The first queued command that may go now; stale ones (cancelled meanwhile) are dropped."""
        queue = self.commands[pump.address]
        if not pump.online or pump.status is None:
            return None  # offline, or unknown until its status has been read again
        for _ in range(len(queue)):
            command = queue.popleft()
            if command.command_id is not None and not self.store.command_is_pending(command.command_id):
                continue
            if command.wait_for_reset and pump.status not in (PumpStatus.RESET, PumpStatus.NOT_PROGRAMMED):
                queue.append(command)
                continue
            return command
        return None

    def _write(self, data: bytes) -> None:
        self.port.write(data)
        self.bytes_sent += len(data)

    def _read_frame(self, address: int) -> Frame | None:
        """The next valid frame from this address; bad frames are counted. The reply window runs from the
        request and again from each byte received, so a long answer at 9600 baud is not cut off."""
        deadline = time.monotonic() + self.reply_timeout
        while time.monotonic() < deadline:
            chunk = self.port.read(max(1, getattr(self.port, "in_waiting", 0) or 1))
            if not chunk:
                continue
            deadline = time.monotonic() + self.reply_timeout
            for item in self.parser.feed(chunk):
                if isinstance(item, FrameError):
                    self.store.bad_frame(address, str(item))
                    continue
                if item.address == address:
                    return item
        return None

    def _exchange(self, pump: PumpLink, request: bytes) -> Frame | None:
        self.parser.reset()
        self.port.reset_input_buffer()
        self._write(request)
        return self._read_frame(pump.address)

    def _mark(self, pump: PumpLink, answered: bool) -> None:
        if answered:
            pump.failures = 0
            if pump.online is not True:
                pump.online = True
                self.store.pump_online(pump.address, True)
                if pump.status is None:
                    self.resynchronise_one(pump)
            return
        pump.failures += 1
        if pump.failures >= self.max_retries and pump.online is not False:
            pump.online = False
            pump.rx_block = None  # a pump that comes back restarts its block numbers
            pump.status = None  # and is read again from scratch (resynchronise_one) before any command
            self.store.pump_online(pump.address, False)

    def resynchronise_one(self, pump: PumpLink) -> None:
        """First answer after a (re)start: status, filling info and parameters, so a fill that completed
        while nobody was listening is recovered before anything else happens."""
        pump.status_asked_at = time.monotonic()
        pump.own_queue.append(
            OutboundCommand(
                pump.address,
                (
                    CD1(Command.RETURN_STATUS),
                    CD1(Command.RETURN_FILLING_INFO),
                    CD1(Command.RETURN_PARAMETERS),
                ),
            )
        )
        # Totalizer baselines, so the first fill's delta can be checked too.
        nozzles = self.nozzles_by_address.get(pump.address) or []
        if nozzles:
            pump.own_queue.append(OutboundCommand(pump.address, tuple(CD101(n) for n in nozzles)))

    def _send_data(self, pump: PumpLink, frame: bytes) -> bool:
        """Send one DATA block; resend with the same block number on timeout, bad frame or NAK. Given up
        after max_retries: the number is retired and the pump's state unknown until read again."""
        for _ in range(self.max_retries):
            reply = self._exchange(pump, frame)
            if reply is not None and reply.kind in (Control.ACK, Control.ACK_POLL) and reply.block == pump.tx_block:
                self._mark(pump, True)
                pump.tx_block = next_block(pump.tx_block)
                return True
            if reply is not None and reply.kind == Control.DATA:
                self._mark(pump, True)  # the pump talks instead of ACKing: take its block, resend ours
                self._accept_block(pump, reply)
        self._mark(pump, False)
        self._give_up(pump)
        return False

    def _give_up(self, pump: PumpLink) -> None:
        pump.tx_block = next_block(pump.tx_block)
        pump.status, pump.status_asked_at = None, time.monotonic()
        read_status = OutboundCommand(pump.address, (CD1(Command.RETURN_STATUS),))
        if read_status not in pump.own_queue:
            pump.own_queue.appendleft(read_status)
        logger.warning("pump did not acknowledge; its state is unknown", extra={"pump": f"0x{pump.address:02X}"})

    def _poll(self, pump: PumpLink) -> None:
        reply = self._exchange(pump, encode_control(pump.address, Control.POLL))
        self._mark(pump, reply is not None)
        if reply is not None and reply.kind == Control.DATA:
            self._accept_block(pump, reply)

    def _accept_block(self, pump: PumpLink, frame: Frame) -> None:
        self._write(encode_control(pump.address, Control.ACK | frame.block))
        if (frame.block, frame.data) == (pump.rx_block, pump.rx_data):
            # Our ACK was lost and the pump sent the block again: ACKed, not re-applied. Same number with
            # other data is a rebooted pump counting from 0 again: new news, applied.
            return
        try:
            transactions = decode_transactions(frame.data, from_pump=True)
        except TransactionError as error:
            self.store.bad_frame(pump.address, str(error))
            return
        pump.rx_block, pump.rx_data = frame.block, frame.data
        self._apply(pump, transactions)

    # --- application layer -----------------------------------------------------------------
    def _apply(self, pump: PumpLink, transactions: list[Transaction]) -> None:
        status_seen = None
        for transaction in transactions:
            match transaction:
                case DC2():
                    pump.last_dc2 = transaction
                    if pump.status in COMPLETED_STATUSES:
                        pump.dc2_since_completion = True
                    elif pump.status in (PumpStatus.FILLING, PumpStatus.SUSPENDED):
                        self.store.filling_progress(pump.address, pump.nozzle, transaction.volume, transaction.amount)
                case DC3():
                    if transaction.nozzle:
                        pump.nozzle = transaction.nozzle
                        self.store.nozzle_price(pump.address, transaction.nozzle, transaction.price)
                    elif self.nozzles_by_address.get(pump.address, [])[:2] == [1]:
                        # Nozzle 0 on a one-nozzle pump: the price can only be that nozzle's.
                        self.store.nozzle_price(pump.address, 1, transaction.price)
                    pump.price = transaction.price  # with nozzle 0 after a hang-up: the sale's price
                    pump.lifted = transaction.lifted
                case DC1():
                    status_seen = transaction.status
                    if pump.status in COMPLETED_STATUSES and transaction.status not in COMPLETED_STATUSES:
                        # The pump left a completion within this block (a RESET reached it before we polled
                        # its DC2 and status 5): the fill is handed to the store before that status counts.
                        self._advance_completion(pump)
                    self._status(pump, transaction.status, dc2_in_block=any(isinstance(t, DC2) for t in transactions))
                case DC101():
                    if pump.status in COMPLETED_STATUSES and not pump.fill_stored:
                        # A fill finished while no bridge listened (e.g. after a restart): these totals
                        # already include it, so as a baseline they would hide its delta. Re-read later.
                        continue
                    self.store.totals(
                        pump.address, transaction.nozzle, transaction.total_volume, transaction.total_amount_1
                    )
                    if (
                        pump.status in COMPLETED_STATUSES
                        and pump.fill_stored
                        and transaction.nozzle == pump.totals_nozzle
                    ):
                        pump.totals_read = True
                        pump.own_queue.append(OutboundCommand(pump.address, (CD1(Command.RESET),)))
                case DC5():
                    self.store.alarm(pump.address, transaction.alarm)
                case DC7():
                    self.store.parameters(pump.address, transaction.decimals)
        if status_seen is None and pump.status is not None:
            self.store.pump_status(pump.address, pump.status, pump.nozzle, pump.lifted)
        self._advance_completion(pump)

    def _status(self, pump: PumpLink, status: int, *, dc2_in_block: bool) -> None:
        entering_completion = status in COMPLETED_STATUSES and pump.status not in COMPLETED_STATUSES
        pump.status = status
        if entering_completion:
            pump.dc2_since_completion = dc2_in_block
            pump.fill_stored = pump.totals_read = False
        if status not in COMPLETED_STATUSES:
            pump.fill_stored = pump.totals_read = False
        self.store.pump_status(pump.address, status, pump.nozzle, pump.lifted)

    @staticmethod
    def _due(pump: PumpLink, stamp: str) -> bool:
        """Whether TOTALS_RETRY_SECONDS passed since the time in pump.<stamp>; if so it is renewed."""
        now = time.monotonic()
        if now - getattr(pump, stamp) < TOTALS_RETRY_SECONDS:
            return False
        setattr(pump, stamp, now)
        return True

    def _advance_completion(self, pump: PumpLink) -> None:
        if pump.status not in COMPLETED_STATUSES or pump.totals_read:
            return
        if pump.fill_stored:
            if not pump.own_queue and time.monotonic() - pump.totals_requested_at > TOTALS_RETRY_SECONDS:
                self._request_totals(pump)
            return
        if not pump.dc2_since_completion or pump.last_dc2 is None:
            # The answer comes only when the pump is polled, and a queued command is sent instead of a poll:
            # asked every cycle, the pump would never be polled and the completion never seen (its unsent
            # answers piling up). So ask at most once a TOTALS_RETRY_SECONDS and poll in between.
            if not pump.own_queue and self._due(pump, "filling_info_asked_at"):
                pump.own_queue.append(OutboundCommand(pump.address, (CD1(Command.RETURN_FILLING_INFO),)))
            return
        dc2 = pump.last_dc2
        # The store commits the fill before returning; only then do we move on towards RESET. A pump that
        # reports nozzle 0 (hung up, DC3 with none selected) gets the nozzle of its open authorization.
        attributed = self.store.fill_completed(pump.address, pump.nozzle, dc2.volume, dc2.amount, pump.price)
        pump.totals_nozzle = attributed or pump.nozzle
        pump.fill_stored = True
        self._request_totals(pump)

    def _request_totals(self, pump: PumpLink) -> None:
        """CD101 for the fill's nozzle, or every nozzle if nobody knows it; the last answer lets RESET go."""
        nozzles = [pump.totals_nozzle] if pump.totals_nozzle else (self.nozzles_by_address.get(pump.address) or [1])
        pump.totals_nozzle = nozzles[-1]
        pump.totals_requested_at = time.monotonic()
        pump.own_queue.append(OutboundCommand(pump.address, tuple(CD101(n) for n in nozzles)))
