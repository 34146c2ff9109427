"""Station-authored coupons and campaigns in the admin, scoped to the manager's stations (plain-word
refusals, a preview, a report), and each station's and enterprise's own segments with their sizes over time."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketing.engine import Quote
from marketing.enums import CampaignGroup, PromotionScope, Segment
from marketing.models import Campaign, CampaignMember, CouponTemplate, SegmentSize
from marketing.selectors import campaign_audience, scoped_qs_visible_to, segment_size_qs_visible_to
from marketing.services import campaign_launch, coupon_issue, order_paid_record, standings_refresh
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import CampaignFactory, CouponTemplateFactory
from tests.factories.stations import FuelGradeFactory, GradePriceFactory, NozzleFactory

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()
NOW = datetime(2026, 11, 24, 4, tzinfo=TZ)


def _paid(driver, station, *, days_ago, paid_fen=20_000, n=0):
    order_paid_record(
        driver_id=driver.pk,
        paid_fen=paid_fen,
        reference=f"F{driver.pk}-{station.pk}-{n}",
        quote=Quote((), 0),
        station_id=station.pk,
        at=NOW - timedelta(days=days_ago),
    )


def _coupon_form(network, **changes) -> dict:
    data = {
        "name": "洗车券",
        "name_en": "Car wash",
        "kind": "fuel",
        "partner_code": "",
        "is_active": "on",
        "scope": "stations",
        "stations": [network["a1"].pk],
        "benefit_kind": "amount_off",
        "benefit_value": "1000",
        "min_amount_fen": "200",  # yuan in the console
        "grade_codes": "[]",
        "nonfuel_categories": "[]",
        "funder": "station",
        "funding_station": network["a1"].pk,
        "valid_days": "30",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_a_station_manager_authors_a_coupon_for_their_station_and_previews_it(client, network):
    grade = FuelGradeFactory(code="95", name="95#汽油")
    NozzleFactory(dispenser__station=network["a1"], grade=grade)
    GradePriceFactory(station=network["a1"], grade=grade, list_price_fen_per_litre=800, price_fen_per_litre=800)
    client.force_login(network["users"]["manager_a1"])
    assert client.post(reverse("admin:marketing_coupontemplate_add"), _coupon_form(network)).status_code == 302
    template = CouponTemplate.objects.get(name="洗车券")
    page = client.get(reverse("admin:marketing_coupontemplate_change", args=[template.pk])).content.decode()
    preview = page[page.index("promotion-preview") :]
    assert "洗车券" in preview and "-¥10.00" in preview and "¥290.00" in preview  # ¥300 sale
    assert 'class="coupon-report"' in page


COUPON_REFUSALS = [
    ("another enterprise's station", {"stations": "b1"}, "stations"),
    ("every station", {"scope": "platform", "stations": None}, "scope"),
    ("the platform's money", {"funder": "platform"}, "funder"),
    ("a points-shop coupon", {"points_price": "100"}, "points_price"),
]


@pytest.mark.parametrize(("_case", "changes", "field"), COUPON_REFUSALS, ids=[c[0] for c in COUPON_REFUSALS])
def test_a_station_managers_coupon_outside_their_reach_is_refused_and_not_saved(client, network, _case, changes, field):
    client.force_login(network["users"]["manager_a1"])
    changes = {k: ([network[v].pk] if v == "b1" else v) for k, v in changes.items()}
    response = client.post(reverse("admin:marketing_coupontemplate_add"), _coupon_form(network, **changes))
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not CouponTemplate.objects.filter(name="洗车券").exists()


@pytest.mark.parametrize(
    ("user_key", "expected"),
    [
        ("platform", {"platform", "a1", "b1", "enterprise a"}),
        ("enterprise_a", {"a1", "enterprise a"}),
        ("manager_a1", {"a1"}),
    ],
)
def test_who_sees_which_campaign(network, user_key, expected):
    CampaignFactory(name="platform")
    CampaignFactory(name="a1", scope=PromotionScope.STATIONS).stations.add(network["a1"])
    CampaignFactory(name="b1", scope=PromotionScope.STATIONS).stations.add(network["b1"])
    CampaignFactory(name="enterprise a", scope=PromotionScope.ENTERPRISE, enterprise=network["enterprise_a"])
    visible = scoped_qs_visible_to(model=Campaign, user=network["users"][user_key])
    assert set(visible.values_list("name", flat=True)) == expected


def test_a_station_campaign_targets_drivers_by_what_they_did_at_that_station(network):
    loyal_elsewhere, dormant_here, new_here = DriverFactory(), DriverFactory(), DriverFactory()
    _paid(loyal_elsewhere, network["a1"], days_ago=90)  # dormant at a1 …
    _paid(loyal_elsewhere, network["b1"], days_ago=2)  # … but active at b1
    _paid(dormant_here, network["a1"], days_ago=70)
    _paid(new_here, network["a1"], days_ago=1)
    campaign = CampaignFactory(scope=PromotionScope.STATIONS, segment=Segment.DORMANT)
    campaign.stations.add(network["a1"])
    assert campaign_audience(campaign=campaign, now=NOW) == sorted([loyal_elsewhere.pk, dormant_here.pk])
    standings_refresh(now=NOW)
    platform = CampaignFactory(segment=Segment.DORMANT)  # the platform's standings: last paid anywhere
    assert campaign_audience(campaign=platform, now=NOW) == [dormant_here.pk]


def test_a_station_manager_authors_previews_and_launches_a_campaign_for_their_station(client, network):
    drivers = [DriverFactory() for _ in range(3)]
    for driver in drivers:
        _paid(driver, network["a1"], days_ago=70)
    template = CouponTemplateFactory(scope=PromotionScope.STATIONS, name="回来加油券")
    template.stations.add(network["a1"])
    client.force_login(network["users"]["manager_a1"])
    form = {
        "name": "唤醒",
        "scope": "stations",
        "stations": [network["a1"].pk],
        "segment": "dormant",
        "coupon_template": template.pk,
        "title": "好久不见",
        "body": "送您一张券",
        "holdout_percent": "0",
    }
    assert client.post(reverse("admin:marketing_campaign_add"), form).status_code == 302
    campaign = Campaign.objects.get(name="唤醒")
    page = client.get(reverse("admin:marketing_campaign_change", args=[campaign.pk])).content.decode()
    audience = page[page.index('class="campaign-audience"') :]
    assert "<td>3</td>" in audience and "<td>0</td>" in audience
    client.post(reverse("admin:marketing_campaign_changelist"), {"action": "launch", "_selected_action": [campaign.pk]})
    members = CampaignMember.objects.filter(campaign=campaign, group=CampaignGroup.TARGET)
    assert sorted(members.values_list("driver_id", flat=True)) == sorted(d.pk for d in drivers)
    page = client.get(reverse("admin:marketing_campaign_change", args=[campaign.pk])).content.decode()
    assert 'class="campaign-report"' in page


@pytest.mark.parametrize(
    ("_case", "changes", "field"),
    [
        ("another station's drivers", {"stations": "b1"}, "stations"),
        ("every driver", {"scope": "platform", "stations": None}, "scope"),
        ("the platform's coupon", {"coupon_template": "platform"}, "coupon_template"),
    ],
)
def test_a_station_managers_campaign_outside_their_reach_is_refused(client, network, _case, changes, field):
    platform_coupon = CouponTemplateFactory()
    values = {"b1": [network["b1"].pk], "platform": platform_coupon.pk}
    form = {
        "name": "唤醒",
        "scope": "stations",
        "stations": [network["a1"].pk],
        "segment": "dormant",
        "title": "t",
        "body": "b",
        "holdout_percent": "10",
    } | {k: values.get(v, v) for k, v in changes.items()}
    client.force_login(network["users"]["manager_a1"])
    response = client.post(reverse("admin:marketing_campaign_add"), {k: v for k, v in form.items() if v is not None})
    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Campaign.objects.exists()


def test_a_launched_campaign_cannot_be_changed(client, network):
    campaign = CampaignFactory(scope=PromotionScope.STATIONS, name="old")
    campaign.stations.add(network["a1"])
    campaign_launch(campaign_id=campaign.pk, now=NOW)
    client.force_login(network["users"]["manager_a1"])
    form = {"name": "new", "scope": "stations", "stations": [network["a1"].pk], "segment": "dormant"}
    response = client.post(
        reverse("admin:marketing_campaign_change", args=[campaign.pk]),
        form | {"title": "t", "body": "b", "holdout_percent": "10"},
    )
    assert response.status_code == 200
    assert Campaign.objects.get(pk=campaign.pk).name == "old"


def test_the_nightly_refresh_records_each_station_and_enterprise_segment_sizes(network):
    active, dormant = DriverFactory(), DriverFactory()
    _paid(active, network["a1"], days_ago=1)
    _paid(active, network["a2"], days_ago=70)
    _paid(dormant, network["a2"], days_ago=80)
    standings_refresh(now=NOW)
    standings_refresh(now=NOW + timedelta(days=1))  # the next night: sizes over time, one row per day

    def sizes(scope_key):
        rows = SegmentSize.objects.filter(scope_key=scope_key, day=NOW.date(), drivers__gt=0)
        return dict(rows.values_list("segment", "drivers"))

    assert sizes(f"station:{network['a1'].pk}") == {Segment.NEW: 1}
    assert sizes(f"station:{network['a2'].pk}") == {Segment.DORMANT: 2}
    assert sizes(f"enterprise:{network['enterprise_a'].pk}") == {Segment.POTENTIAL: 1, Segment.DORMANT: 1}
    assert sizes(f"station:{network['b1'].pk}") == {}
    assert SegmentSize.objects.filter(scope_key=f"station:{network['a1'].pk}").count() == 2 * len(Segment.values)


@pytest.mark.parametrize(
    ("user_key", "scopes"),
    [
        ("manager_a1", {"a1"}),
        ("enterprise_a", {"a1", "a2", "enterprise a"}),
        ("platform", {"platform", "a1", "a2", "b1", "enterprise a", "enterprise b"}),
    ],
)
def test_each_station_and_enterprise_sees_its_own_segment_sizes(network, user_key, scopes):
    standings_refresh(now=NOW)
    names = {
        "platform": "platform",
        f"station:{network['a1'].pk}": "a1",
        f"station:{network['a2'].pk}": "a2",
        f"station:{network['b1'].pk}": "b1",
        f"enterprise:{network['enterprise_a'].pk}": "enterprise a",
        f"enterprise:{network['b1'].enterprise_id}": "enterprise b",
    }
    visible = segment_size_qs_visible_to(user=network["users"][user_key]).values_list("scope_key", flat=True)
    assert {names[key] for key in visible} == scopes


def test_the_segment_sizes_page_lists_a_managers_own_rows(client, network):
    standings_refresh(now=NOW)
    client.force_login(network["users"]["manager_a1"])
    response = client.get(reverse("admin:marketing_segmentsize_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == len(Segment.values)


def test_coupons_issued_from_a_station_template_are_reported_by_status(client, network):
    template = CouponTemplateFactory(scope=PromotionScope.STATIONS)
    template.stations.add(network["a1"])
    for _ in range(2):
        coupon_issue(template=template, driver_id=DriverFactory().pk, via="rule")
    client.force_login(network["users"]["manager_a1"])
    page = client.get(reverse("admin:marketing_coupontemplate_change", args=[template.pk])).content.decode()
    report = page[page.index('class="coupon-report"') :]
    assert "<td>2</td>" in report
