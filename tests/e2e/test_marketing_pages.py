"""The driver's message settings and invite pages on a phone, in Chinese and English, without serious
accessibility problems; a friend follows the invite link, signs in and accepts, and shows up on the page."""

import pytest

from .conftest import PHONE, accessibility_problems, shot
from .test_driver_flows import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
INVITER, FRIEND = "13800000003", "13912340007"  # the friend is new: demo drivers have paid fills already


def test_message_settings_and_the_invite_page(platform, browser):
    # axe-core is injected as an inline script, which the pages' CSP rightly refuses: the checker bypasses it.
    page = browser.new_context(**PHONE, locale="zh-CN", bypass_csp=True).new_page()
    sign_in(platform, page, INVITER, next_path="/me/notifications/")
    assert page.inner_text(".header-title") == "消息设置"
    assert accessibility_problems(page) == []
    page.uncheck("#receive-campaign")
    page.fill("#birthday", "1990-05-20")
    page.click("#save")
    page.wait_for_selector(".card.ok")
    assert not page.is_checked("#receive-campaign") and page.is_checked("#receive-refuel_reminder")
    assert page.input_value("#birthday") == "1990-05-20"
    shot(page, "driver-message-settings")

    page.select_option("#language", "en")
    page.click("#switch-language")
    page.wait_for_selector("text=Messages I receive")
    assert page.inner_text(".header-title") == "Message settings"
    assert accessibility_problems(page) == []

    page.goto(f"{platform.url}/me/invite/")
    code = page.inner_text("#code")
    link = page.get_attribute("#link", "href")
    assert link.endswith(f"/invite/{code}/") and code in page.input_value("#share-text")
    assert accessibility_problems(page) == []

    friend = browser.new_context(**PHONE, locale="zh-CN", bypass_csp=True).new_page()
    sign_in(platform, friend, FRIEND, next_path=f"/invite/{code}/")
    assert accessibility_problems(friend) == []
    friend.click("#accept-invite")
    friend.wait_for_url("**/me/")

    page.reload()
    assert "139****0007" in page.inner_text("#invitees")
    shot(page, "driver-invite")
