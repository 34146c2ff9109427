from decimal import Decimal

import pytest

from stations.enums import StaffRoleKind, StationStatus
from stations.exceptions import RoleNotAllowed, StationNotReadyToActivate, StationTransitionNotAllowed
from stations.models import StationStatusChange
from stations.services import (
    dispenser_create,
    nozzle_create,
    station_apply,
    station_bank_account_set,
    station_price_schedule,
    station_transition,
)
from tests.factories.stations import EnterpriseFactory, FuelGradeFactory, StaffRoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied_station():
    return station_apply(
        enterprise=EnterpriseFactory(),
        code="new-st",
        name="新站",
        address="上海",
        latitude=Decimal("31.2"),
        longitude=Decimal("121.4"),
    )


def _make_ready(station):
    station_bank_account_set(station=station, bank_name="工行", holder="新站", account_number="6222020000123456")
    grade = FuelGradeFactory()
    nozzle_create(dispenser=dispenser_create(station=station, number=1), number=1, logical_number=1, grade=grade)
    station_price_schedule(station=station, grade=grade, list_price_fen_per_litre=765, price_fen_per_litre=735)


def test_full_onboarding_path_records_every_step_with_actor(applied_station):
    admin = StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user
    _make_ready(applied_station)
    for status in (StationStatus.UNDER_REVIEW, StationStatus.APPROVED, StationStatus.ACTIVE, StationStatus.SUSPENDED):
        station_transition(station=applied_station, to_status=status, actor=admin)
    applied_station.refresh_from_db()
    assert applied_station.status == StationStatus.SUSPENDED
    trail = list(StationStatusChange.objects.filter(station=applied_station).values_list("to_status", "actor_id"))
    assert trail == [
        ("applied", None),
        ("under_review", admin.pk),
        ("approved", admin.pk),
        ("active", admin.pk),
        ("suspended", admin.pk),
    ]


@pytest.mark.parametrize(
    ("_case", "to_status"),
    [
        ("cannot activate straight from application", StationStatus.ACTIVE),
        ("cannot approve without review", StationStatus.APPROVED),
        ("cannot suspend a station that never opened", StationStatus.SUSPENDED),
    ],
)
def test_illegal_transition_is_rejected_and_changes_nothing(applied_station, _case, to_status):
    with pytest.raises(StationTransitionNotAllowed) as error:
        station_transition(station=applied_station, to_status=to_status)
    assert error.value.code == "station_transition_not_allowed"
    assert error.value.extra["from_status"] == "applied"
    applied_station.refresh_from_db()
    assert applied_station.status == StationStatus.APPLIED
    assert StationStatusChange.objects.filter(station=applied_station).count() == 1


def test_closed_station_cannot_reopen(applied_station):
    station_transition(station=applied_station, to_status=StationStatus.CLOSED)
    with pytest.raises(StationTransitionNotAllowed):
        station_transition(station=applied_station, to_status=StationStatus.ACTIVE)


def test_activation_requires_bank_account_nozzle_and_price(applied_station):
    station_transition(station=applied_station, to_status=StationStatus.UNDER_REVIEW)
    station_transition(station=applied_station, to_status=StationStatus.APPROVED)
    with pytest.raises(StationNotReadyToActivate):
        station_transition(station=applied_station, to_status=StationStatus.ACTIVE)
    applied_station.refresh_from_db()
    assert applied_station.status == StationStatus.APPROVED


def test_enterprise_admin_cannot_approve_own_station(applied_station):
    admin = StaffRoleFactory(role=StaffRoleKind.ENTERPRISE_ADMIN, enterprise=applied_station.enterprise).user
    station_transition(station=applied_station, to_status=StationStatus.UNDER_REVIEW, actor=admin)
    with pytest.raises(RoleNotAllowed):
        station_transition(station=applied_station, to_status=StationStatus.APPROVED, actor=admin)
    applied_station.refresh_from_db()
    assert applied_station.status == StationStatus.UNDER_REVIEW


def test_transition_api_rejects_illegal_move_with_clear_error(client, applied_station):
    admin = StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user
    client.force_login(admin)
    response = client.post(
        f"/api/staff/stations/{applied_station.pk}/transition/",
        {"to_status": "active"},
        content_type="application/json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "station_transition_not_allowed"
    assert body["extra"]["allowed"] == ["closed", "under_review"]
    applied_station.refresh_from_db()
    assert applied_station.status == StationStatus.APPLIED


def test_transition_api_rejects_unknown_status(client, applied_station):
    client.force_login(StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user)
    response = client.post(
        f"/api/staff/stations/{applied_station.pk}/transition/",
        {"to_status": "flying"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "to_status" in response.json()["extra"]["fields"]
