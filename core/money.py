"""The only place money meets fractions. Everything in and out is integer fen; rounding is explicit."""

from decimal import ROUND_HALF_UP, Decimal

FEN_PER_YUAN = 100
ML_PER_LITRE = 1000


def _round_to_int(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def amount_for_volume_fen(*, volume_ml: int, price_fen_per_litre: int) -> int:
    """Fuel amount for a volume at a unit price, rounded half-up to the fen as pumps do."""
    return _round_to_int(Decimal(volume_ml) * Decimal(price_fen_per_litre) / ML_PER_LITRE)


def volume_for_amount_ml(*, amount_fen: int, price_fen_per_litre: int) -> int:
    """Litres (as ml) an amount buys; rounded down so the pump never delivers more than paid for."""
    return amount_fen * ML_PER_LITRE // price_fen_per_litre


def basis_points_of_fen(*, amount_fen: int, basis_points: int) -> int:
    return _round_to_int(Decimal(amount_fen) * Decimal(basis_points) / Decimal(10_000))


def split_proportionally_fen(*, total_fen: int, weights: list[int]) -> list[int]:
    """Split total_fen by weights with largest-remainder rounding so the parts sum exactly to the total."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0 for _ in weights]
    floors = [total_fen * weight // weight_sum for weight in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (total_fen * weights[i]) % weight_sum, reverse=True)
    for index in remainders[: total_fen - sum(floors)]:
        floors[index] += 1
    return floors


def yuan_to_fen(text: str) -> int:
    """Parse a user-typed yuan amount ("100", "99.5", "0.01") exactly; reject more than 2 decimals."""
    try:
        value = Decimal(str(text).strip())
        if not value.is_finite() or value != value.quantize(Decimal("0.01")):
            raise ValueError("at most two decimals")
    except ArithmeticError as error:  # decimal.InvalidOperation: not a number at all
        raise ValueError(f"not an amount: {text!r}") from error
    return int(value * FEN_PER_YUAN)


def yuan_text(amount_fen: int) -> str:
    """1234.56 — for form values, files and exports (no symbol, no separators)."""
    sign = "-" if amount_fen < 0 else ""
    return f"{sign}{abs(amount_fen) // FEN_PER_YUAN}.{abs(amount_fen) % FEN_PER_YUAN:02d}"


def format_fen(amount_fen: int) -> str:
    """¥1,234.56 — for templates and exports only."""
    sign = "-" if amount_fen < 0 else ""
    yuan, fen = divmod(abs(amount_fen), FEN_PER_YUAN)
    return f"{sign}¥{yuan:,}.{fen:02d}"
