import pytest
from django.core.cache import cache
from django.db import connection

from tests.factories.drivers import DriverFactory
from tests.factories.stations import StationFactory
from tests.factories.wallet import top_up
from wallet.services.ledger import account_id_cache_clear


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (real row locks, real concurrency) are deselected, not skipped, on SQLite:
    CI runs the whole suite a second time on PostgreSQL, where they run."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    selected, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("postgres") else selected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    # API throttle counters live in the cache: one test's requests must not throttle the next test.
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_account_cache():
    # Account ids are cached per process; a rolled-back test must not leave ids behind.
    account_id_cache_clear()
    yield
    account_id_cache_clear()


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def station():
    return StationFactory()


@pytest.fixture
def driver():
    return DriverFactory()


@pytest.fixture
def funded_driver(driver):
    top_up(driver, 500_000)
    return driver


# The forecourt (simulator on a pty + bridge), and a pump driven through the bridge's store without one,
# for any app's tests that need a pump.
from tests.forecourt import forecourt, store_line  # noqa: E402,F401
