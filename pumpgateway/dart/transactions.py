"""DART application layer: TRANS LNG DATA records with packed BCD numbers (most significant first)."""

from dataclasses import dataclass
from enum import IntEnum


class Command(IntEnum):
    RETURN_STATUS = 0x00
    RETURN_PARAMETERS = 0x02
    RETURN_IDENTITY = 0x03
    RETURN_FILLING_INFO = 0x04
    RESET = 0x05
    AUTHORIZE = 0x06
    STOP = 0x08
    SWITCH_OFF = 0x0A
    SUSPEND = 0x0D
    RESUME = 0x0E
    RETURN_PRICES = 0x0F


class PumpStatus(IntEnum):
    NOT_PROGRAMMED = 0
    RESET = 1
    AUTHORIZED = 2
    FILLING = 4
    FILLING_COMPLETED = 5
    MAX_REACHED = 6
    SWITCHED_OFF = 7
    SUSPENDED = 8


class TransactionError(ValueError):
    pass


def bcd_encode(value: int, length: int) -> bytes:
    digits = f"{value:0{length * 2}d}"
    if value < 0 or len(digits) > length * 2:
        raise TransactionError(f"{value} does not fit {length} BCD bytes")
    return bytes(int(digits[i : i + 2], 16) for i in range(0, len(digits), 2))


def bcd_decode(data: bytes) -> int:
    value = 0
    for byte in data:
        high, low = byte >> 4, byte & 0x0F
        if high > 9 or low > 9:
            raise TransactionError(f"0x{byte:02X} is not packed BCD")
        value = value * 100 + high * 10 + low
    return value


# --- controller → pump ---------------------------------------------------------------------


@dataclass(frozen=True)
class CD1:
    command: Command
    TRANS = 0x01

    def encode(self) -> bytes:
        return bytes([self.command])


@dataclass(frozen=True)
class CD2:
    nozzles: tuple[int, ...]
    TRANS = 0x02

    def encode(self) -> bytes:
        return bytes(self.nozzles)


@dataclass(frozen=True)
class CD3:
    volume: int
    TRANS = 0x03

    def encode(self) -> bytes:
        return bcd_encode(self.volume, 4)


@dataclass(frozen=True)
class CD4:
    amount: int
    TRANS = 0x04

    def encode(self) -> bytes:
        return bcd_encode(self.amount, 4)


@dataclass(frozen=True)
class CD5:
    prices: tuple[int, ...]
    TRANS = 0x05

    def encode(self) -> bytes:
        return b"".join(bcd_encode(price, 3) for price in self.prices)


@dataclass(frozen=True)
class CD101:
    nozzle: int
    TRANS = 0x65

    def encode(self) -> bytes:
        return bytes([self.nozzle])


# --- pump → controller ---------------------------------------------------------------------


@dataclass(frozen=True)
class DC1:
    status: int
    TRANS = 0x01

    def encode(self) -> bytes:
        return bytes([self.status])


@dataclass(frozen=True)
class DC2:
    volume: int
    amount: int
    TRANS = 0x02

    def encode(self) -> bytes:
        return bcd_encode(self.volume, 4) + bcd_encode(self.amount, 4)


@dataclass(frozen=True)
class DC3:
    price: int
    nozzle: int  # 0 = none selected
    lifted: bool
    TRANS = 0x03

    def encode(self) -> bytes:
        return bcd_encode(self.price, 3) + bytes([(self.nozzle & 0x0F) | (0x10 if self.lifted else 0)])


@dataclass(frozen=True)
class DC5:
    alarm: int
    TRANS = 0x05

    def encode(self) -> bytes:
        return bytes([self.alarm])


# DC7 layout is not public in full [verify]: we read the three decimal settings at these offsets
# and carry the rest opaquely. Pumps whose layout differs are configured per pump and not cross-checked.
DC7_DECIMALS_OFFSET = 22
DC7_LENGTH = 50


