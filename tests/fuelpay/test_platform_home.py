"""The platform admin's home: enterprises, fee contracts, the health of every pump line and the audit log,
each card linking to its admin list; nobody else sees it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from pumpgateway.selectors import serial_line_health_list
from stations.enums import StaffRoleKind, StationStatus
from stations.selectors import enterprise_overview_list
from tests.factories.pumpgateway import PumpBindingFactory, SerialLineFactory, attendant_fill
from tests.factories.settlement import FeeContractFactory
from tests.factories.stations import (
    DispenserFactory,
    EnterpriseFactory,
    NozzleFactory,
    StaffRoleFactory,
    StationFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():
    enterprise = EnterpriseFactory(name="东方石化")
    station = StationFactory(enterprise=enterprise, name="东方一站")
    StationFactory(enterprise=enterprise, status=StationStatus.UNDER_REVIEW)
    line = SerialLineFactory(station=station, code="dongfang-line")
    first = PumpBindingFactory(dispenser=DispenserFactory(station=station), line=line, online=True)
    PumpBindingFactory(dispenser=DispenserFactory(station=station), line=line, dart_address=0x51)
    fill = attendant_fill(NozzleFactory(dispenser=first.dispenser), minutes_ago=30)
    silent = SerialLineFactory(code="silent-line", last_seen_at=timezone.now() - timedelta(hours=2))
    FeeContractFactory(enterprise=enterprise, rate_bps=45)
    audit_record(actor=None, action="station.price.scheduled", target=f"station:{station.pk}")
    return {"enterprise": enterprise, "station": station, "line": line, "fill": fill, "silent": silent}


def test_line_health_shows_heartbeat_pumps_online_and_last_fill(platform):
    health = {line.code: line for line in serial_line_health_list()}
    line = health["dongfang-line"]
    assert (line.bridge_alive, line.pumps_online, line.pumps) == (True, 1, 2)
    assert line.last_fill_at == platform["fill"].completed_at and line.station_name == "东方一站"
    assert (health["silent-line"].bridge_alive, health["silent-line"].pumps, health["silent-line"].last_fill_at) == (
        False,
        0,
        None,
    )


def test_enterprise_overview_counts_active_and_onboarding_stations(platform):
    count, rows = enterprise_overview_list()
    row = next(row for row in rows if row.name == "东方石化")
    assert (row.stations_active, row.stations_onboarding) == (1, 1)
    assert count == 2  # and the silent line's station's own enterprise


def test_platform_admin_home_has_a_card_per_area_linking_to_its_list(client, platform):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user)
    home = client.get(reverse("admin:index")).content.decode()
    assert 'data-testid="platform-home"' in home
    for list_name in ("stations_enterprise", "settlement_feecontract", "pumpgateway_serialline", "core_auditevent"):
        assert f'href="{reverse(f"admin:{list_name}_changelist")}"' in home, list_name
    assert "东方石化" in home and "0.45 %" in home  # the fee contract in effect
    assert "dongfang-line" in home and "1 / 2" in home  # one of its two pumps answers
    assert "station.price.scheduled" in home  # the newest audit entry


@pytest.mark.parametrize(
    "_case, role",
    [
        ("enterprise admin", StaffRoleKind.ENTERPRISE_ADMIN),
        ("station manager", StaffRoleKind.STATION_MANAGER),
        ("finance", StaffRoleKind.FINANCE),
        ("cashier", StaffRoleKind.CASHIER),
    ],
)
def test_only_platform_admins_see_the_platform_home(client, platform, _case, role):
    scope = (
        {"enterprise": platform["enterprise"]}
        if role in (StaffRoleKind.ENTERPRISE_ADMIN, StaffRoleKind.FINANCE)
        else {"station": platform["station"]}
    )
    client.force_login(StaffRoleFactory(role=role, **scope).user)
    home = client.get(reverse("admin:index")).content.decode()
    assert 'data-testid="dashboard"' in home
    assert 'data-testid="platform-home"' not in home and "dongfang-line" not in home
