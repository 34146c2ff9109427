"""The driver's rewards page: member level, points with their history, coupons, and the points shop."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import FuelpayError
from drivers.permissions import driver_required
from marketing.selectors import rewards_get
from marketing.services import points_redeem_for_coupon


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
