"""The driver's mobile pages (sign-in, home, pay at the nozzle, order progress, pay later) and the
payment provider simulator's cashier. Pages are plain forms that work without JavaScript; scripts
only add the live quote and the order's live progress."""

import functools
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import FuelpayError
from core.money import yuan_to_fen
from marketing.selectors import promotion_list_for_driver
from stations.enums import StationStatus
from stations.exceptions import NoPriceInEffect
from stations.models import FuelGrade, Station
from stations.selectors import nozzle_get_by_number, station_price_get
from wallet.exceptions import InvalidAmount
from wallet.middleware import SESSION_DEVICE_KEY
from wallet.models import FuelOrder, TopUpOrder
from wallet.providers import payment_provider_get
from wallet.selectors import (
    contract_list_for_driver,
    order_list_for_driver,
    order_quote_get,
    order_view_get,
    unpaid_fill_list_for_nozzle,
    wallet_balance_get,
    wallet_history_list,
)
from wallet.services.auth import (
    sms_code_send,
    sms_code_verify,
    trusted_device_bind,
    trusted_device_for_token,
    trusted_device_revoke,
)
from wallet.services.orders import order_cancel, order_postpaid_pay, order_prepaid_create, order_report_wrong_fill
from wallet.services.top_up import wallet_top_up_order_create
from wallet.services.vehicles import vehicle_add, vehicle_remove
from wallet.tasks import payment_simulator_notify_task

SIGN_IN_PHONE_KEY = "sign_in_phone"


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def driver_required(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.is_authenticated and hasattr(request.user, "driver")):
            return redirect(f"{reverse('driver-sign-in')}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else fallback


def _parse_int(text: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError) as error:
        raise InvalidAmount() from error


def _parse_yuan(text: str) -> int:
    try:
        return yuan_to_fen(text)
    except ValueError as error:
        raise InvalidAmount() from error


# --- sign-in -----------------------------------------------------------------------------------


def sign_in(request):
    context = {"next": _safe_next(request, reverse("driver-home")), "phone": request.POST.get("phone", "")}
    if request.method == "POST":
        try:
            sms_code_send(phone=request.POST.get("phone", ""), client_ip=client_ip(request))
        except FuelpayError as error:
            context["error"] = error
        else:
            request.session[SIGN_IN_PHONE_KEY] = request.POST["phone"]
            return redirect(f"{reverse('driver-sign-in-verify')}?next={context['next']}")
    return render(request, "driver/sign_in.html", context)


def sign_in_verify(request):
    phone = request.session.get(SIGN_IN_PHONE_KEY)
    if not phone:
        return redirect("driver-sign-in")
    context = {"next": _safe_next(request, reverse("driver-home")), "phone_masked": f"{phone[:3]}****{phone[-4:]}"}
    if request.method == "POST":
        try:
            driver = sms_code_verify(phone=phone, code=request.POST.get("code", ""))
        except FuelpayError as error:
            context["error"] = error
        else:
            # Same browser, same driver: keep its binding; anything else is a new device, bound by this code.
            device = trusted_device_for_token(token=request.COOKIES.get(settings.DRIVER_DEVICE_COOKIE))
            token = None
            if device is None or device.driver_id != driver.pk:
                device, token = trusted_device_bind(driver=driver, label=request.META.get("HTTP_USER_AGENT", "")[:120])
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
    return render(request, "driver/sign_in_verify.html", context)


@require_POST
def sign_out(request):
    logout(request)
    return redirect("driver-sign-in")


# --- home --------------------------------------------------------------------------------------


@driver_required
def home(request):
    driver = request.user.driver
    rules, offers = promotion_list_for_driver()
    context = {
        "driver": driver,
        "balance": wallet_balance_get(driver_id=driver.pk),
        "tiers": settings.WALLET_TOP_UP_TIERS_FEN,
        "bonus_rules": rules,
        "contract_offers": offers,
        "contracts": contract_list_for_driver(driver_id=driver.pk)[:5],
        "history": wallet_history_list(driver_id=driver.pk, limit=15),
        "orders": order_list_for_driver(driver_id=driver.pk, limit=5),
        "vehicles": driver.vehicles.select_related("preferred_grade").order_by("pk"),
        "devices": driver.devices.filter(revoked_at__isnull=True).order_by("-last_seen_at"),
        "current_device_id": request.session.get(SESSION_DEVICE_KEY),
        "grades": FuelGrade.objects.order_by("code"),
        "top_up_key": uuid.uuid4().hex,
    }
    return render(request, "driver/home.html", context)


def _home_with_error(request, error: FuelpayError):
    messages.error(request, error.message)
    return redirect("driver-home")


@driver_required
@require_POST
def top_up(request):
    try:
        amount_fen = _parse_yuan(request.POST.get("amount_yuan") or request.POST.get("tier_yuan") or "")
        order = wallet_top_up_order_create(
            driver=request.user.driver, amount_fen=amount_fen, idempotency_key=request.POST.get("key", "")[:80]
        )
    except FuelpayError as error:
        return _home_with_error(request, error)
    return redirect(payment_provider_get().cashier_url(order.out_trade_no))


@driver_required
@require_POST
def vehicle_create(request):
    grade_id = request.POST.get("grade", "")
    grade = FuelGrade.objects.filter(pk=grade_id).first() if grade_id.isdigit() else None
    try:
        vehicle_add(driver=request.user.driver, plate=request.POST.get("plate", ""), preferred_grade=grade)
    except FuelpayError as error:
        return _home_with_error(request, error)
    return redirect("driver-home")


@driver_required
@require_POST
def vehicle_delete(request, vehicle_id: int):
    vehicle_remove(driver=request.user.driver, vehicle_id=vehicle_id)
    return redirect("driver-home")


@driver_required
@require_POST
def device_revoke(request, device_id: int):
    trusted_device_revoke(driver=request.user.driver, device_id=device_id)
    return redirect("driver-home")


# --- pay at the nozzle (prepaid) -----------------------------------------------------------------


def nozzle_pay(request, station_code: str, nozzle_number: int):
    nozzle = nozzle_get_by_number(station_code=station_code, nozzle_number=nozzle_number)
    try:
        price = station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)
    except NoPriceInEffect:
        price = None
    driver = getattr(request.user, "driver", None) if request.user.is_authenticated else None
    context = {
        "nozzle": nozzle,
        "station": nozzle.station,
        "price": price,
        "accepting_payments": nozzle.station.status == StationStatus.ACTIVE and price is not None,
        "driver": driver,
        "balance": wallet_balance_get(driver_id=driver.pk) if driver else None,
        "presets": settings.ORDER_AMOUNT_PRESETS_FEN,
        "fill_up_cap_fen": settings.ORDER_FILL_UP_CAP_FEN,
        "order_key": request.POST.get("key") or uuid.uuid4().hex,
        "selected": request.POST.get("choice", str(settings.ORDER_AMOUNT_PRESETS_FEN[1])),
        "amount_yuan": request.POST.get("amount_yuan", ""),
    }
    if price is not None:
        context["quotes"] = {
            amount: order_quote_get(price=price, amount_fen=amount) for amount in settings.ORDER_AMOUNT_PRESETS_FEN
        }
    if request.method == "POST":
        if driver is None:
            return redirect(f"{reverse('driver-sign-in')}?next={request.path}")
        choice = request.POST.get("choice", "")
        try:
            if choice == "fill_up":
                amount = None
            else:
                amount = _parse_yuan(request.POST.get("amount_yuan", "")) if choice == "free" else _parse_int(choice)
            order = order_prepaid_create(
                driver=driver,
                nozzle=nozzle,
                idempotency_key=context["order_key"][:80],
                amount_fen=amount,
                fill_up=choice == "fill_up",
            )
        except FuelpayError as error:
            context["error"] = error
        else:
            return redirect("driver-order", order_no=order.order_no)
    return render(request, "driver/nozzle.html", context)


