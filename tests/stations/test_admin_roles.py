"""Who sees and may change what in the back office, per role; money entered in yuan; sentences, not constraints."""

import pytest
from django.contrib import admin
from django.urls import reverse

from stations.models import GradePrice
from tests.factories.stations import FuelGradeFactory, GradePriceFactory, NozzleFactory

pytestmark = pytest.mark.django_db

SALES = ["orders_fuelorder", "wallet_hold", "pumpgateway_fill", "wallet_journalentry"]
# Coupon templates are authored by station staff for their own stations too (marketing.admin).
SETUP = ["stations_gradeprice", "stations_dispenser", "stations_nozzle", "stations_station", "marketing_coupontemplate"]
PLATFORM = [
    "stations_enterprise",
    "stations_fuelgrade",
    "wallet_account",
    "wallet_topuporder",
    "pumpgateway_serialline",
    "pumpgateway_pumpbinding",
    "drivers_driver",
]


def _changelist(name):
    return reverse(f"admin:{name}_changelist")


@pytest.mark.parametrize(
    ("user_key", "allowed", "refused"),
    [
        ("platform", SALES + SETUP + PLATFORM, []),
        ("enterprise_a", SALES + SETUP, PLATFORM),
        ("manager_a1", SALES + SETUP, PLATFORM),
        ("cashier_a1", SALES, SETUP + PLATFORM),
        ("finance_a", SALES, SETUP + PLATFORM),
    ],
)
def test_each_role_opens_its_lists_and_is_refused_the_rest(client, network, user_key, allowed, refused):
    client.force_login(network["users"][user_key])
    home = client.get(reverse("admin:index"))
    assert home.status_code == 200 and 'data-testid="dashboard"' in home.content.decode()
    for name in allowed:
        assert client.get(_changelist(name)).status_code == 200, name
    for name in refused:
        assert client.get(_changelist(name)).status_code == 403, name


def test_platform_admin_opens_every_list_and_add_page_in_chinese(client, network):
    client.force_login(network["users"]["platform"])
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label in ("auth", "axes", "otp_totp"):
            # Django's own user admin (staff accounts are made through the staff page) and the third-party
            # security admins (lockouts, TOTP devices): those keep Django's per-model permissions, granted apart.
            continue
        page = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        assert page.status_code == 200, opts.label
        assert str(opts.verbose_name_plural) in page.content.decode(), opts.label
        add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
        assert add.status_code in (200, 403), opts.label


def test_price_is_entered_in_yuan_per_litre_and_shown_in_yuan(client, network):
    nozzle = NozzleFactory(dispenser__station=network["a1"])
    client.force_login(network["users"]["manager_a1"])
    response = client.post(
        reverse("admin:stations_gradeprice_add"),
        {
            "station": network["a1"].pk,
            "grade": nozzle.grade.pk,
            "list_price_fen_per_litre": "7.65",
            "price_fen_per_litre": "7.40",
            "effective_from_0": "2026-01-01",
            "effective_from_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    price = GradePrice.objects.get(station=network["a1"])
    assert (price.list_price_fen_per_litre, price.price_fen_per_litre) == (765, 740)
    listing = client.get(reverse("admin:stations_gradeprice_changelist")).content.decode()
    assert "¥7.40/升" in listing and "¥7.65/升" in listing


@pytest.mark.parametrize(
    ("list_price", "price", "field", "sentence"),
    [
        ("7.00", "7.40", "price_fen_per_litre", "油站价必须大于零，且不能高于挂牌价。"),
        ("7.65", "0", "price_fen_per_litre", "油站价必须大于零，且不能高于挂牌价。"),
        ("7.65", "7.405", "price_fen_per_litre", "最多两位小数"),
        ("abc", "7.40", "list_price_fen_per_litre", "最多两位小数"),
    ],
)
def test_a_bad_price_gets_a_sentence_on_the_field_and_changes_nothing(
    client, network, list_price, price, field, sentence
):
    grade = FuelGradeFactory()
    client.force_login(network["users"]["manager_a1"])
    response = client.post(
        reverse("admin:stations_gradeprice_add"),
        {
            "station": network["a1"].pk,
            "grade": grade.pk,
            "list_price_fen_per_litre": list_price,
            "price_fen_per_litre": price,
            "effective_from_0": "2026-01-01",
            "effective_from_1": "08:00:00",
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert sentence in " ".join(errors[field])
    assert "price_positive_and_not_above_list" not in response.content.decode()
    assert not GradePrice.objects.exists()


def test_cashier_cannot_change_a_price(client, network):
    existing = GradePriceFactory(station=network["a1"])
    client.force_login(network["users"]["cashier_a1"])
    response = client.post(
        reverse("admin:stations_gradeprice_add"),
        {
            "station": network["a1"].pk,
            "grade": existing.grade.pk,
            "list_price_fen_per_litre": "9.00",
            "price_fen_per_litre": "1.00",
            "effective_from_0": "2026-01-01",
            "effective_from_1": "08:00:00",
        },
    )
    assert response.status_code == 403
    assert list(GradePrice.objects.values_list("price_fen_per_litre", flat=True)) == [735]


def test_station_choices_in_a_form_never_name_another_enterprise(client, network):
    client.force_login(network["users"]["enterprise_a"])
    page = client.get(reverse("admin:stations_gradeprice_add")).content.decode()
    assert network["a1"].name in page and network["b1"].name not in page
