"""DART link layer: control/data frames, CRC-16/ARC, 0x10 transparency and a resynchronising parser."""

from dataclasses import dataclass
from enum import IntEnum

STOP = 0xFA
ETX = 0x03
DLE = 0x10
MIN_ADDRESS, MAX_ADDRESS = 0x50, 0x6F
MAX_FRAME_BYTES = 512  # a frame longer than this is noise; the parser drops it and resynchronises


class Control(IntEnum):
    POLL = 0x20
    DATA = 0x30
    IAP = 0x40
    NAK = 0x50
    EOT = 0x70
    ACK = 0xC0
    ACK_POLL = 0xE0


class FrameError(ValueError):
    """A frame that must not be acted on (and never ACKed)."""


def crc16_arc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@dataclass(frozen=True)
class Frame:
    address: int
    control: int
    data: bytes = b""

    @property
    def kind(self) -> Control:
        if self.control in (Control.POLL, Control.IAP):
            return Control(self.control)
        return Control(self.control & 0xF0)

    @property
    def block(self) -> int:
        return self.control & 0x0F


def _stuff(payload: bytes) -> bytes:
    return payload.replace(bytes([STOP]), bytes([DLE, STOP]))


def encode_control(address: int, control: int) -> bytes:
    return bytes([address, control, STOP])


def encode_data(address: int, block: int, data: bytes) -> bytes:
    body = bytes([address, Control.DATA | (block & 0x0F)]) + data
    crc = crc16_arc(body)
    return _stuff(body + bytes([crc & 0xFF, crc >> 8, ETX])) + bytes([STOP])


def next_block(block: int) -> int:
    """The spec wraps F→1; receivers accept F→0 too (see is_next_block)."""
    return 1 if block == 0x0F else block + 1


def decode_frame(raw: bytes) -> Frame:
    """Decode one unstuffed frame body (everything before its final 0xFA)."""
    if len(raw) < 2:
        raise FrameError("frame too short")
    address, control = raw[0], raw[1]
    if not MIN_ADDRESS <= address <= MAX_ADDRESS:
        raise FrameError(f"address 0x{address:02X} outside 0x50-0x6F")
    if control & 0xF0 != Control.DATA:
        if len(raw) != 2:
            raise FrameError("control frame with trailing bytes")
        if control not in (Control.POLL, Control.IAP) and control & 0xF0 not in (
            Control.NAK,
            Control.EOT,
            Control.ACK,
            Control.ACK_POLL,
        ):
            raise FrameError(f"unknown control 0x{control:02X}")
        return Frame(address, control)
    if len(raw) < 5 or raw[-1] != ETX:
        raise FrameError("data frame without ETX")
    body, crc = raw[:-3], raw[-3] | (raw[-2] << 8)
    if crc16_arc(body) != crc:
        raise FrameError("bad CRC")
    return Frame(address, control, bytes(body[2:]))


class FrameParser:
    """Feed raw line bytes; get complete frames or FrameErrors. A frame ends at an unescaped 0xFA,
    so after any garbage the parser is back in step at the next frame boundary."""

    def __init__(self):
        self._buffer = bytearray()
        self._escaped = False

    def feed(self, chunk: bytes) -> list[Frame | FrameError]:
        results: list[Frame | FrameError] = []
        for byte in chunk:
            if self._escaped:
                self._escaped = False
                if byte == STOP:
                    self._buffer.append(STOP)
                    continue
                self._buffer.append(DLE)
            if byte == DLE:
                self._escaped = True
                continue
            if byte == STOP:
                raw, self._buffer = bytes(self._buffer), bytearray()
                try:
                    results.append(decode_frame(raw))
                except FrameError as error:
                    results.append(error)
                continue
            self._buffer.append(byte)
            if len(self._buffer) > MAX_FRAME_BYTES:
                self._buffer.clear()
                results.append(FrameError("frame too long"))
        return results

    def reset(self) -> None:
        self._buffer.clear()
        self._escaped = False
