from django import template

from fuelpay.money import format_fen

register = template.Library()


@register.filter
def fen(amount_fen) -> str:
    """{{ amount|fen }} → ¥1,234.56"""
    return format_fen(int(amount_fen or 0))


@register.filter
def litres(volume_ml) -> str:
    return f"{int(volume_ml or 0) / 1000:.2f}"
