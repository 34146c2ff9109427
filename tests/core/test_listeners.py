"""Listener registries: explicit, and loud when an announcement would go nowhere."""

import pytest
from django.db import transaction

from core.listeners import Event, ListenerRegistry, NoListener

IN_TRANSACTION = Event("something_happened", on_commit=False)
AFTER_COMMIT = Event("something_committed", on_commit=True)


@pytest.fixture
def registry():
    return ListenerRegistry(IN_TRANSACTION, AFTER_COMMIT)


@pytest.mark.django_db
def test_an_event_nobody_listens_to_raises(registry):
    with pytest.raises(NoListener), transaction.atomic():
        registry.announce(IN_TRANSACTION, thing_id=1)


def test_an_unknown_event_cannot_be_registered(registry):
    with pytest.raises(ValueError):
        registry.register(Event("never_declared", on_commit=False), print)


def test_registering_the_same_listener_twice_keeps_one(registry):
    def listener(**payload):
        pass

    registry.register(AFTER_COMMIT, listener)
    registry.register(AFTER_COMMIT, listener)
    assert registry.listeners(AFTER_COMMIT) == (listener,)


@pytest.mark.django_db
def test_an_in_transaction_listener_runs_at_once_inside_the_callers_transaction(registry):
    heard = []
    registry.register(IN_TRANSACTION, lambda **payload: heard.append(payload))
    with transaction.atomic():
        registry.announce(IN_TRANSACTION, thing_id=7)
        assert heard == [{"thing_id": 7}]


def test_an_in_transaction_event_announced_outside_a_transaction_is_refused(registry):
    heard = []
    registry.register(IN_TRANSACTION, lambda **payload: heard.append(payload))
    with pytest.raises(RuntimeError):
        registry.announce(IN_TRANSACTION, thing_id=7)
    assert heard == []


@pytest.mark.django_db(transaction=True)
def test_an_after_commit_listener_runs_only_once_the_transaction_commits(registry):
    heard = []
    registry.register(AFTER_COMMIT, lambda **payload: heard.append(payload))
    with transaction.atomic():
        registry.announce(AFTER_COMMIT, thing_id=1)
        assert heard == []
    assert heard == [{"thing_id": 1}]


@pytest.mark.django_db(transaction=True)
def test_an_after_commit_listener_is_not_called_when_the_transaction_rolls_back(registry):
    heard = []
    registry.register(AFTER_COMMIT, lambda **payload: heard.append(payload))
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        registry.announce(AFTER_COMMIT, thing_id=1)
        1 / 0  # noqa: B018
    assert heard == []
