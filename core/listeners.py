"""Listener registries: how a lower app tells higher ones that something happened without importing them
(apps depend in one direction; pyproject.toml's import-linter contract checks it).

A lower app declares its events in `<app>/listeners.py` and announces them from its services; a higher
app registers a callable per event from its `AppConfig.ready()`. Each event says how it is delivered:

- inside the announcing transaction: the listener's writes commit or roll back with the caller's, and it
  may only be announced inside `transaction.atomic()`;
- after the announcing transaction commits: the listener must not need the caller's rows locked; it
  typically schedules a task. Nothing is delivered if the transaction rolls back.

Announcing an event nobody listens to raises `NoListener`. Every event exists because a higher app must
act on it (open a driver's wallet accounts, settle an order when its pump stops); a silently dropped
announcement would be a driver without accounts or a hold nobody releases.
"""

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction


class NoListener(RuntimeError):
    """A programming error: an app announced an event no installed app registered for."""


@dataclass(frozen=True)
class Event:
    name: str
    on_commit: bool  # False: delivered inside the announcing transaction


class ListenerRegistry:
    def __init__(self, *events: Event):
        self._listeners: dict[Event, list[Callable[..., None]]] = {event: [] for event in events}

    def register(self, event: Event, listener: Callable[..., None]) -> None:
        """Idempotent: registering the same callable twice (a second ready() in one process) is one listener."""
        if event not in self._listeners:
            raise ValueError(f"unknown event {event.name!r}")
        if listener not in self._listeners[event]:
            self._listeners[event].append(listener)

    def listeners(self, event: Event) -> tuple[Callable[..., None], ...]:
        return tuple(self._listeners[event])

    def announce(self, event: Event, **payload) -> None:
        listeners = self._listeners[event]
        if not listeners:
            raise NoListener(f"nobody listens to {event.name!r}; a higher app registers in its AppConfig.ready()")
        if event.on_commit:
            for listener in listeners:
                transaction.on_commit(functools.partial(listener, **payload))
            return
        if not connection.in_atomic_block:
            raise RuntimeError(f"{event.name!r} is delivered inside the caller's transaction; announce it in one")
        for listener in listeners:
            listener(**payload)
