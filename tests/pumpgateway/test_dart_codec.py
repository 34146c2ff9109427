"""The DART codec against golden frames captured from a real Wayne pump, plus properties and fuzzing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pumpgateway.dart.frames import (
    Control,
    Frame,
    FrameError,
    FrameParser,
    crc16_arc,
    decode_frame,
    encode_control,
    encode_data,
    next_block,
)
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
    DC5,
    DC7,
    DC101,
    Command,
    TransactionError,
    Unknown,
    bcd_decode,
    bcd_encode,
    decode_transactions,
    encode_transactions,
)


def hexbytes(text: str) -> bytes:
    return bytes.fromhex(text)


def test_crc16_arc_check_value():
    assert crc16_arc(b"123456789") == 0xBB3D


@pytest.mark.parametrize(
    ("_case", "golden", "address", "block", "transactions"),
    [
        ("CD101 totals request, nozzle 1, block 0", "51 30 65 01 01 22 83 03 FA", 0x51, 0, [CD101(1)]),
        ("CD1 return status", "51 30 01 01 00 A2 9C 03 FA", 0x51, 0, [CD1(Command.RETURN_STATUS)]),
        ("CD101 block 1", "51 31 65 01 01 23 7F 03 FA", 0x51, 1, [CD101(1)]),
        ("CD101 block 2", "51 32 65 01 01 23 3B 03 FA", 0x51, 2, [CD101(1)]),
        ("AUTHORIZE pump 0x50 block 1", "50 31 01 01 06 1E A2 03 FA", 0x50, 1, [CD1(Command.AUTHORIZE)]),
        ("CD5 with a stuffed CRC byte", "50 30 05 03 00 84 00 10 FA B1 03 FA", 0x50, 0, [CD5((8400,))]),
    ],
)
def test_controller_frames_encode_to_golden_bytes(_case, golden, address, block, transactions):
    assert encode_data(address, block, encode_transactions(transactions)) == hexbytes(golden)


@pytest.mark.parametrize(
    ("_case", "golden", "block", "transactions"),
    [
        (
            "DC1 completed + DC3 price",
            "51 3C 01 01 05 03 04 00 11 75 01 1A C7 03 FA",
            0xC,
            [DC1(5), DC3(1175, 1, False)],
        ),
        (
            "DC2 + DC3 + DC1 in one block",
            "51 3A 02 08 00 00 00 00 00 00 00 00 03 04 00 11 75 01 01 01 05 60 27 03 FA",
            0xA,
            [DC2(0, 0), DC3(1175, 1, False), DC1(5)],
        ),
        ("DC2 only", "51 3B 02 08 00 00 00 00 00 00 00 00 21 2D 03 FA", 0xB, [DC2(0, 0)]),
        (
            "DC101 totals",
            "51 3D 65 10 01 00 00 00 00 02 00 00 00 00 02 00 00 00 00 00 58 F8 03 FA",
            0xD,
            [DC101(1, 2, 2, 0)],
        ),
    ],
)
def test_pump_golden_frames_decode(_case, golden, block, transactions):
    (frame,) = FrameParser().feed(hexbytes(golden))
    assert (frame.address, frame.kind, frame.block) == (0x51, Control.DATA, block)
    assert decode_transactions(frame.data, from_pump=True) == transactions


def test_stuffed_frame_decodes_back():
    (frame,) = FrameParser().feed(hexbytes("50 30 05 03 00 84 00 10 FA B1 03 FA"))
    assert decode_transactions(frame.data, from_pump=False) == [CD5((8400,))]


def test_control_frames():
    assert encode_control(0x50, Control.POLL) == hexbytes("50 20 FA")
    assert FrameParser().feed(hexbytes("50 C3 FA")) == [Frame(0x50, 0xC3)]
    assert Frame(0x50, 0xC3).kind == Control.ACK and Frame(0x50, 0xC3).block == 3


@pytest.mark.parametrize(
    ("_case", "raw", "reason"),
    [
        ("bad CRC", "51 3B 02 08 00 00 00 00 00 00 00 00 21 2E 03", "bad CRC"),
        ("address out of range", "20 20", "address"),
        ("no ETX", "51 30 01 01 00 A2 9C 04", "ETX"),
        ("too short", "51", "short"),
    ],
)
def test_bad_frames_are_rejected(_case, raw, reason):
    with pytest.raises(FrameError, match=reason):
        decode_frame(hexbytes(raw))


def test_block_numbers_wrap_f_to_1():
    assert [next_block(b) for b in (0, 1, 14, 15)] == [1, 2, 15, 1]


def test_unknown_transactions_are_skipped_by_length():
    data = bytes([0x99, 2, 0xAA, 0xBB]) + encode_transactions([DC1(4)])
    assert decode_transactions(data, from_pump=True) == [Unknown(0x99, b"\xaa\xbb"), DC1(4)]


def test_truncated_transaction_is_an_error():
    with pytest.raises(TransactionError):
        decode_transactions(bytes([0x02, 8, 0, 0]), from_pump=True)


def test_non_bcd_digits_are_rejected():
    with pytest.raises(TransactionError):
        bcd_decode(b"\x1a")
    with pytest.raises(TransactionError):
        bcd_encode(100_000_000, 4)


# --- properties --------------------------------------------------------------------------------

bcd4 = st.integers(0, 99_999_999)
pump_transactions = st.lists(
    st.one_of(
        st.builds(DC1, st.integers(0, 255)),
        st.builds(DC2, bcd4, bcd4),
        st.builds(DC3, st.integers(0, 999_999), st.integers(0, 15), st.booleans()),
        st.builds(DC5, st.integers(0, 255)),
        st.builds(DC7, st.binary(min_size=0, max_size=60)),
        st.builds(DC101, st.integers(0, 255), *[st.integers(0, 9_999_999_999)] * 3),
    ),
    max_size=6,
)
controller_transactions = st.lists(
    st.one_of(
        st.builds(CD1, st.sampled_from(list(Command))),
        st.builds(CD2, st.lists(st.integers(0, 255), min_size=1, max_size=15).map(tuple)),
        st.builds(CD3, bcd4),
        st.builds(CD4, bcd4),
        st.builds(CD5, st.lists(st.integers(0, 999_999), min_size=1, max_size=8).map(tuple)),
        st.builds(CD101, st.integers(0, 255)),
    ),
    max_size=6,
)


@given(address=st.integers(0x50, 0x6F), block=st.integers(0, 15), transactions=pump_transactions)
def test_pump_blocks_round_trip(address, block, transactions):
    (frame,) = FrameParser().feed(encode_data(address, block, encode_transactions(transactions)))
    assert (frame.address, frame.block) == (address, block)
    assert decode_transactions(frame.data, from_pump=True) == transactions


@given(block=st.integers(0, 15), transactions=controller_transactions)
def test_controller_blocks_round_trip(block, transactions):
    (frame,) = FrameParser().feed(encode_data(0x50, block, encode_transactions(transactions)))
    assert decode_transactions(frame.data, from_pump=False) == transactions


@given(payload=st.binary(max_size=200))
def test_any_payload_bytes_survive_stuffing(payload):
    (frame,) = FrameParser().feed(encode_data(0x6F, 7, payload))
    assert frame.data == payload


@given(
    noise=st.binary(max_size=300) | st.binary(max_size=300).map(lambda b: b + b"\x10"), payload=st.binary(max_size=50)
)
def test_random_bytes_never_crash_the_parser_and_it_resynchronises(noise, payload):
    parser = FrameParser()
    parser.feed(noise)
    # Whatever came before (even a dangling 0x10 escape), one boundary puts the parser back in step.
    results = parser.feed(b"\x00\xfa" + encode_data(0x50, 3, payload))
    assert results[-1] == Frame(0x50, 0x33, payload)
    assert all(isinstance(r, Frame | FrameError) for r in results)
