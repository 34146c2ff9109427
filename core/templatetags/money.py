from django import template

from core.money import format_fen

register = template.Library()


@register.filter
def fen(amount_fen) -> str:
    """{{ amount|fen }} → ¥1,234.56"""
    return format_fen(int(amount_fen or 0))


@register.filter
def yuan(amount_fen) -> str:
    """{{ amount|yuan }} → 1234.56, for form values (no symbol, no separators)."""
    value = int(amount_fen or 0)
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


@register.filter
def litres(volume_ml) -> str:
    """{{ ml|litres }} → 12.34 (truncated to the centilitre, as pump displays show)."""
    value = int(volume_ml or 0)
    return f"{value // 1000}.{value % 1000 // 10:02d}"
