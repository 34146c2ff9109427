"""The back office as a whole: every registered admin is translated, shows money in yuan, keeps history
read-only, and maps every database constraint to a sentence."""

import re

import pytest
from django.contrib import admin
from django.db import models
from django.test import RequestFactory
from django.utils import translation

from core.admin_base import (
    CONSTRAINT_MESSAGES,
    DISPLAY_SUFFIX,
    ImmutableAdminMixin,
    YuanField,
    format_money_field,
    is_money_field,
)
from fuelpay.admin_console import sidebar_navigation
from fuelpay.theme_messages import AXES_MESSAGES, UNFOLD_MESSAGES
from marketing.models import ContractOffer
from orders.models import FuelOrder
from pumpgateway.models import Fill, PumpBinding
from settlement.models import FeeContract
from stations.enums import StaffRoleKind
from stations.models import Dispenser, StaffRole
from tests.factories.pumpgateway import SerialLineFactory
from tests.factories.stations import DispenserFactory, StaffRoleFactory, StationFactory
from wallet.models import JournalEntry

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
# History that must never change from the console (settlement statements join when they exist).
IMMUTABLE_MODELS = {JournalEntry, Fill, FuelOrder}
OURS = ("core", "stations", "drivers", "marketing", "wallet", "pumpgateway", "orders", "settlement")
# django-otp names its device model with a plain string, not a translatable one ("TOTP device"): no catalogue
# can translate it, so the platform admin's second-factor device list keeps that English name.
UNTRANSLATABLE_MODEL_NAMES = {"otp_totp.TOTPDevice"}


def _zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def _registered():
    return [(model, model_admin) for model, model_admin in admin.site._registry.items()]


@pytest.fixture
def platform_request():
    request = RequestFactory().get("/admin/")
    request.user = StaffRoleFactory(role=StaffRoleKind.PLATFORM_ADMIN).user
    return request


def _admins_with_inlines(model_admin, request):
    yield model_admin.model, model_admin
    for inline in model_admin.get_inline_instances(request):
        yield inline.model, inline


def test_every_registered_admin_is_translated(platform_request):
    untranslated = []
    for _model, model_admin in _registered():
        for shown_model, shown_admin in _admins_with_inlines(model_admin, platform_request):
            opts = shown_model._meta
            for text in (opts.verbose_name, opts.verbose_name_plural):
                if not CJK.search(_zh(text)) and opts.label not in UNTRANSLATABLE_MODEL_NAMES:
                    untranslated.append(f"{opts.label}: {text}")
            if shown_model._meta.app_label not in OURS:
                continue
            for field in opts.get_fields():
                if not field.concrete or field.auto_created:
                    continue
                if not CJK.search(_zh(field.verbose_name)):
                    untranslated.append(f"{opts.label}.{field.name}: {field.verbose_name}")
                for _value, label in field.flatchoices:
                    if not CJK.search(_zh(label)) and not str(label).isdigit():
                        untranslated.append(f"{opts.label}.{field.name} choice: {label}")
            if isinstance(shown_admin, admin.ModelAdmin):
                for name in shown_admin.get_list_display(platform_request):
                    attr = getattr(shown_admin, name, None) if isinstance(name, str) else name
                    description = getattr(attr, "short_description", None)
                    if description is not None and not CJK.search(_zh(description)):
                        untranslated.append(f"{opts.label} column {name}: {description}")
            if isinstance(shown_admin, admin.ModelAdmin):
                for _func, name, description in shown_admin.get_actions(platform_request).values():
                    if not CJK.search(_zh(description)):
                        untranslated.append(f"{opts.label} action {name}: {description}")
    assert untranslated == []


def test_no_money_field_is_shown_in_fen(platform_request):
    in_fen = []
    for _model, model_admin in _registered():
        for shown_model, shown_admin in _admins_with_inlines(model_admin, platform_request):
            money = {f.name for f in shown_model._meta.fields if is_money_field(f)}
            if not money:
                continue
            shown = []
            if isinstance(shown_admin, admin.ModelAdmin):
                shown += list(shown_admin.get_list_display(platform_request))
            for _title, options in shown_admin.get_fieldsets(platform_request, None):
                shown += list(options["fields"])
            readonly = set(shown_admin.get_readonly_fields(platform_request, None))
            editable = (
                shown_admin.has_add_permission(platform_request) if isinstance(shown_admin, admin.ModelAdmin) else False
            )
            for name in shown:
                if name in money and (name in readonly or not editable):
                    in_fen.append(f"{shown_model._meta.label}.{name}")
            if editable:
                form = shown_admin.get_form(platform_request, None)
                for name, field in form.base_fields.items():
                    if name in money and not isinstance(field, YuanField):
                        in_fen.append(f"{shown_model._meta.label}.{name} entered in fen")
    assert in_fen == []


def test_money_columns_render_as_yuan():
    field = JournalEntry._meta.get_field("operation")  # not money
    assert not is_money_field(field)
    amount = models.BigIntegerField(name="amount_fen", verbose_name="amount")
    amount.name = "amount_fen"
    assert is_money_field(amount)
    assert format_money_field(amount, 123456) == "¥1,234.56"
    price = models.BigIntegerField()
    price.name = "price_fen_per_litre"
    with translation.override("zh-hans"):
        assert format_money_field(price, 740) == "¥7.40/升"


