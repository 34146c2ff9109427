"""What the pump gateway tells higher apps (see core.listeners). Orders register from OrdersConfig.ready().

Only what a higher app acts on is announced: today that is an authorization moving (confirmed by the pump,
fuelling, completed with or without a fill, cancelled, refused), which the order side settles. Nozzle
states are read, not announced (pumpgateway.selectors).
"""

from collections.abc import Callable

from core.listeners import Event, ListenerRegistry

# After the bridge's write commits: the bridge thread never waits on order, hold or wallet row locks
# (a prepaid order locks the driver's wallet rows and then the pump binding row; a listener running
# inside a bridge transaction that holds the binding would take them in the opposite order).
AUTHORIZATION_CHANGED = Event("authorization_changed", on_commit=True)
registry = ListenerRegistry(AUTHORIZATION_CHANGED)


def register(*, on_authorization_changed: Callable[..., None]) -> None:
    """on_authorization_changed(authorization_id=...) runs after the change is committed."""
    registry.register(AUTHORIZATION_CHANGED, on_authorization_changed)


def authorization_changed(*, authorization_id: int) -> None:
    registry.announce(AUTHORIZATION_CHANGED, authorization_id=authorization_id)
