"""The promotion admin: station staff see and author promotions for their own stations only, funded by
them, in plain words when they get it wrong; the change page previews the lines and reports the uses."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from marketing.enums import BenefitKind, Funder, PromotionScope, UseStatus
from marketing.models import Promotion, PromotionUse
from marketing.selectors import promotion_qs_visible_to
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import PromotionFactory
from tests.factories.stations import FuelGradeFactory, GradePriceFactory, NozzleFactory

pytestmark = pytest.mark.django_db


def _listing(network, *station_keys, scope=PromotionScope.STATIONS, **fields):
    promotion = PromotionFactory(scope=scope, **fields)
    promotion.stations.add(*[network[key] for key in station_keys])
    return promotion


@pytest.mark.parametrize(
    ("user_key", "expected"),
    [
        ("platform", {"platform", "a1", "a1+a2", "a1+b1", "b1", "enterprise a"}),
        ("enterprise_a", {"a1", "a1+a2", "enterprise a"}),
        ("manager_a1", {"a1"}),
        ("cashier_a1", {"a1"}),  # the queryset; the admin itself is closed to cashiers (below)
        ("nobody", set()),
    ],
)
def test_who_sees_which_promotion(network, user_key, expected):
    PromotionFactory(name="platform")
    _listing(network, "a1", name="a1")
    _listing(network, "a1", "a2", name="a1+a2")
    _listing(network, "a1", "b1", name="a1+b1")
    _listing(network, "b1", name="b1")
    PromotionFactory(name="enterprise a", scope=PromotionScope.ENTERPRISE, enterprise=network["enterprise_a"])
    visible = set(promotion_qs_visible_to(user=network["users"][user_key]).values_list("name", flat=True))
    assert visible - {"站点直降 明折明扣"} == expected


def test_cashiers_do_not_get_the_promotion_admin(client, network):
    client.force_login(network["users"]["cashier_a1"])
    assert client.get(reverse("admin:marketing_promotion_changelist")).status_code == 403


def _form(network, **changes) -> dict:
    data = {
        "name": "夜间95折",
        "name_en": "Night 5% off",
        "applies_to": "fuel",
        "scope": "stations",
        "stations": [network["a1"].pk],
        "weekdays": "",
        "hour_from": "22",
        "hour_to": "6",
        "grade_codes": "[]",
        "nonfuel_categories": "[]",
        "min_amount_fen": "0",
        "min_volume_ml": "0",
        "member_levels": "[]",
        "payment_modes": "[]",
        "segments": "[]",
        "vehicle_fuel_types": "[]",
        "benefit_kind": "percent_off",
        "benefit_value": "500",
        "funder": "station",
        "funding_station": network["a1"].pk,
        "stacking": "stackable",
        "stack_group": "",
        "priority": "0",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


REFUSALS = [
    ("every station is the platform's", {"scope": "platform", "stations": None}, "只有平台可以发布全部油站适用的活动"),
    ("another enterprise's station", {"stations": "b1"}, "请选择一个或多个您管理的油站"),
    ("the platform's money", {"funder": "platform"}, "须由您管理的油站承担费用"),
    ("another station's money", {"funding_station": "b1"}, None),
    ("hours half given", {"hour_to": ""}, "须同时填写或同时留空"),
    ("percent above 100%", {"benefit_value": "20000"}, "折扣以万分比填写"),
    ("weekdays not digits", {"weekdays": "Sat"}, "星期用数字"),
]


@pytest.mark.parametrize(("case", "changes", "words"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_station_manager_is_refused_in_plain_words_and_nothing_is_saved(client, network, case, changes, words):
    client.force_login(network["users"]["manager_a1"])
    changes = {k: (network[v].pk if v in ("b1", "a1") else v) for k, v in changes.items()}
    if changes.get("stations") is not None and not isinstance(changes["stations"], list):
        changes["stations"] = [changes["stations"]]
    before = Promotion.objects.count()
    response = client.post(reverse("admin:marketing_promotion_add"), _form(network, **changes))
    assert response.status_code == 200  # the form again, with the error
    if words:
        assert words in response.content.decode()
    assert Promotion.objects.count() == before


def test_a_station_manager_authors_an_inactive_promotion_previewed_before_switching_it_on(client, network):
    grade = FuelGradeFactory(code="95", name="95#汽油")
    NozzleFactory(dispenser__station=network["a1"], grade=grade)
    GradePriceFactory(station=network["a1"], grade=grade, list_price_fen_per_litre=800, price_fen_per_litre=770)
    client.force_login(network["users"]["manager_a1"])
    response = client.post(reverse("admin:marketing_promotion_add"), _form(network))
    assert response.status_code == 302
    promotion = Promotion.objects.get(name="夜间95折")
    assert (promotion.is_active, promotion.funder, promotion.funding_station) == (False, Funder.STATION, network["a1"])
    page = client.get(reverse("admin:marketing_promotion_change", args=[promotion.pk])).content.decode()
    assert "95#汽油" in page and "22:00" in page
    assert "夜间95折(22:00–06:00): 95折 -¥15.00" in page  # 5% of the ¥300 pump amount
    assert "¥285.00" in page


def test_the_report_counts_uses_cost_and_budget(client, network):
    promotion = _listing(network, "a1", funder=Funder.STATION, funding_station=network["a1"], budget_fen=10_000)
    driver = DriverFactory()
    uses = [(UseStatus.SETTLED, 1500), (UseStatus.SETTLED, 700), (UseStatus.RESERVED, 900)]
    for n, (status, cost) in enumerate(uses):
        PromotionUse.objects.create(
            promotion=promotion, driver=driver, reference=f"R{n}", status=status, cost_fen=cost, day="2026-11-23"
        )
    Promotion.objects.filter(pk=promotion.pk).update(budget_used_fen=3100)
    client.force_login(network["users"]["manager_a1"])
    page = client.get(reverse("admin:marketing_promotion_change", args=[promotion.pk])).content.decode()
    report = page[page.index('class="promotion-report"') :]
    assert "<td>2</td>" in report and "<td>1</td>" in report
    assert "¥22.00" in report and "¥69.00" in report


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"benefit_kind": BenefitKind.AMOUNT_OFF, "benefit_value": 0}, "benefit_value"),
        ({"hour_from": 6, "hour_to": 6}, "hour_to"),
        ({"hour_from": 24, "hour_to": 6}, "hour_to"),
        ({"scope": PromotionScope.ENTERPRISE}, "enterprise"),
        ({"funder": Funder.STATION}, "funding_station"),
        ({"applies_to": "top_up"}, "benefit_kind"),
    ],
)
def test_model_validation_names_the_field(fields, field):
    with pytest.raises(ValidationError) as error:
        PromotionFactory.build(**fields).clean()
    assert field in error.value.message_dict
