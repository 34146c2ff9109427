"""What the wallet tells higher apps (see core.listeners). Orders register from OrdersConfig.ready().

A direct payment (闪付 paid through the payment provider instead of from the balance) is a top-up that
carries what it pays for: once the provider's money is credited, the higher app spends it on that.
"""

from collections.abc import Callable

from core.listeners import Event, ListenerRegistry

# After the credit commits: the payment is its own durable transaction (it locks the driver's rows again).
DIRECT_PAYMENT_CREDITED = Event("direct_payment_credited", on_commit=True)
registry = ListenerRegistry(DIRECT_PAYMENT_CREDITED)


def register(*, on_direct_payment_credited: Callable[..., None]) -> None:
    """on_direct_payment_credited(driver_id=..., out_trade_no=..., pays_reference=...) runs after the commit."""
    registry.register(DIRECT_PAYMENT_CREDITED, on_direct_payment_credited)


def direct_payment_credited(*, driver_id: int, out_trade_no: str, pays_reference: str) -> None:
    registry.announce(
        DIRECT_PAYMENT_CREDITED, driver_id=driver_id, out_trade_no=out_trade_no, pays_reference=pays_reference
    )