@dataclass(frozen=True)
class DC7:
    raw: bytes
    TRANS = 0x07

    def encode(self) -> bytes:
        return self.raw

    @classmethod
    def with_decimals(cls, *, volume: int, amount: int, price: int) -> "DC7":
        raw = bytearray(DC7_LENGTH)
        raw[DC7_DECIMALS_OFFSET : DC7_DECIMALS_OFFSET + 3] = bytes([volume, amount, price])
        return cls(bytes(raw))

    @property
    def decimals(self) -> tuple[int, int, int] | None:
        if len(self.raw) < DC7_DECIMALS_OFFSET + 3:
            return None
        volume, amount, price = self.raw[DC7_DECIMALS_OFFSET : DC7_DECIMALS_OFFSET + 3]
        return volume, amount, price


@dataclass(frozen=True)
class DC101:
    nozzle: int
    total_volume: int
    total_amount_1: int
    total_amount_2: int
    TRANS = 0x65

    def encode(self) -> bytes:
        return (
            bytes([self.nozzle])
            + bcd_encode(self.total_volume, 5)
            + bcd_encode(self.total_amount_1, 5)
            + bcd_encode(self.total_amount_2, 5)
        )


@dataclass(frozen=True)
class Unknown:
    """A transaction we do not understand, kept so a round trip is lossless; the bridge ignores it."""

    trans: int
    raw: bytes

    def encode(self) -> bytes:
        return self.raw


Transaction = CD1 | CD2 | CD3 | CD4 | CD5 | CD101 | DC1 | DC2 | DC3 | DC5 | DC7 | DC101 | Unknown


def _decode_cd(trans: int, data: bytes) -> Transaction:
    match trans, len(data):
        case 0x01, 1:
            return CD1(Command(data[0])) if data[0] in Command._value2member_map_ else Unknown(trans, data)
        case 0x02, n if 1 <= n <= 15:
            return CD2(tuple(data))
        case 0x03, 4:
            return CD3(bcd_decode(data))
        case 0x04, 4:
            return CD4(bcd_decode(data))
        case 0x05, n if n % 3 == 0 and n > 0:
            return CD5(tuple(bcd_decode(data[i : i + 3]) for i in range(0, n, 3)))
        case 0x65, 1:
            return CD101(data[0])
    return Unknown(trans, data)


def _decode_dc(trans: int, data: bytes) -> Transaction:
    match trans, len(data):
        case 0x01, 1:
            return DC1(data[0])
        case 0x02, 8:
            return DC2(bcd_decode(data[:4]), bcd_decode(data[4:]))
        case 0x03, 4:
            return DC3(bcd_decode(data[:3]), data[3] & 0x0F, bool(data[3] & 0x10))
        case 0x05, 1:
            return DC5(data[0])
        case 0x07, _:
            return DC7(data)
        case 0x65, 16:
            return DC101(data[0], bcd_decode(data[1:6]), bcd_decode(data[6:11]), bcd_decode(data[11:16]))
    return Unknown(trans, data)


def encode_transactions(transactions: list[Transaction]) -> bytes:
    out = bytearray()
    for transaction in transactions:
        body = transaction.encode()
        if len(body) > 255:
            raise TransactionError("transaction longer than 255 bytes")
        out += bytes([transaction.trans if isinstance(transaction, Unknown) else transaction.TRANS, len(body)])
        out += body
    return bytes(out)


def decode_transactions(data: bytes, *, from_pump: bool) -> list[Transaction]:
    """Split a DATA block into transactions; unknown TRANS codes are skipped by their LNG."""
    decode = _decode_dc if from_pump else _decode_cd
    result, index = [], 0
    while index < len(data):
        if index + 2 > len(data):
            raise TransactionError("truncated transaction header")
        trans, length = data[index], data[index + 1]
        body = data[index + 2 : index + 2 + length]
        if len(body) != length:
            raise TransactionError("transaction runs past the block")
        result.append(decode(trans, body))
        index += 2 + length
    return result
