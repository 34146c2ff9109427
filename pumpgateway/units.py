"""Pump units ↔ our units. A pump reports integers with per-pump decimals (DC7: DPVOL/DPAMO/DPUNP)."""


def volume_ml_from_pump(value: int, decimals: int) -> int:
    return value * 10 ** (3 - decimals)


def volume_pump_from_ml(volume_ml: int, decimals: int) -> int:
    return volume_ml // 10 ** (3 - decimals)


def amount_fen_from_pump(value: int, decimals: int) -> int:
    return value * 10 ** (2 - decimals)


def amount_pump_from_fen(amount_fen: int, decimals: int) -> int:
    return amount_fen // 10 ** (2 - decimals)


def price_fen_from_pump(value: int, decimals: int) -> int:
    return value * 10 ** (2 - decimals)


def price_pump_from_fen(price_fen: int, decimals: int) -> int:
    return price_fen // 10 ** (2 - decimals)