@driver_required
def order_detail(request, order_no: str):
    view = order_view_get(driver_id=request.user.driver.pk, order_no=order_no)
    return render(request, "driver/order.html", {"view": view, "order": view.order})


@driver_required
@require_POST
def order_cancel_view(request, order_no: str):
    try:
        order_cancel(driver=request.user.driver, order_no=order_no)
    except FuelOrder.DoesNotExist as error:
        raise Http404 from error
    except FuelpayError as error:
        messages.error(request, error.message)
    return redirect("driver-order", order_no=order_no)


# --- pay later (postpaid, 闪付) -------------------------------------------------------------------


@driver_required
def pay_later(request, station_code: str):
    station = get_object_or_404(Station, code=station_code)
    context = {"station": station, "key": request.POST.get("key") or uuid.uuid4().hex}
    nozzle_number = request.GET.get("nozzle") or request.POST.get("nozzle")
    if nozzle_number:
        try:
            nozzle = nozzle_get_by_number(station_code=station.code, nozzle_number=int(nozzle_number))
        except (FuelpayError, ValueError):
            context["error_message"] = _("There is no such nozzle at this station.")
        else:
            context["nozzle"] = nozzle
            context["fills"] = unpaid_fill_list_for_nozzle(station_id=station.pk, nozzle_number=nozzle.number)
    if request.method == "POST" and "fill" in request.POST:
        try:
            order = order_postpaid_pay(
                driver=request.user.driver,
                fill_id=_parse_int(request.POST["fill"]),
                idempotency_key=context["key"][:80],
            )
        except FuelpayError as error:
            context["error"] = error
        else:
            return redirect("driver-order", order_no=order.order_no)
    return render(request, "driver/pay_later.html", context)


@driver_required
@require_POST
def order_wrong_fill(request, order_no: str):
    try:
        order_report_wrong_fill(driver=request.user.driver, order_no=order_no, note=request.POST.get("note", ""))
    except FuelOrder.DoesNotExist as error:
        raise Http404 from error
    except FuelpayError as error:
        messages.error(request, error.message)
    return redirect("driver-order", order_no=order_no)


# --- payment provider simulator ----------------------------------------------------------------


def payment_simulator_cashier(request, out_trade_no: str):
    order = get_object_or_404(TopUpOrder, out_trade_no=out_trade_no)
    paid = False
    if request.method == "POST":
        notify_url = settings.SITE_URL + reverse("payment-notify")
        transaction.on_commit(
            lambda: payment_simulator_notify_task.delay(order.out_trade_no, order.amount_fen, notify_url)
        )
        paid = True
    return render(request, "simulator/cashier.html", {"order": order, "paid": paid})
