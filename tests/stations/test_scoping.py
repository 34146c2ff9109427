import pytest
from django.urls import reverse

from stations.selectors import station_qs_visible_to
from tests.factories.drivers import DriverFactory
from tests.factories.stations import StationFactory
from wallet.providers import payment_provider_get
from wallet.services.holds import wallet_hold_place
from wallet.services.top_up import wallet_top_up_notification_handle, wallet_top_up_order_create

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("_case", "user_key", "expected"),
    [
        ("platform admin sees all", "platform", {"a1", "a2", "b1"}),
        ("enterprise admin sees own enterprise", "enterprise_a", {"a1", "a2"}),
        ("station manager sees one station", "manager_a1", {"a1"}),
        ("cashier is scoped to one station", "cashier_a1", {"a1"}),
        ("finance sees own enterprise", "finance_a", {"a1", "a2"}),
        ("staff without a role sees nothing", "nobody", set()),
    ],
)
def test_station_queryset_is_scoped_by_role(network, _case, user_key, expected):
    visible = set(station_qs_visible_to(user=network["users"][user_key]).values_list("code", flat=True))
    assert visible == {network[key].code for key in expected}


def test_manager_of_a_gets_404_for_station_b_in_api(client, network):
    client.force_login(network["users"]["manager_a1"])
    response = client.get(reverse("station-detail", kwargs={"station_id": network["b1"].pk}))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_manager_sees_own_station_detail_with_masked_bank_account(client, network):
    client.force_login(network["users"]["manager_a1"])
    response = client.get(reverse("station-detail", kwargs={"station_id": network["a1"].pk}))
    assert response.status_code == 200
    assert response.json()["code"] == network["a1"].code


def test_manager_of_a_gets_404_for_station_b_in_admin(client, network):
    client.force_login(network["users"]["manager_a1"])
    response = client.get(reverse("admin:stations_station_change", args=[network["b1"].pk]))
    assert response.status_code == 302  # admin redirects a missing object to the changelist ...
    listing = client.get(reverse("admin:stations_station_changelist"))
    assert network["b1"].name not in listing.content.decode()  # ... which does not list it
    assert network["a1"].name in listing.content.decode()


def test_cashier_cannot_open_station_setup_in_admin(client, network):
    client.force_login(network["users"]["cashier_a1"])
    assert client.get(reverse("admin:stations_station_changelist")).status_code == 403


def test_cashier_sees_only_own_station_payments_with_masked_phone(client, network):
    driver = DriverFactory(phone="13912345678")
    order = wallet_top_up_order_create(driver=driver, amount_fen=100_000, idempotency_key="k")
    wallet_top_up_notification_handle(
        params=payment_provider_get().payment_notification(out_trade_no=order.out_trade_no, amount_fen=100_000)
    )
    wallet_hold_place(
        driver_id=driver.pk, station_id=network["a1"].pk, amount_fen=1000, reference="PAY-A1", idempotency_key="a1"
    )
    wallet_hold_place(
        driver_id=driver.pk, station_id=network["b1"].pk, amount_fen=1000, reference="PAY-B1", idempotency_key="b1"
    )
    client.force_login(network["users"]["cashier_a1"])
    page = client.get(reverse("admin:wallet_hold_changelist")).content.decode()
    assert "PAY-A1" in page and "PAY-B1" not in page
    assert "139****5678" in page and "13912345678" not in page


def test_enterprise_admin_cannot_transition_other_enterprise_station_via_api(client, network):
    client.force_login(network["users"]["enterprise_a"])
    response = client.post(
        reverse("station-transition", kwargs={"station_id": network["b1"].pk}),
        {"to_status": "suspended"},
        content_type="application/json",
    )
    assert response.status_code == 404
    network["b1"].refresh_from_db()
    assert network["b1"].status == "active"


def test_station_list_api_lists_only_scoped_stations(client, network):
    StationFactory()  # an unrelated station elsewhere
    client.force_login(network["users"]["enterprise_a"])
    codes = {row["code"] for row in client.get(reverse("station-list")).json()}
    assert codes == {network["a1"].code, network["a2"].code}


def test_anonymous_user_gets_401_from_staff_api(client, network):
    response = client.get(reverse("station-list"))
    assert response.status_code in (401, 403)
    assert response.json()["code"] in ("not_authenticated", "permission_denied")
