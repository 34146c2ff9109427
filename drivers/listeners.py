"""What the drivers app tells higher apps (see core.listeners). The wallet registers from WalletConfig.ready()."""

from collections.abc import Callable

from core.listeners import Event, ListenerRegistry

# Inside driver_register's transaction: the driver and what listeners create for it commit together.
DRIVER_REGISTERED = Event("driver_registered", on_commit=False)
registry = ListenerRegistry(DRIVER_REGISTERED)


def register(*, on_driver_registered: Callable[..., None]) -> None:
    """on_driver_registered(driver_id=...) runs for every new driver, in the registering transaction."""
    registry.register(DRIVER_REGISTERED, on_driver_registered)


def driver_registered(*, driver_id: int) -> None:
    registry.announce(DRIVER_REGISTERED, driver_id=driver_id)
