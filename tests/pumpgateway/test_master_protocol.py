"""The DART master against the forecourt simulator over an in-memory line: the link procedure, fill
collection order and fault handling, with no database and no serial port."""

import time

import pytest

from pumpgateway.bridge import DartMaster, OutboundCommand
from pumpgateway.dart.transactions import CD1, CD2, CD4, CD5, Command, PumpStatus
from pumpgateway.simulator import Faults, Forecourt, build_pumps
from tests.pumpgateway.fakes import MemoryLine, RecordingStore


@pytest.fixture
def forecourt():
    return Forecourt(build_pumps(pumps=2, nozzles=2, prices=[735, 780], flow_ml_per_s=20_000), seed=7)


@pytest.fixture
def master(forecourt):
    return DartMaster(MemoryLine(forecourt), {0x50: [1, 2], 0x51: [1, 2]}, RecordingStore(), reply_timeout=0.01)


def run(master, cycles=5):
    for _ in range(cycles):
        master.cycle()


def authorize(master, amount, command_id=1):
    master.store.pending.append(
        OutboundCommand(0x50, (CD2((1,)), CD4(amount), CD1(Command.AUTHORIZE)), command_id, only_in_reset=True)
    )
    run(master, 3)


def test_first_contact_resynchronises_and_reads_totalizer_baselines(master):
    run(master, 4)
    assert [e[1:] for e in master.store.named("pump_online")] == [(0x50, True), (0x51, True)]
    assert (0x50, 1, 0, 0) in [e[1:] for e in master.store.named("totals")]
    assert master.pumps[0x50].status == PumpStatus.RESET


def test_prepaid_fill_is_stored_before_the_pump_is_reset(master, forecourt):
    run(master)
    authorize(master, 1000)  # ¥10.00 preset at ¥7.35/L
    assert master.store.results[1] == (True, "")
    assert forecourt.pumps[0x50].status == PumpStatus.AUTHORIZED
    forecourt.control(1, "lift", {"nozzle": 1})
    deadline = time.monotonic() + 2
    while forecourt.pumps[0x50].status != PumpStatus.RESET and time.monotonic() < deadline:
        master.cycle()
    fills = master.store.named("fill_completed")
    assert fills == [("fill_completed", 0x50, 1, 136, 1000, 735)]  # 1.36 L stops on ¥10.00
    names = [e[0] for e in master.store.events]
    stored_at = names.index("fill_completed")
    totals_after = [i for i, e in enumerate(master.store.events) if e[0] == "totals" and i > stored_at]
    assert totals_after, "totals are read after the fill is stored"
    assert forecourt.pumps[0x50].status == PumpStatus.RESET
    assert forecourt.pumps[0x50].nozzles[1].total_volume == 136


def test_an_authorize_is_recorded_as_sending_before_its_frame_leaves(master, forecourt):
    run(master)
    line, writes_before_sending = master.port, []
    original_write = line.write

    def write(data):
        if not master.store.named("command_sending"):
            writes_before_sending.append(data)
        original_write(data)

    line.write = write
    authorize(master, 1000)
    assert master.store.named("command_sending") == [("command_sending", 1)]
    # Before the write-ahead record only polls went out; the AUTHORIZE frame came after it.
    assert forecourt.pumps[0x50].status == PumpStatus.AUTHORIZED
    assert all(len(frame) <= 3 for frame in writes_before_sending)


def test_authorize_is_refused_unless_the_pump_is_in_reset(master, forecourt):
    run(master)
    master.store.pending.append(OutboundCommand(0x50, (CD1(Command.SWITCH_OFF),), 8))
    run(master, 3)
    assert master.pumps[0x50].status == PumpStatus.SWITCHED_OFF
    authorize(master, 1000, command_id=9)
    assert master.store.results[9][0] is False
    assert "busy" in master.store.results[9][1]


