"""The driver's sign-in pages and the vehicles and devices pages (linked from the wallet)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.audit import client_ip_get
from core.crypto import decrypt_text, encrypt_text, phone_mask
from core.exceptions import FuelpayError
from drivers.middleware import SESSION_DEVICE_KEY
from drivers.permissions import driver_required
from drivers.selectors import trusted_device_for_token, trusted_device_list_for_driver, vehicle_list_for_driver
from drivers.services import (
    phone_normalize,
    preferred_grade_parse,
    sign_in_client_key,
    sms_code_send,
    sms_code_verify,
    trusted_device_bind,
    trusted_device_revoke,
    vehicle_add,
    vehicle_remove,
)
from stations.selectors import fuel_grade_list

# The number being signed in, between the two steps. Sessions are rows in the database, so it is kept
# there encrypted like every stored phone number.
SIGN_IN_PHONE_KEY = "sign_in_phone_encrypted"


def _client_key(request) -> str:
    return sign_in_client_key(
        client_ip=client_ip_get(request), device_token=request.COOKIES.get(settings.DRIVER_DEVICE_COOKIE)
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else fallback


def sign_in(request):
    context = {"next": _safe_next(request, reverse("driver-home")), "phone": request.POST.get("phone", "")}
    if request.method == "POST":
        try:
            sms_code_send(
                phone=request.POST.get("phone", ""), client_ip=client_ip_get(request), client_key=_client_key(request)
            )
        except FuelpayError as error:
            context["error"] = error
        else:
            request.session[SIGN_IN_PHONE_KEY] = encrypt_text(phone_normalize(request.POST["phone"]))
            return redirect(f"{reverse('driver-sign-in-verify')}?next={context['next']}")
    return render(request, "drivers/sign_in.html", context)


def sign_in_verify(request):
    if SIGN_IN_PHONE_KEY not in request.session:
        return redirect("driver-sign-in")
    phone = decrypt_text(request.session[SIGN_IN_PHONE_KEY])
    context = {"next": _safe_next(request, reverse("driver-home")), "phone_masked": phone_mask(phone)}
    if request.method == "POST":
        try:
            driver = sms_code_verify(phone=phone, code=request.POST.get("code", ""), client_key=_client_key(request))
        except FuelpayError as error:
            context["error"] = error
        else:
            # Same browser, same driver: keep its binding; anything else is a new device, bound by this code.
            device = trusted_device_for_token(token=request.COOKIES.get(settings.DRIVER_DEVICE_COOKIE))
            token = None
            if device is None or device.driver_id != driver.pk:
                device, token = trusted_device_bind(driver=driver, label=request.META.get("HTTP_USER_AGENT", "")[:120])
            del request.session[SIGN_IN_PHONE_KEY]  # login() keeps the session's data: the number must not stay
            login(request, driver.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_DEVICE_KEY] = device.pk
            request.session.set_expiry(settings.DRIVER_SESSION_DAYS * 86400)
            response = redirect(context["next"])
            if token:
                response.set_cookie(
                    settings.DRIVER_DEVICE_COOKIE,
                    token,
                    max_age=settings.DRIVER_SESSION_DAYS * 86400,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
            return response
    return render(request, "drivers/sign_in_verify.html", context)


@require_POST
def sign_out(request):
    logout(request)
    return redirect("driver-sign-in")


@driver_required
def vehicles(request):
    """The driver's vehicles (plates masked): add one, remove one. A refused form keeps what was typed."""
    driver = request.user.driver
    context = {"grades": fuel_grade_list(), "plate": "", "grade": ""}
    if request.method == "POST":
        context.update(plate=request.POST.get("plate", "")[:20], grade=request.POST.get("grade", ""))
        try:
            vehicle_add(driver=driver, plate=context["plate"], preferred_grade=preferred_grade_parse(context["grade"]))
        except FuelpayError as error:
            context["error"] = error
        else:
            messages.success(request, _("The vehicle was added."))
            return redirect("driver-vehicles")
    context["vehicles"] = vehicle_list_for_driver(driver=driver)
    return render(request, "drivers/vehicles.html", context)


@driver_required
@require_POST
def vehicle_delete(request, vehicle_id: int):
    vehicle_remove(driver=request.user.driver, vehicle_id=vehicle_id)
    return redirect("driver-vehicles")


@driver_required
def devices(request):
    """The browsers signed in to the wallet, the one in use marked; any can be signed out."""
    context = {
        "devices": trusted_device_list_for_driver(driver=request.user.driver),
        "current_device_id": request.session.get(SESSION_DEVICE_KEY),
    }
    return render(request, "drivers/devices.html", context)


@driver_required
@require_POST
def device_revoke(request, device_id: int):
    trusted_device_revoke(driver=request.user.driver, device_id=device_id)
    return redirect("driver-devices")
