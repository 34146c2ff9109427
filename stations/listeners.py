"""What the stations app tells higher apps (see core.listeners). The wallet registers from WalletConfig.ready()."""

from collections.abc import Callable

from core.listeners import Event, ListenerRegistry

# Inside station_transition's transaction: a station is active only together with what listeners set up
# for it (the wallet's receivable accounts).
STATION_ACTIVATED = Event("station_activated", on_commit=False)
registry = ListenerRegistry(STATION_ACTIVATED)


def register(*, on_station_activated: Callable[..., None]) -> None:
    """on_station_activated(station_id=...) runs each time a station becomes ACTIVE, in that transaction."""
    registry.register(STATION_ACTIVATED, on_station_activated)


def station_activated(*, station_id: int) -> None:
    registry.announce(STATION_ACTIVATED, station_id=station_id)
