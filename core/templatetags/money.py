from django import template

from core.money import format_fen, yuan_text

register = template.Library()


@register.filter
def fen(amount_fen) -> str:
    """{{ amount|fen }} → ¥1,234.56"""
    return format_fen(int(amount_fen or 0))


@register.filter
def yuan(amount_fen) -> str:
    """{{ amount|yuan }} → 1234.56, for form values (no symbol, no separators)."""
    return yuan_text(int(amount_fen or 0))


@register.filter
def litres(volume_ml) -> str:
    """{{ ml|litres }} → 12.34 (truncated to the centilitre, as pump displays show)."""
    value = int(volume_ml or 0)
    sign, value = ("-" if value < 0 else ""), abs(value)  # a shift's unpaid litres go negative when over-declared
    return f"{sign}{value // 1000}.{value % 1000 // 10:02d}"


@register.filter
def bps(rate_bps) -> str:
    """{{ 30|bps }} → 0.30 % (a rate in basis points)."""
    return f"{int(rate_bps or 0) / 100:.2f} %"
