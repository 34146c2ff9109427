"""Two tiers: an enterprise admin onboards its stations and staffs them; a station manager its cashiers."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from stations.enums import StaffRoleKind, StationStatus
from stations.exceptions import RoleNotAllowed, StaffUsernameIsPhone
from stations.models import StaffRole, Station, StationStatusChange
from stations.services import staff_member_create, staff_member_set_active
from tests.factories.stations import StaffRoleFactory

pytestmark = pytest.mark.django_db

STATION_FORM = {
    "code": "new-station",
    "name": "新开油站",
    "address": "上海市浦东新区",
    "latitude": "31.2",
    "longitude": "121.5",
    "bank_name": "",
    "bank_account_holder": "",
    "status_changes-TOTAL_FORMS": "0",
    "status_changes-INITIAL_FORMS": "0",
}


def test_enterprise_admin_files_a_station_application(client, network):
    client.force_login(network["users"]["enterprise_a"])
    form_page = client.get(reverse("admin:stations_station_add")).content.decode()
    assert network["enterprise_a"].name in form_page
    assert network["b1"].enterprise.name not in form_page
    response = client.post(
        reverse("admin:stations_station_add"), {**STATION_FORM, "enterprise": network["enterprise_a"].pk}
    )
    assert response.status_code == 302
    station = Station.objects.get(code="new-station")
    assert station.status == StationStatus.APPLIED and station.enterprise == network["enterprise_a"]
    change = StationStatusChange.objects.get(station=station)
    assert (change.to_status, change.actor) == (StationStatus.APPLIED, network["users"]["enterprise_a"])


def test_enterprise_admin_cannot_file_for_another_enterprise(client, network):
    client.force_login(network["users"]["enterprise_a"])
    response = client.post(
        reverse("admin:stations_station_add"), {**STATION_FORM, "enterprise": network["b1"].enterprise.pk}
    )
    assert response.status_code == 200 and "enterprise" in response.context["adminform"].form.errors
    assert not Station.objects.filter(code="new-station").exists()


@pytest.mark.parametrize("user_key", ["manager_a1", "cashier_a1", "finance_a"])
def test_only_platform_and_enterprise_admins_file_applications(client, network, user_key):
    client.force_login(network["users"][user_key])
    response = client.post(
        reverse("admin:stations_station_add"), {**STATION_FORM, "enterprise": network["enterprise_a"].pk}
    )
    assert response.status_code == 403
    assert not Station.objects.filter(code="new-station").exists()


def _staff_form(role, *, station=None, enterprise=None, username="new-cashier"):
    return {
        "username": username,
        "password": "a-long-pass-phrase-9",
        "role": role,
        "station": station.pk if station else "",
        "enterprise": enterprise.pk if enterprise else "",
    }


def test_enterprise_admin_creates_a_cashier_who_can_sign_in_and_then_deactivates_them(client, network):
    client.force_login(network["users"]["enterprise_a"])
    response = client.post(
        reverse("admin:stations_staffrole_add"), _staff_form(StaffRoleKind.CASHIER, station=network["a2"])
    )
    assert response.status_code == 302
    cashier = get_user_model().objects.get(username="new-cashier")
    assert cashier.is_staff and cashier.check_password("a-long-pass-phrase-9")
    assert (cashier.staff_role.role, cashier.staff_role.station) == (StaffRoleKind.CASHIER, network["a2"])
    client.post(
        reverse("admin:stations_staffrole_changelist"),
        {"action": "deactivate", "_selected_action": [cashier.staff_role.pk]},
    )
    cashier.refresh_from_db()
    assert not cashier.is_active


@pytest.mark.parametrize(
    ("user_key", "role", "target", "allowed"),
    [
        ("enterprise_a", StaffRoleKind.STATION_MANAGER, "a1", True),
        ("enterprise_a", StaffRoleKind.FINANCE, "enterprise_a", True),
        ("enterprise_a", StaffRoleKind.CASHIER, "b1", False),
        ("enterprise_a", StaffRoleKind.PLATFORM_ADMIN, None, False),
        ("manager_a1", StaffRoleKind.CASHIER, "a1", True),
        ("manager_a1", StaffRoleKind.CASHIER, "a2", False),
        ("manager_a1", StaffRoleKind.STATION_MANAGER, "a1", False),
        ("cashier_a1", StaffRoleKind.CASHIER, "a1", False),
        ("finance_a", StaffRoleKind.CASHIER, "a1", False),
    ],
)
def test_who_may_create_which_staff(network, user_key, role, target, allowed):
    place = network.get(target) if target else None
    scope = {"enterprise": place} if target == "enterprise_a" else {"station": place}
    before = StaffRole.objects.count()
    if allowed:
        user = staff_member_create(actor=network["users"][user_key], username="x", password="pw", role=role, **scope)
        assert user.staff_role.role == role
    else:
        with pytest.raises(RoleNotAllowed):
            staff_member_create(actor=network["users"][user_key], username="x", password="pw", role=role, **scope)
        assert StaffRole.objects.count() == before


def test_a_refused_staff_form_names_the_field_and_creates_nothing(client, network):
    client.force_login(network["users"]["manager_a1"])
    response = client.post(
        reverse("admin:stations_staffrole_add"), _staff_form(StaffRoleKind.CASHIER, station=network["a2"])
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors  # a2 is not the manager's station: not even a choice
    taken = client.post(
        reverse("admin:stations_staffrole_add"),
        _staff_form(StaffRoleKind.CASHIER, station=network["a1"], username=network["users"]["cashier_a1"].username),
    )
    assert "username" in taken.context["adminform"].form.errors
    assert not get_user_model().objects.filter(username="new-cashier").exists()


def test_staff_lists_are_scoped_and_managers_see_only_their_cashiers(client, network):
    other_cashier = StaffRoleFactory(role=StaffRoleKind.CASHIER, station=network["b1"]).user
    client.force_login(network["users"]["enterprise_a"])
    page = client.get(reverse("admin:stations_staffrole_changelist")).content.decode()
    assert network["users"]["cashier_a1"].username in page and other_cashier.username not in page
    client.force_login(network["users"]["manager_a1"])
    page = client.get(reverse("admin:stations_staffrole_changelist")).content.decode()
    assert network["users"]["cashier_a1"].username in page
    assert network["users"]["finance_a"].username not in page


def test_a_manager_cannot_deactivate_staff_outside_their_cashiers(network):
    finance = network["users"]["finance_a"].staff_role
    with pytest.raises(RoleNotAllowed):
        staff_member_set_active(actor=network["users"]["manager_a1"], staff_role=finance, is_active=False)
    finance.user.refresh_from_db()
    assert finance.user.is_active


@pytest.mark.parametrize("username", ["13912345678", "+86 139-1234-5678"])
def test_a_phone_number_is_refused_as_a_login_name_and_nothing_is_created(client, network, username):
    client.force_login(network["users"]["manager_a1"])
    users_before = get_user_model().objects.count()
    form = _staff_form(StaffRoleKind.CASHIER, station=network["a1"], username=username)
    response = client.post(reverse("admin:stations_staffrole_add"), form)
    assert response.context["adminform"].form.errors["username"] == [StaffUsernameIsPhone.default_message]
    with pytest.raises(StaffUsernameIsPhone):
        staff_member_create(
            actor=network["users"]["manager_a1"],
            username=username,
            password="a-long-pass-phrase-9",
            role=StaffRoleKind.CASHIER,
            station=network["a1"],
        )
    assert get_user_model().objects.count() == users_before
