"""Hole 7: hostile input to every URL pattern — random bytes, deeply nested JSON, huge numbers in the path, the
query and the body — as an outsider, a driver and a platform admin. Nothing may answer 5xx (the test client
re-raises a view's exception, so an unhandled error fails the example too)."""

import json

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern, _route_to_regex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stations.enums import StaffRoleKind
from tests.factories.drivers import DriverFactory
from tests.factories.stations import StaffRoleFactory

pytestmark = pytest.mark.django_db

HUGE = ["99999999999999999999999", "-99999999999999999999999", "1e309", "NaN", "0x10", "１２３"]
TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=30)


def _chains(resolver, prefix=()):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _chains(pattern, (*prefix, pattern.pattern))
        else:
            yield (*prefix, pattern.pattern)


def _regex(pattern, is_endpoint: bool) -> str:
    if isinstance(pattern, RoutePattern):
        return _route_to_regex(str(pattern), is_endpoint)[0]
    return pattern._regex


CHAINS = list(_chains(get_resolver()))


def _path(chain):
    """A strategy for paths this chain of patterns matches: each segment drawn from its own regex."""
    segments = []
    for index, pattern in enumerate(chain):
        regex = _regex(pattern, is_endpoint=index == len(chain) - 1).lstrip("^").rstrip("$").replace(r"\Z", "")
        segments.append(
            st.one_of(st.sampled_from(HUGE), TEXT).filter(lambda s: s)
            if regex in ("(?P<url>.*)",)
            else st.from_regex(f"^{regex}$", fullmatch=True, alphabet=st.characters(exclude_categories=("Cs", "Cc")))
        )
    return st.tuples(*segments).map(lambda parts: "/" + "".join(parts))


def _deep_json(depth: int) -> str:
    return "[" * depth + "]" * depth


BODIES = st.one_of(
    st.binary(max_size=200).map(lambda b: (b, "application/octet-stream")),
    st.binary(max_size=200).map(lambda b: (b, "application/json")),
    st.integers(1_000, 100_000).map(lambda d: (_deep_json(d), "application/json")),
    st.dictionaries(
        st.sampled_from(["amount_fen", "sign", "to_phone", "fill", "code", "phone", "nozzle"]),
        st.one_of(st.sampled_from(HUGE), TEXT, st.integers(-(10**30), 10**30)),
    ).map(lambda d: (json.dumps(d), "application/json")),
    st.dictionaries(
        st.sampled_from(["amount_yuan", "fill", "nozzle", "key", "code", "phone", "action"]),
        st.one_of(st.sampled_from(HUGE), TEXT),
    ).map(lambda d: (d, None)),
)
QUERIES = st.dictionaries(
    st.sampled_from(["driver", "station", "enterprise", "id", "p", "o", "q", "nozzle", "lat", "amount_fen", "e"]),
    st.one_of(st.sampled_from(HUGE), TEXT),
    max_size=3,
)


@pytest.fixture
def clients(db):
    driver, staff = Client(), Client()
    driver.force_login(DriverFactory().user)
    staff.force_login(StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user)
    return {"outsider": Client(), "driver": driver, "platform": staff}


@pytest.mark.parametrize("chain", CHAINS, ids=lambda chain: "".join(str(p) for p in chain))
def test_no_url_answers_5xx_to_hostile_input(clients, chain):
    @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(who=st.sampled_from(sorted(clients)), path=_path(chain), query=QUERIES, body=BODIES)
    def attack(who, path, query, body):
        client = clients[who]
        data, content_type = body
        with_query = path + "?" + "&".join(f"{key}={value}" for key, value in query.items())
        for method, response in (
            ("get", lambda: client.get(path, query)),
            ("post deep json", lambda: client.post(with_query, _deep_json(50_000), content_type="application/json")),
            ("post", lambda: client.post(with_query, data, **({"content_type": content_type} if content_type else {}))),
        ):
            status = response().status_code
            assert status < 500, (who, method, path, query, status)

    attack()
