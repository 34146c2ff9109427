"""The driver's message settings page (per-kind opt-out, birthday) and invite page (code, link, share text,
who joined, rewards earned), and the invite link."""

from datetime import date

import pytest
from django.urls import reverse

from drivers.models import Driver
from marketing.engine import Quote
from marketing.enums import NotificationKind, ReferralStatus
from marketing.models import NotificationOptOut, Referral, ReferralCode
from marketing.services import order_paid_record, referral_accept, referral_code_get_or_create
from tests.factories.drivers import DriverFactory
from tests.factories.marketing import CouponTemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, driver):
    client.force_login(driver.user)
    return client


def _opted_out(driver) -> set[str]:
    return set(NotificationOptOut.objects.filter(driver=driver).values_list("kind", flat=True))


def test_the_settings_page_lists_each_kind_and_the_money_ones_are_always_on(signed_in, driver):
    NotificationOptOut.objects.create(driver=driver, kind=NotificationKind.CAMPAIGN)
    page = signed_in.get(reverse("driver-notification-settings")).content.decode()
    assert 'value="campaign" id="receive-campaign">' in page  # not checked
    assert 'value="low_balance" id="receive-low_balance" checked>' in page
    assert 'name="receive" value="receipt"' not in page  # receipts cannot be switched off
    assert "22:00–8:00" in page


def test_saving_the_page_switches_kinds_off_and_on_and_sets_the_birthday(signed_in, driver):
    NotificationOptOut.objects.create(driver=driver, kind=NotificationKind.CAMPAIGN)
    response = signed_in.post(
        reverse("driver-notification-settings"),
        {"receive": ["campaign", "low_balance", "expiring", "birthday"], "birthday": "1990-05-20"},
    )
    assert response.status_code == 302
    assert _opted_out(driver) == {NotificationKind.REFUEL_REMINDER}
    assert Driver.objects.get(pk=driver.pk).birthday == date(1990, 5, 20)


@pytest.mark.parametrize(
    ("_case", "form", "words"),
    [
        ("a birthday in the future", {"receive": [], "birthday": "2999-01-01"}, "Enter your real birthday."),
        ("not a date", {"receive": [], "birthday": "20 May"}, "Enter the birthday as a date"),
        ("an unknown kind", {"receive": ["spam"], "birthday": ""}, "Choose among the kinds of messages listed."),
    ],
)
def test_bad_input_is_refused_in_plain_words_and_changes_nothing(signed_in, driver, settings, _case, form, words):
    settings.LANGUAGE_CODE = "en"
    NotificationOptOut.objects.create(driver=driver, kind=NotificationKind.CAMPAIGN)
    response = signed_in.post(reverse("driver-notification-settings"), form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert words in response.content.decode()
    assert _opted_out(driver) == {NotificationKind.CAMPAIGN}
    assert Driver.objects.get(pk=driver.pk).birthday is None


def test_the_invite_page_shows_the_code_link_share_text_friends_and_rewards(signed_in, driver, settings):
    settings.SITE_URL = "https://pay.example.cn"
    CouponTemplateFactory(name="邀请有礼券", for_referrals=True)
    code = referral_code_get_or_create(driver_id=driver.pk)
    joined, waiting = DriverFactory(phone="13911112222"), DriverFactory(phone="13933334444")
    referral_accept(invitee_id=joined.pk, code=code, device_digest="d1")
    referral_accept(invitee_id=waiting.pk, code=code, device_digest="d2")
    order_paid_record(driver_id=joined.pk, paid_fen=20_000, reference="F1", quote=Quote((), 0))
    page = signed_in.get(reverse("driver-invite")).content.decode()
    assert f'<div class="big" id="code">{code}</div>' in page
    assert f"https://pay.example.cn/invite/{code}/" in page
    assert "139****2222" in page and "139****4444" in page and "13911112222" not in page
    assert page.count('class="row earned-coupon"') == 1 and "邀请有礼券" in page


def test_the_invite_link_sends_a_signed_out_visitor_to_sign_in(client, driver):
    code = referral_code_get_or_create(driver_id=driver.pk)
    response = client.get(reverse("driver-invite-accept", args=[code]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("driver-sign-in"))


def test_accepting_the_invite_link_records_the_referral(client, driver):
    code = referral_code_get_or_create(driver_id=driver.pk)
    newcomer = DriverFactory()
    client.force_login(newcomer.user)
    response = client.post(reverse("driver-invite-accept", args=[code]))
    assert response.status_code == 302
    referral = Referral.objects.get(invitee=newcomer)
    assert (referral.inviter_id, referral.status) == (driver.pk, ReferralStatus.PENDING)


def test_ones_own_invite_link_is_refused_and_records_nothing(signed_in, driver):
    code = referral_code_get_or_create(driver_id=driver.pk)
    response = signed_in.post(reverse("driver-invite-accept", args=[code]))
    assert response.status_code == 200
    assert not Referral.objects.exists()
    assert ReferralCode.objects.count() == 1
