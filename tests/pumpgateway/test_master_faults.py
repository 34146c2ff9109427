"""Issue 11 at the DART master: lost ACKs, restarts and nozzle-0 reports must never give free fuel nor
attribute a fill to the wrong sale. Each test failed on the bridge before that issue was fixed."""

import time

import pytest

from pumpgateway.bridge import DartMaster, OutboundCommand
from pumpgateway.dart.transactions import CD1, CD2, CD4, CD5, Command, PumpStatus
from pumpgateway.simulator import Forecourt, build_pumps
from tests.pumpgateway.fakes import MemoryLine, RecordingStore

NOZZLES = {0x50: [1, 2], 0x51: [1, 2]}


@pytest.fixture
def forecourt():
    return Forecourt(build_pumps(pumps=2, nozzles=2, prices=[735, 780], flow_ml_per_s=20_000), seed=11)


def _master(forecourt, store=None) -> DartMaster:
    return DartMaster(MemoryLine(forecourt), NOZZLES, store or RecordingStore(), reply_timeout=0.01)


def run(master, cycles=5):
    for _ in range(cycles):
        master.cycle()


def run_until(master, predicate, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        master.cycle()
    assert predicate()


def _authorize(master, amount, command_id, address=0x50):
    master.store.pending.append(
        OutboundCommand(address, (CD2((1,)), CD4(amount), CD1(Command.AUTHORIZE)), command_id, only_in_reset=True)
    )


def _reset(master, command_id, address=0x50):
    master.store.pending.append(OutboundCommand(address, (CD1(Command.RESET),), command_id))


def test_a_reset_after_a_given_up_authorize_gets_a_new_block_number_and_is_applied(forecourt):
    """Case 2: the pump applied AUTHORIZE but its ACK was lost three times. The RESET that follows must not
    reuse the abandoned block number, or the pump ACKs it as a repeat, ignores it and stays AUTHORIZED."""
    master, pump = _master(forecourt), forecourt.pumps[0x50]
    run(master)
    forecourt.faults.drop_acks = 3
    _authorize(master, 3_000, command_id=1)
    run(master, 2)
    assert master.store.results[1] == (False, "pump did not acknowledge")
    assert pump.status == PumpStatus.AUTHORIZED  # the pump did apply it
    _reset(master, command_id=2)
    run_until(master, lambda: 2 in master.store.results)
    assert master.store.results[2] == (True, "")
    assert pump.status == PumpStatus.RESET
    assert 1 in master.store.possibly_applied  # the store keeps the hold until the pump is seen in RESET


def test_after_giving_up_the_pump_status_is_read_before_any_new_command(forecourt):
    master = _master(forecourt)
    run(master)
    forecourt.faults.drop_acks = 3
    _authorize(master, 3_000, command_id=1)
    run(master, 1)
    assert master.pumps[0x50].status is None  # unknown
    data_frames = []
    original = master.port.write
    master.port.write = lambda data: (data_frames.append(data) if data[1] & 0xF0 == 0x30 else None, original(data))
    _reset(master, command_id=2)
    run_until(master, lambda: master.pumps[0x50].status == PumpStatus.RESET)
    assert data_frames[0][2:5] == bytes([0x01, 0x01, Command.RETURN_STATUS])  # CD1 return status first
    assert master.store.results[2] == (True, "")


def test_blocks_given_up_under_late_acks_are_never_reused(forecourt):
    """Case 2 under plain load: a CD5 'failed' on ACKs arriving too late; the next block must not reuse its number."""
    master = _master(forecourt)
    run(master)
    before = master.pumps[0x50].tx_block
    forecourt.faults.drop_acks = 3
    _reset(master, command_id=1)
    run(master, 1)
    assert master.pumps[0x50].tx_block != before


def test_a_fill_completed_with_nozzle_0_while_the_bridge_was_down_is_stored_and_the_pump_reset(forecourt):
    """Case 1: bridge killed mid-fill, the driver hangs up meanwhile; the pump reports status 5 with DC3
    nozzle 0. The restarted master must still store the fill and RESET the pump."""
    first = _master(forecourt)
    run(first)
    _authorize(first, 100_000, command_id=1)
    run(first, 3)
    forecourt.control(1, "lift", {"nozzle": 1})
    run(first, 3)
    time.sleep(0.05)
    forecourt.tick()
    forecourt.control(1, "hangup", {})  # nobody listening
    pump = forecourt.pumps[0x50]
    assert (pump.status, pump.selected) == (PumpStatus.FILLING_COMPLETED, 0)

    class AttributingStore(RecordingStore):
        def fill_completed(self, address, nozzle, volume, amount, price):
            self.events.append(("fill_completed", address, nozzle, volume, amount, price))
            return 1  # what DjangoBridgeStore answers: the nozzle of the pump's open authorization

    second = _master(forecourt, AttributingStore())
    run_until(second, lambda: pump.status == PumpStatus.RESET)
    ((_, address, _nozzle, volume, _amount, price),) = second.store.named("fill_completed")
    assert (address, volume, price) == (0x50, pump.nozzles[1].total_volume, 735)
    assert [e[1:3] for e in second.store.named("totals")][-1] == (0x50, 1)  # the fill's own nozzle checked


def test_a_nozzle_0_completion_nobody_can_attribute_still_ends_in_reset(forecourt):
    first = _master(forecourt)
    run(first)
    _authorize(first, 100_000, command_id=1)
    run(first, 3)
    forecourt.control(1, "lift", {"nozzle": 1})
    forecourt.control(1, "hangup", {})
    second = _master(forecourt)  # its store attributes nothing (returns None)
    run_until(second, lambda: forecourt.pumps[0x50].status == PumpStatus.RESET)
    assert {e[2] for e in second.store.named("totals") if e[1] == 0x50} >= {1, 2}


def test_a_completion_learnt_from_a_status_only_answer_is_polled_for_its_fill_and_reset(forecourt):
    """The fault soak's hang: the totals read after a fill is given up (its ACKs lost), so the pump's state is
    re-read and comes back 5 with no DC2 in the block. The master then asked for the filling info on every
    cycle; a queued command goes instead of a poll, so the pump was never polled, its answers piled up unsent
    and it stayed in 5 for good. Counted in cycles, not time: the master must poll between its questions."""
    master, pump = _master(forecourt), forecourt.pumps[0x50]
    run(master)
    _authorize(master, 100_000, command_id=1)
    run_until(master, lambda: pump.status == PumpStatus.AUTHORIZED)
    forecourt.control(1, "lift", {"nozzle": 1})
    run(master, 3)
    forecourt.control(1, "hangup", {})
    run_until(master, lambda: master.store.named("fill_completed"))
    forecourt.faults.drop_acks = 3  # the CD101 after the fill: applied, never acknowledged
    run_until(master, lambda: master.pumps[0x50].status is None)
    run_until(master, lambda: master.pumps[0x50].status == PumpStatus.FILLING_COMPLETED)
    run(master, 20)
    assert pump.status == PumpStatus.RESET
    assert len(pump.outbox) < 10  # nothing piled up unasked-for


def test_an_authorize_for_a_pump_not_in_reset_is_refused_never_assumed_delivered(forecourt):
    """No "already in progress": a pump busy with someone else's sale does not confirm our AUTHORIZE."""
    pump = forecourt.pumps[0x50]
    pump.status = PumpStatus.AUTHORIZED  # found authorized at start-up by another controller
    forecourt.control(1, "lift", {"nozzle": 1})
    master = _master(forecourt)
    run(master)
    _authorize(master, 3_000, command_id=7)
    run(master, 2)
    assert master.store.results[7] == (False, f"pump busy (status {PumpStatus.FILLING})")


def test_an_unencodable_command_fails_and_the_line_goes_on(forecourt):
    """Case 4: ¥1,000,000 does not fit 4 BCD bytes. The command fails; the bridge keeps serving every pump."""
    master = _master(forecourt)
    run(master)
    _authorize(master, 100_000_000, command_id=3)
    run(master, 2)
    assert master.store.results[3] == (False, "command cannot be encoded")
    assert forecourt.pumps[0x50].status == PumpStatus.RESET
    _authorize(master, 3_000, command_id=4, address=0x51)
    run(master, 3)
    assert master.store.results[4] == (True, "")
    assert forecourt.pumps[0x51].status == PumpStatus.AUTHORIZED


def test_an_exception_in_one_pumps_handling_does_not_stop_the_others(forecourt):
    class BrokenForPumpOne(RecordingStore):
        def pump_status(self, address, status, nozzle, lifted):
            if address == 0x50:
                raise RuntimeError("bug")
            super().pump_status(address, status, nozzle, lifted)

    master = _master(forecourt, BrokenForPumpOne())
    run(master, 6)
    forecourt.control(2, "lift", {"nozzle": 1})
    run(master, 3)
    assert master.store.status[0x51] == PumpStatus.RESET
    assert ("pump_status", 0x51, PumpStatus.RESET, 1, True) in master.store.events


def test_the_master_refuses_fatal_errors_to_swallow(forecourt):
    class DatabaseDown(RecordingStore):
        def pump_online(self, address, online):
            raise ConnectionError("database gone")

    master = DartMaster(
        MemoryLine(forecourt), NOZZLES, DatabaseDown(), reply_timeout=0.01, fatal_errors=(ConnectionError,)
    )
    with pytest.raises(ConnectionError):
        run(master, 1)


def test_new_prices_are_confirmed_by_asking_the_pump_for_them(forecourt):
    """Case 3: an idle pump's DC3 names nozzle 0, so the master asks (CD1 0x0F) instead of waiting for a lift."""
    master = _master(forecourt)
    run(master)
    master.store.pending.append(OutboundCommand(0x50, (CD5((800, 850)),), 9, wait_for_reset=True))
    run(master, 4)
    assert master.store.results[9] == (True, "")
    assert {e[1:] for e in master.store.named("nozzle_price")} >= {(0x50, 1, 800), (0x50, 2, 850)}


def test_an_authorize_answered_with_eot_is_given_up_and_never_reused(forecourt):
    master = _master(forecourt)
    run(master)
    forecourt.faults.eot_answers = 3
    _authorize(master, 3_000, command_id=1)
    run(master, 1)
    assert master.store.results[1] == (False, "pump did not acknowledge")
    assert forecourt.pumps[0x50].status == PumpStatus.RESET  # EOT: it did not take it


def test_late_acks_do_not_confirm_the_wrong_block(forecourt):
    master = _master(forecourt)
    run(master)
    forecourt.faults.late_acks = 1
    _authorize(master, 3_000, command_id=1)
    run_until(master, lambda: 1 in master.store.results)
    run(master, 3)
    assert forecourt.pumps[0x50].status == PumpStatus.AUTHORIZED
    assert master.pumps[0x50].status == PumpStatus.AUTHORIZED  # whatever the result, the master knows


def test_a_rebooted_pump_reports_not_programmed_with_block_numbers_from_zero(forecourt):
    master = _master(forecourt)
    run(master)
    forecourt.control(1, "reboot", {})
    run(master, 3)
    assert master.store.status[0x50] == PumpStatus.NOT_PROGRAMMED
    master.store.pending.append(OutboundCommand(0x50, (CD5((800, 850)),), 5, wait_for_reset=True))
    _reset(master, command_id=6)
    run_until(master, lambda: forecourt.pumps[0x50].status == PumpStatus.RESET)
    assert master.store.results[5] == (True, "") and forecourt.pumps[0x50].nozzles[2].price == 850


def test_a_fill_completed_and_reset_before_the_master_polled_it_is_still_stored(forecourt):
    """The soak's totals mismatch: a RESET from the store (an AUTHORIZE given up or unconfirmed) reached a
    pump whose completion was still waiting in its outbox, so one DATA block brought DC2, DC1 5 and then
    DC1 RESET. The completion was only looked at after the whole block, by then the pump was in RESET: the
    fill was never stored and the next fill's totalizer delta held both fills."""
    master, pump = _master(forecourt), forecourt.pumps[0x50]
    run(master)
    forecourt.control(1, "lift", {"nozzle": 1})  # nozzle already lifted: the AUTHORIZE starts the flow at once
    _authorize(master, 100_000, command_id=1)
    run_until(master, lambda: master.pumps[0x50].status == PumpStatus.FILLING)
    time.sleep(0.02)
    forecourt.tick()
    forecourt.control(1, "hangup", {})  # completes; the master has not polled it yet
    _reset(master, command_id=2)
    run_until(master, lambda: 2 in master.store.results)
    run(master, 20)
    assert pump.status == PumpStatus.RESET
    ((_, address, _nozzle, volume, _amount, _price),) = master.store.named("fill_completed")
    assert (address, volume) == (0x50, pump.nozzles[1].total_volume)
    assert master.store.named("totals")[-1][1:4] == (0x50, 1, pump.nozzles[1].total_volume)  # read after it
