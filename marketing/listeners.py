"""What marketing tells higher apps (see core.listeners). The wallet registers from WalletConfig.ready().

A fuel promotion may give bonus credit after the paid fill (加满300送10元): marketing decides it when the
order tells it the sale was paid; the wallet credits it through its ledger, in that same transaction, so the
credit commits with the payment or not at all.
"""

from collections.abc import Callable

from core.listeners import Event, ListenerRegistry

BONUS_CREDIT_EARNED = Event("bonus_credit_earned", on_commit=False)
registry = ListenerRegistry(BONUS_CREDIT_EARNED)


def register(*, on_bonus_credit_earned: Callable[..., None]) -> None:
    """on_bonus_credit_earned(driver_id=..., amount_fen=..., funder=..., funding_station_id=..., reference=...,
    promotion_id=...) runs inside the paying transaction; it must be idempotent per (reference, promotion_id)."""
    registry.register(BONUS_CREDIT_EARNED, on_bonus_credit_earned)


def bonus_credit_earned(
    *, driver_id: int, amount_fen: int, funder: str, funding_station_id: int | None, reference: str, promotion_id: int
) -> None:
    registry.announce(
        BONUS_CREDIT_EARNED,
        driver_id=driver_id,
        amount_fen=amount_fen,
        funder=funder,
        funding_station_id=funding_station_id,
        reference=reference,
        promotion_id=promotion_id,
    )