def test_immutable_history_has_no_add_change_or_delete_for_anyone(platform_request):
    superuser = platform_request.user
    superuser.is_superuser = True
    for model in IMMUTABLE_MODELS:
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, ImmutableAdminMixin), model
        assert not model_admin.has_add_permission(platform_request)
        assert not model_admin.has_change_permission(platform_request, None)
        assert not model_admin.has_delete_permission(platform_request, None)
        for inline in model_admin.get_inline_instances(platform_request):
            assert not inline.has_change_permission(platform_request, None)
            assert not inline.has_delete_permission(platform_request, None)
    for model, model_admin in _registered():
        if getattr(model_admin, "immutable", False):
            assert not model_admin.has_change_permission(platform_request, None), model
            assert not model_admin.has_delete_permission(platform_request, None), model


def test_every_constraint_of_a_registered_model_has_a_plain_sentence():
    missing = []
    for model, _model_admin in _registered():
        for constraint in model._meta.constraints:
            if constraint.name not in CONSTRAINT_MESSAGES:
                missing.append(f"{model._meta.label}: {constraint.name}")
                continue
            field, message = CONSTRAINT_MESSAGES[constraint.name]
            assert field == "__all__" or model._meta.get_field(field), constraint.name
            assert CJK.search(_zh(message)), constraint.name
            assert constraint.name not in _zh(message)
    assert missing == []


def test_yuan_field_parses_yuan_and_refuses_bad_input():
    field = YuanField(per_litre=True)
    assert field.clean("7.40") == 740
    assert field.clean("1,234.5") == 123450
    assert field.clean("¥8") == 800
    assert field.prepare_value(740) == "7.40"
    for bad in ("7.405", "abc", "1e3x"):
        with pytest.raises(Exception, match="两位小数|two decimals"), translation.override("zh-hans"):
            field.clean(bad)
    assert DISPLAY_SUFFIX == "_yuan"


def _form_errors(request, model, data):
    model_admin = admin.site._registry[model]
    form = model_admin.get_form(request, None)(data=data)
    assert not form.is_valid()
    return {field: " ".join(errors) for field, errors in form.errors.items()}


def test_each_editable_constraint_shows_its_sentence_on_its_field(platform_request):
    dispenser = DispenserFactory()
    line = SerialLineFactory(station=dispenser.station)
    cases = [
        (
            ContractOffer,
            {
                "station": dispenser.station.pk,
                "committed_fen": "0",
                "days": "30",
                "reward_bonus_fen": "1",
                "funder": "station",
            },
            "contract_offer_positive",
        ),
        (
            PumpBinding,
            {
                "dispenser": DispenserFactory(station=dispenser.station).pk,
                "line": line.pk,
                "dart_address": "1",
                "volume_decimals": "2",
                "amount_decimals": "2",
                "price_decimals": "2",
            },
            "dart_address_range",
        ),
        (
            PumpBinding,
            {
                "dispenser": DispenserFactory(station=dispenser.station).pk,
                "line": line.pk,
                "dart_address": "80",
                "volume_decimals": "4",
                "amount_decimals": "2",
                "price_decimals": "2",
            },
            "pump_decimals_range",
        ),
        (
            Dispenser,
            {
                "station": dispenser.station.pk,
                "number": dispenser.number,
                "nozzles-TOTAL_FORMS": "0",
                "nozzles-INITIAL_FORMS": "0",
            },
            "uniq_dispenser_number",
        ),
        (
            StaffRole,
            {
                "username": "x",
                "password": "a-long-pass-phrase-9",
                "role": "cashier",
                "station": "",
                "enterprise": dispenser.station.enterprise.pk,
            },
            "staff_role_scope_matches_role",
        ),
        (
            FeeContract,
            {"enterprise": dispenser.station.enterprise.pk, "rate_bps": "1001", "effective_from": "2026-01-01"},
            "fee_rate_at_most_10pct",
        ),
    ]
    for model, data, constraint in cases:
        field, sentence = CONSTRAINT_MESSAGES[constraint]
        errors = _form_errors(platform_request, model, data)
        shown = errors.get(field) or errors.get("__all__", "")
        assert str(sentence) in shown, (constraint, errors)
        assert constraint not in str(errors)
    assert not ContractOffer.objects.exists()
    assert not FeeContract.objects.exists()


def test_every_list_has_filters_and_search(platform_request):
    missing = [
        model._meta.label
        for model, model_admin in _registered()
        if model._meta.app_label in OURS
        and not (model_admin.get_list_filter(platform_request) and model_admin.get_search_fields(platform_request))
    ]
    assert missing == []


def test_the_themes_own_strings_are_translated():
    third_party = UNFOLD_MESSAGES + AXES_MESSAGES
    assert [text for text in third_party if not CJK.search(_zh(translation.gettext_lazy(text)))] == []


def test_the_console_pages_carry_no_english_chrome(client, platform_request):
    client.force_login(platform_request.user)
    page = client.get("/admin/stations/station/").content.decode()
    for english in ("Select value", "Apply Filters", "Search apps and models", "All applications"):
        assert english not in page


@pytest.mark.parametrize(
    ("_case", "role", "settlements", "shifts"),
    [
        ("finance", StaffRoleKind.FINANCE, True, True),
        ("platform", StaffRoleKind.PLATFORM_ADMIN, True, True),
        ("cashier", StaffRoleKind.CASHIER, False, True),
    ],
)
def test_the_sidebar_links_the_finance_console_and_shifts_for_the_roles_that_use_them(
    rf, _case, role, settlements, shifts
):
    station = StationFactory()
    scope = {"enterprise": station.enterprise} if role == StaffRoleKind.FINANCE else {}
    scope |= {"station": station} if role == StaffRoleKind.CASHIER else {}
    request = rf.get("/admin/")
    request.user = StaffRoleFactory(role=role, **scope).user
    links = {str(item["link"]) for group in sidebar_navigation(request) for item in group["items"]}
    assert ("/finance/" in links, "/shifts/" in links) == (settlements, shifts)
