"""Fixtures shared with the stations tests: the two-enterprise network with a user of every role."""

from tests.stations.conftest import network  # noqa: F401
