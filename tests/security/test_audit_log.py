"""The audit log (issue 12): every change to a money-relevant setting made in the admin (prices of goods,
fees, promotions, coupon templates, member levels, campaigns, stations) and every launch of a campaign is an
event with who, what, which row and from where; only platform admins read the log."""

import pytest
from django import forms
from django.test import Client

from core.models import AuditEvent
from marketing.models import Campaign, CouponTemplate, MemberLevel, Promotion
from marketing.services import campaign_from_template
from settlement.models import FeeContract
from stations.enums import NonFuelCategory, StaffRoleKind
from stations.models import NonFuelItem, Station
from tests.factories.marketing import CouponTemplateFactory, PromotionFactory
from tests.factories.stations import EnterpriseFactory, StaffRoleFactory, StationFactory

pytestmark = pytest.mark.django_db
ADMIN_IP = "10.6.6.6"


@pytest.fixture
def platform_admin():
    return StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user


@pytest.fixture
def platform(platform_admin):
    client = Client(REMOTE_ADDR=ADMIN_IP)
    client.force_login(platform_admin)
    return client


def _form_data(response) -> dict:
    """What the browser would post back for the admin form as rendered (then a test changes one field)."""
    data = {}
    for bound in response.context["adminform"].form:
        widget, value = bound.field.widget, bound.value()
        if isinstance(widget, forms.MultiWidget):
            parts = widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{bound.html_name}_{index}"] = widget.widgets[index].format_value(part) or ""
        elif isinstance(widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = "" if value is None else widget.format_value(value) or ""
        if bound.field.show_hidden_initial:  # fields with a callable default carry their initial value along
            data[bound.html_initial_name] = data[bound.html_name]
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({f"{management.prefix}-{name}": value for name, value in management.initial.items()})
        for form in inline.formset.initial_forms:
            data.update({form[name].html_name: form[name].value() or "" for name in form.fields if name == "id"})
    return data


def _save(client, url: str, **changes):
    data = _form_data(client.get(url)) | changes
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def _event(action: str) -> AuditEvent:
    return AuditEvent.objects.get(action=action)


def test_a_promotion_change_is_audited(platform, platform_admin):
    promotion = PromotionFactory()
    _save(platform, f"/admin/marketing/promotion/{promotion.pk}/change/", benefit_value="1200")
    event = _event("marketing.promotion.changed")
    assert (event.actor, event.target, event.client_ip) == (
        platform_admin,
        f"marketing.promotion:{promotion.pk}",
        ADMIN_IP,
    )
    assert event.detail == {"benefit_value": "1200"}
    assert Promotion.objects.get(pk=promotion.pk).benefit_value == 1200


def test_a_coupon_template_change_is_audited(platform, platform_admin):
    template = CouponTemplateFactory()
    _save(platform, f"/admin/marketing/coupontemplate/{template.pk}/change/", valid_days="7")
    event = _event("marketing.coupontemplate.changed")
    assert (event.actor, event.target, event.client_ip, event.detail) == (
        platform_admin,
        f"marketing.coupontemplate:{template.pk}",
        ADMIN_IP,
        {"valid_days": "7"},
    )
    assert CouponTemplate.objects.get(pk=template.pk).valid_days == 7


def test_a_member_level_change_is_audited(platform, platform_admin):
    level = MemberLevel.objects.order_by("min_spend_90d_fen").last()
    _save(platform, f"/admin/marketing/memberlevel/{level.pk}/change/", min_spend_90d_fen="99999.00")
    event = _event("marketing.memberlevel.changed")
    assert (event.actor, event.target, event.client_ip, event.detail) == (
        platform_admin,
        f"marketing.memberlevel:{level.pk}",
        ADMIN_IP,
        {"min_spend_90d_fen": "9999900"},
    )


def test_a_campaign_change_and_its_launch_are_audited(platform, platform_admin):
    campaign = campaign_from_template(template="dormant_wake_up", coupon_template=CouponTemplateFactory())
    _save(platform, f"/admin/marketing/campaign/{campaign.pk}/change/", holdout_percent="20")
    platform.post("/admin/marketing/campaign/", {"action": "launch", "_selected_action": [campaign.pk]})
    changed, launched = _event("marketing.campaign.changed"), _event("marketing.campaign.launched")
    assert changed.detail == {"holdout_percent": "20"}
    assert (launched.actor, launched.target, launched.client_ip) == (
        platform_admin,
        f"marketing.campaign:{campaign.pk}",
        ADMIN_IP,
    )
    assert launched.detail == {"coupon_template": campaign.coupon_template_id, "target": 0, "holdout": 0}
    assert Campaign.objects.get(pk=campaign.pk).launched_at is not None


def test_a_fee_contract_is_audited(platform, platform_admin):
    enterprise = EnterpriseFactory()
    _save(
        platform,
        "/admin/settlement/feecontract/add/",
        enterprise=str(enterprise.pk),
        rate_bps="30",
        effective_from="2030-01-01",
    )
    contract = FeeContract.objects.get()
    event = _event("settlement.feecontract.added")
    assert (event.actor, event.target, event.client_ip) == (
        platform_admin,
        f"settlement.feecontract:{contract.pk}",
        ADMIN_IP,
    )
    assert event.detail["rate_bps"] == "30" and event.detail["enterprise"] == str(enterprise)


def test_a_non_fuel_price_set_by_the_station_manager_is_audited():
    station = StationFactory()
    manager = StaffRoleFactory(role=StaffRoleKind.STATION_MANAGER, station=station).user
    client = Client(REMOTE_ADDR=ADMIN_IP)
    client.force_login(manager)
    _save(
        client,
        "/admin/stations/nonfuelitem/add/",
        station=str(station.pk),
        sku="W-1",
        name="矿泉水",
        price_fen="3.50",
        category=NonFuelCategory.values[0],
    )
    item = NonFuelItem.objects.get()
    event = _event("stations.nonfuelitem.added")
    assert (event.actor, event.target, event.client_ip, event.detail["price_fen"]) == (
        manager,
        f"stations.nonfuelitem:{item.pk}",
        ADMIN_IP,
        "350",
    )


def test_moving_a_station_to_another_enterprise_is_audited(platform, platform_admin):
    station, other = StationFactory(), EnterpriseFactory()
    _save(platform, f"/admin/stations/station/{station.pk}/change/", enterprise=str(other.pk))
    event = _event("stations.station.changed")
    assert (event.actor, event.target, event.client_ip, event.detail) == (
        platform_admin,
        f"stations.station:{station.pk}",
        ADMIN_IP,
        {"enterprise": str(other)},
    )
    assert Station.objects.get(pk=station.pk).enterprise == other


def test_a_settlement_account_typed_in_the_station_form_never_reaches_the_log_in_full(platform):
    station = StationFactory()
    _save(
        platform,
        f"/admin/stations/station/{station.pk}/change/",
        new_bank_name="工商银行",
        new_bank_account_holder="某某加油站",
        new_bank_account_number="6222020200112233445",
    )
    assert _event("stations.station.changed").detail["new_bank_account_number"] == "***"
    assert _event("station.bank_account.requested").detail["last4"] == "3445"
    assert "6222020200112233445" not in repr(list(AuditEvent.objects.values_list("detail", flat=True)))


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        (StaffRoleKind.ENTERPRISE_ADMIN, "enterprise"),
        (StaffRoleKind.FINANCE, "enterprise"),
        (StaffRoleKind.STATION_MANAGER, "station"),
        (StaffRoleKind.CASHIER, "station"),
    ],
)
def test_only_platform_admins_read_the_audit_log(platform, role, scope):
    station = StationFactory()
    _save(platform, f"/admin/stations/station/{station.pk}/change/", name="改名")
    event = AuditEvent.objects.get()
    user = StaffRoleFactory(role=role, **{scope: station if scope == "station" else station.enterprise}).user
    client = Client()
    client.force_login(user)
    assert client.get("/admin/core/auditevent/").status_code == 403
    assert client.get(f"/admin/core/auditevent/{event.pk}/change/").status_code == 403
    assert platform.get("/admin/core/auditevent/").status_code == 200
