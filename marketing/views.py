"""The driver's marketing pages: rewards (level, points, coupons, the points shop), message settings and the
invite (referral) page."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.crypto import keyed_digest
from core.exceptions import FuelpayError
from drivers.permissions import driver_required
from marketing.selectors import invite_page_get, notification_preferences_get, rewards_get
from marketing.services import (
    driver_preferences_set,
    points_redeem_for_coupon,
    referral_accept,
    referral_code_get_or_create,
)


@driver_required
def rewards(request):
    return render(request, "marketing/rewards.html", {"rewards": rewards_get(driver_id=request.user.driver.pk)})


@driver_required
@require_POST
def points_redeem(request):
    try:
        template_id = int(request.POST.get("template", ""))
        points_redeem_for_coupon(
            driver_id=request.user.driver.pk, template_id=template_id, idempotency_key=request.POST.get("key", "")
        )
    except ValueError:
        messages.error(request, _("Choose a coupon."))
    except FuelpayError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The coupon is in your wallet."))
    return redirect("driver-rewards")


@driver_required
def notification_settings(request):
    """Which messages the driver receives (per kind), and their birthday for the level's birthday gift."""
    driver = request.user.driver
    if request.method == "POST":
        try:
            raw = request.POST.get("birthday", "").strip()
            driver_preferences_set(
                driver_id=driver.pk,
                receive_kinds=set(request.POST.getlist("receive")),
                birthday=date.fromisoformat(raw) if raw else None,
            )
        except ValueError:
            messages.error(request, _("Enter the birthday as a date, e.g. 1990-05-20."))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your settings are saved."))
            return redirect("driver-notification-settings")
    driver.refresh_from_db(fields=["birthday"])
    context = {
        "preferences": notification_preferences_get(driver_id=driver.pk),
        "birthday": driver.birthday,
        "quiet_from": settings.NOTIFICATION_QUIET_HOURS[0],
        "quiet_to": settings.NOTIFICATION_QUIET_HOURS[1],
        "max_per_day": settings.NOTIFICATION_MAX_PER_DAY,
    }
    return render(request, "marketing/notification_settings.html", context)


@driver_required
def invite(request):
    """The driver's invite code and link, the text to share, whom they invited and what it earned."""
    driver = request.user.driver
    code = referral_code_get_or_create(driver_id=driver.pk)
    link = settings.SITE_URL + reverse("driver-invite-accept", args=[code])
    page = invite_page_get(driver_id=driver.pk, code=code)
    share_text = _("I pay for fuel with fuelpay. Sign up with my invite code %(code)s: %(link)s") % {
        "code": code,
        "link": link,
    }
    return render(request, "marketing/invite.html", {"page": page, "link": link, "share_text": share_text})


@driver_required
def invite_accept(request, code: str):
    """The invite link: a new driver (signed in through it) accepts the inviter's code."""
    if request.method == "POST":
        device = request.COOKIES.get(settings.DRIVER_DEVICE_COOKIE) or f"no-device:{request.user.driver.pk}"
        try:
            referral_accept(invitee_id=request.user.driver.pk, code=code, device_digest=keyed_digest(device))
        except FuelpayError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Welcome! You and your friend each get a coupon after your first paid fill."))
            return redirect("driver-home")
    return render(request, "marketing/invite_accept.html", {"code": code[:12]})
