"""Amounts typed into the driver's pages (wallet and orders), parsed into integer fen or a clear error."""

from core.money import yuan_to_fen
from wallet.exceptions import InvalidAmount


def amount_input_to_fen(text: str) -> int:
    """A yuan amount as typed ("100", "99.5"); anything else is InvalidAmount."""
    try:
        return yuan_to_fen(text)
    except ValueError as error:
        raise InvalidAmount() from error


def number_input_to_int(text: str) -> int:
    """A whole number from a form field (a preset in fen, a fill id); anything else is InvalidAmount."""
    try:
        return int(text)
    except (TypeError, ValueError) as error:
        raise InvalidAmount() from error
