"""Hole 3: a station manager moved the station to another enterprise and changed its settlement account from the
admin form. Now only the platform moves a station; the account is changed by a request another administrator of
the enterprise approves (four-eyes), audit-logged; enterprise choices and filters show only the user's own."""

import pytest
from django.db import DatabaseError, transaction

from core.models import AuditEvent
from stations.enums import BankAccountChangeStatus, StaffRoleKind
from stations.exceptions import ChangeAlreadyDecided, InvalidBankAccount, RoleNotAllowed, SecondApproverRequired
from stations.models import BankAccountChange
from stations.services import station_bank_account_change_decide, station_bank_account_change_request
from tests.factories.stations import StaffRoleFactory

pytestmark = pytest.mark.django_db


def _change_form_post(client, station, **extra):
    data = {
        "enterprise": station.enterprise_id,
        "code": station.code,
        "name": station.name,
        "address": station.address,
        "latitude": station.latitude,
        "longitude": station.longitude,
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    } | extra
    return client.post(f"/admin/stations/station/{station.pk}/change/", data)


def test_a_station_manager_cannot_move_the_station_or_change_its_account(client, network):
    a1, b1 = network["a1"], network["b1"]
    client.force_login(network["users"]["manager_a1"])
    response = _change_form_post(
        client,
        a1,
        enterprise=b1.enterprise_id,
        name="renamed",
        new_bank_name="攻击银行",
        new_bank_account_holder="攻击者",
        new_bank_account_number="6222020000999999",
    )
    assert response.status_code == 302
    a1.refresh_from_db()
    assert a1.name == "renamed"  # the manager's own fields still save
    assert a1.enterprise_id == network["enterprise_a"].pk
    assert a1.bank_account_number_last4 == ""
    assert not BankAccountChange.objects.exists()
    page = client.get(f"/admin/stations/station/{a1.pk}/change/").content.decode()
    assert "new_bank_account_number" not in page and b1.enterprise.name not in page


def test_staff_filters_show_no_other_tenant(client, network):
    client.force_login(network["users"]["enterprise_a"])
    page = client.get("/admin/stations/station/").content.decode()
    assert network["enterprise_a"].name in page
    assert network["b1"].enterprise.name not in page


def test_an_account_change_needs_a_second_approver_of_the_enterprise(network):
    a1 = network["a1"]
    requester = network["users"]["enterprise_a"]
    change = station_bank_account_change_request(
        station=a1,
        actor=requester,
        bank_name="工行",
        holder="甲",
        account_number="6222020000123456",
        client_ip="1.2.3.4",
    )
    a1.refresh_from_db()
    assert a1.bank_account_number_last4 == ""  # nothing changes before approval
    with pytest.raises(SecondApproverRequired):
        station_bank_account_change_decide(change=change, approver=requester, approve=True)
    other_tenant = StaffRoleFactory(role=StaffRoleKind.ENTERPRISE_ADMIN, enterprise=network["b1"].enterprise).user
    for outsider in (other_tenant, network["users"]["manager_a1"], network["users"]["finance_a"]):
        with pytest.raises(RoleNotAllowed):
            station_bank_account_change_decide(change=change, approver=outsider, approve=True)
    a1.refresh_from_db()
    assert a1.bank_account_number_last4 == ""
    second = StaffRoleFactory(role=StaffRoleKind.ENTERPRISE_ADMIN, enterprise=network["enterprise_a"]).user
    station_bank_account_change_decide(change=change, approver=second, approve=True)
    a1.refresh_from_db()
    assert a1.bank_account_masked == "**** **** 3456" and a1.bank_name == "工行"
    with pytest.raises(ChangeAlreadyDecided):
        station_bank_account_change_decide(change=change, approver=network["users"]["platform"], approve=False)
    events = list(AuditEvent.objects.order_by("pk").values_list("actor", "action", "target", "client_ip"))
    assert events == [
        (requester.pk, "station.bank_account.requested", f"station:{a1.pk}", "1.2.3.4"),
        (second.pk, "station.bank_account.approved", f"station:{a1.pk}", None),
    ]


def test_a_manager_cannot_even_request_and_a_bad_number_changes_nothing(network):
    with pytest.raises(RoleNotAllowed):
        station_bank_account_change_request(
            station=network["a1"],
            actor=network["users"]["manager_a1"],
            bank_name="工行",
            holder="甲",
            account_number="6222020000123456",
        )
    with pytest.raises(InvalidBankAccount):
        station_bank_account_change_request(
            station=network["a1"],
            actor=network["users"]["enterprise_a"],
            bank_name="工行",
            holder="甲",
            account_number="12",
        )
    assert not BankAccountChange.objects.exists() and not AuditEvent.objects.exists()


def test_the_second_approver_approves_in_the_admin(client, network):
    change = station_bank_account_change_request(
        station=network["a1"],
        actor=network["users"]["enterprise_a"],
        bank_name="工行",
        holder="甲",
        account_number="6222020000123456",
    )
    client.force_login(network["users"]["platform"])
    client.post("/admin/stations/bankaccountchange/", {"action": "approve", "_selected_action": [change.pk]})
    change.refresh_from_db()
    assert change.status == BankAccountChangeStatus.APPROVED


def test_the_audit_log_is_append_only(network):
    station_bank_account_change_request(
        station=network["a1"],
        actor=network["users"]["enterprise_a"],
        bank_name="工行",
        holder="甲",
        account_number="6222020000123456",
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(action="nothing.happened")
    assert AuditEvent.objects.get().action == "station.bank_account.requested"


def test_an_enterprise_admin_requests_a_change_from_the_station_form(client, network):
    a1 = network["a1"]
    client.force_login(network["users"]["enterprise_a"])
    response = _change_form_post(
        client, a1, new_bank_name="建行", new_bank_account_holder="乙", new_bank_account_number="6227000011112222"
    )
    assert response.status_code == 302
    change = BankAccountChange.objects.get()
    assert (change.station, change.bank_name, change.bank_account_number_last4) == (a1, "建行", "2222")
    a1.refresh_from_db()
    assert a1.bank_account_number_last4 == ""  # waiting for the second approver