def test_price_update_waits_until_the_pump_is_in_reset(master, forecourt):
    run(master)
    authorize(master, 5000)
    forecourt.control(1, "lift", {"nozzle": 1})
    run(master, 2)
    master.store.pending.append(OutboundCommand(0x50, (CD5((800, 850)),), 2, wait_for_reset=True))
    run(master, 2)
    assert 2 not in master.store.results  # held back while fuelling
    forecourt.control(1, "hangup", {})
    deadline = time.monotonic() + 2
    while 2 not in master.store.results and time.monotonic() < deadline:
        master.cycle()
    assert master.store.results[2] == (True, "")
    assert forecourt.pumps[0x50].nozzles[2].price == 850


def test_lost_ack_redelivers_the_block_which_is_not_applied_twice(master, forecourt):
    run(master)
    before = len(master.store.events)
    forecourt.faults = Faults(lost_ack_rate=1.0)
    forecourt.control(1, "lift", {"nozzle": 2})  # calling: DC3 lifted + DC1 reset, sent again and again
    run(master, 4)
    forecourt.faults = Faults()
    run(master, 2)
    pump_1 = [event for event in master.store.events[before:] if event[1] == 0x50]
    assert pump_1 == [("nozzle_price", 0x50, 2, 780), ("pump_status", 0x50, PumpStatus.RESET, 2, True)]


def test_corrupted_replies_are_counted_and_the_exchange_retried(master, forecourt):
    run(master)
    forecourt.faults = Faults(bad_crc_rate=0.5)
    authorize(master, 1000, command_id=3)
    forecourt.faults = Faults()
    run(master, 3)
    assert master.store.named("bad_frame")
    assert forecourt.pumps[0x50].status == PumpStatus.AUTHORIZED
    assert master.store.results[3][0] is True


def test_a_silent_pump_goes_offline_after_the_retry_limit_and_comes_back(master, forecourt):
    run(master)
    forecourt.control(2, "power", {"on": False})
    run(master, 4)
    assert ("pump_online", 0x51, False) in master.store.events
    forecourt.control(2, "power", {"on": True})
    run(master, 3)
    assert master.store.named("pump_online")[-1] == ("pump_online", 0x51, True)


def test_power_loss_while_fuelling_keeps_the_fill_and_recovers_it(master, forecourt):
    run(master)
    authorize(master, 100_000)
    forecourt.control(1, "lift", {"nozzle": 1})
    run(master, 3)
    time.sleep(0.05)
    forecourt.tick()
    forecourt.control(1, "power", {"on": False})
    run(master, 4)
    forecourt.control(1, "power", {"on": True})
    deadline = time.monotonic() + 2
    while not master.store.named("fill_completed") and time.monotonic() < deadline:
        master.cycle()
    ((_, address, nozzle, volume, amount, price),) = master.store.named("fill_completed")
    assert (address, nozzle, price) == (0x50, 1, 735)
    assert volume == forecourt.pumps[0x50].nozzles[1].total_volume > 0


def test_a_restarted_master_recovers_a_fill_completed_while_nobody_listened(forecourt):
    first = DartMaster(MemoryLine(forecourt), {0x50: [1, 2]}, RecordingStore(), reply_timeout=0.01)
    run(first)
    authorize(first, 1000)
    forecourt.control(1, "lift", {"nozzle": 1})
    forecourt.tick()
    time.sleep(0.2)
    forecourt.tick()  # preset reached with the master gone
    assert forecourt.pumps[0x50].status == PumpStatus.MAX_REACHED
    second = DartMaster(MemoryLine(forecourt), {0x50: [1, 2]}, RecordingStore(), reply_timeout=0.01)
    deadline = time.monotonic() + 2
    while forecourt.pumps[0x50].status != PumpStatus.RESET and time.monotonic() < deadline:
        second.cycle()
    assert second.store.named("fill_completed") == [("fill_completed", 0x50, 1, 136, 1000, 735)]
