"""The driver's pages around a sale (home, pay at the nozzle, order progress, pay later) and the
attendant console. Pages are plain forms that work without JavaScript; scripts only add the live quote,
the order's live progress and the console's refresh."""

import re
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import FuelpayError
from core.money import yuan_to_fen
from drivers.permissions import driver_required
from drivers.selectors import trusted_device_list_for_driver, vehicle_list_for_driver
from marketing.selectors import coupon_choice_list, promotion_list_for_driver, standing_get
from orders.enums import CounterTender
from orders.exceptions import DynamicCodeInvalid, FillNotPayable
from orders.models import FuelOrder
from orders.pricing import AUTOMATIC, PromotionChoice, promotion_choice_from_input
from orders.selectors import (
    forecourt_state_get,
    nozzle_unavailable_error,
    order_list_by_dynamic_code,
    order_list_for_driver,
    order_quote_get,
    order_view_get,
    unpaid_fill_list_for_nozzle,
    unpaid_fill_list_overdue,
)
from orders.services import (
    direct_payment_order_key,
    fill_pay_at_counter,
    fill_report_drive_off,
    order_cancel,
    order_direct_payment_start,
    order_items_add,
    order_postpaid_pay,
    order_prepaid_create,
    order_report_wrong_fill,
)
from pumpgateway.enums import AuthorizationSource
from pumpgateway.services import pump_authorization_request
from stations.enums import StaffAction, StationStatus
from stations.exceptions import NoPriceInEffect
from stations.models import Nozzle, Station
from stations.permissions import staff_required
from stations.selectors import (
    non_fuel_item_list_for_station,
    nozzle_get_by_number,
    staff_can_manage_station_setup,
    station_price_get,
    station_qs_visible_to,
)
from wallet.forms import amount_input_to_fen, number_input_to_int
from wallet.providers import payment_provider_get
from wallet.selectors import (
    contract_progress_list_for_driver,
    top_up_tier_list,
    wallet_balance_get,
    wallet_history_list,
)
from wallet.views import TOP_UP_RETURN_SESSION_KEY

# --- the driver's home -------------------------------------------------------------------------


@driver_required
def home(request):
    """Wallet and orders on one page, with links to the vehicles and devices pages. It lives here, in the
    highest app it reads."""
    driver = request.user.driver
    rules, offers = promotion_list_for_driver()
    context = {
        "driver": driver,
        "balance": wallet_balance_get(driver_id=driver.pk),
        "top_up_tiers": top_up_tier_list(),
        "bonus_rules": rules,
        "contract_offers": offers,
        "contracts": contract_progress_list_for_driver(driver_id=driver.pk)[:5],
        "history": wallet_history_list(driver_id=driver.pk, limit=5),
        "orders": order_list_for_driver(driver_id=driver.pk, limit=5),
        "vehicles": vehicle_list_for_driver(driver=driver),
        "devices": trusted_device_list_for_driver(driver=driver),
        "top_up_key": uuid.uuid4().hex,
    }
    return render(request, "orders/home.html", context)


# --- pay at the nozzle (prepaid) -----------------------------------------------------------------


def _items_from_form(data) -> dict[int, int]:
    """item_<id>=<quantity> fields (empty or 0: not wanted) → {item id: quantity}; garbage is InvalidAmount."""
    chosen = {key.removeprefix("item_"): value.strip() for key, value in data.items() if key.startswith("item_")}
    return {
        number_input_to_int(item_id): number_input_to_int(quantity)
        for item_id, quantity in chosen.items()
        if quantity not in ("", "0")
    }


def _preset_quotes(*, nozzle: Nozzle, price, driver, choice: PromotionChoice) -> dict:
    return {
        amount: order_quote_get(
            station=nozzle.station,
            price=price,
            amount_fen=amount,
            driver_id=driver.pk if driver else None,
            choice=choice if driver else AUTOMATIC,
        )
        for amount in settings.ORDER_AMOUNT_PRESETS_FEN
    }


def nozzle_pay(request, station_code: str, nozzle_number: int):
    nozzle = nozzle_get_by_number(station_code=station_code, nozzle_number=nozzle_number)
    try:
        price = station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)
    except NoPriceInEffect:
        price = None
    driver = getattr(request.user, "driver", None) if request.user.is_authenticated else None
    balance = wallet_balance_get(driver_id=driver.pk) if driver else None
    accepting = nozzle.station.status == StationStatus.ACTIVE and price is not None
    # The choice survives a sign-in or a top-up: both come back here with it in the query string.
    data = request.POST if request.method == "POST" else request.GET
    selected = data.get("choice", str(settings.ORDER_AMOUNT_PRESETS_FEN[1]))
    usable = balance.usable_at_pump_fen if balance else None
    kept = {"choice": selected, "amount_yuan": data.get("amount_yuan", "")}
    kept |= {"coupon": data.get("coupon", ""), "use_points": data.get("use_points", "")}
    try:
        promotion_choice = promotion_choice_from_input(coupon=kept["coupon"], use_points=bool(kept["use_points"]))
    except FuelpayError as error:
        promotion_choice, choice_error = AUTOMATIC, error
    else:
        choice_error = None
    context = {
        "nozzle": nozzle,
        "station": nozzle.station,
        "price": price,
        "accepting_payments": accepting,
        "unavailable": nozzle_unavailable_error(nozzle=nozzle) if accepting else None,
        "driver": driver,
        "balance": balance,
        # (amount, affordable): a preset over what the driver can use is shown disabled, with the reason.
        "presets": [(amount, usable is None or amount <= usable) for amount in settings.ORDER_AMOUNT_PRESETS_FEN],
        "short": usable is not None and usable < settings.ORDER_AMOUNT_PRESETS_FEN[-1],
        # (catalogue item, quantity typed so far): a refused form keeps what the driver chose.
        "items": [
            (item, request.POST.get(f"item_{item.pk}", ""))
            for item in (non_fuel_item_list_for_station(station_id=nozzle.station_id) if driver else [])
        ],
        "coupon_choices": (
            coupon_choice_list(
                driver_id=driver.pk, station_id=nozzle.station_id, enterprise_id=nozzle.station.enterprise_id
            )
            if driver
            else []
        ),
        "points": standing_get(driver_id=driver.pk).points if driver else 0,
        "top_up_tiers": top_up_tier_list() if driver else [],
        "bonus_rules": promotion_list_for_driver()[0] if driver else [],
        "top_up_key": uuid.uuid4().hex,
        "fill_up_cap_fen": settings.ORDER_FILL_UP_CAP_FEN,
        "order_key": request.POST.get("key") or uuid.uuid4().hex,
        "selected": selected,
        "amount_yuan": kept["amount_yuan"],
        "return_path": f"{request.path}?{urlencode(kept)}",
    }
    if price is not None:
        try:
            context["quotes"] = _preset_quotes(nozzle=nozzle, price=price, driver=driver, choice=promotion_choice)
        except FuelpayError as error:  # the picked coupon is not usable (any more): the best quote, and why
            promotion_choice, choice_error = AUTOMATIC, error
            context["quotes"] = _preset_quotes(nozzle=nozzle, price=price, driver=driver, choice=promotion_choice)
    context["promotion_choice"], context["error"] = promotion_choice, choice_error
    if request.method == "POST":
        if driver is None:
            return redirect(f"{reverse('driver-sign-in')}?{urlencode({'next': context['return_path']})}")
        choice = request.POST.get("choice", "")
        try:
            if choice == "fill_up":
                amount = None
            elif choice == "free":
                amount = amount_input_to_fen(request.POST.get("amount_yuan", ""))
            else:
                amount = number_input_to_int(choice)
            order = order_prepaid_create(
                driver=driver,
                nozzle=nozzle,
                idempotency_key=context["order_key"][:80],
                amount_fen=amount,
                fill_up=choice == "fill_up",
                items=_items_from_form(request.POST),
                choice=promotion_choice_from_input(
                    coupon=request.POST.get("coupon", ""), use_points=bool(request.POST.get("use_points"))
                ),
            )
        except FuelpayError as error:
            context["error"] = error
        else:
            return redirect("driver-order", order_no=order.order_no)
    return render(request, "orders/nozzle.html", context)


@driver_required
def order_detail(request, order_no: str):
    view = order_view_get(driver_id=request.user.driver.pk, order_no=order_no)
    return render(request, "orders/order.html", {"view": view, "order": view.order})


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
            fill_id = number_input_to_int(request.POST["fill"])
            # Only a fill this page lists: the URL's station, the nozzle the driver named, the last minutes.
            if fill_id not in {fill.fill_id for fill in context.get("fills", ())}:
                raise FillNotPayable()
            if request.POST.get("direct"):
                payment = order_direct_payment_start(
                    driver=request.user.driver, fill_id=fill_id, idempotency_key=context["key"][:80]
                )
                back = reverse("driver-direct-payment", kwargs={"out_trade_no": payment.out_trade_no})
                request.session[TOP_UP_RETURN_SESSION_KEY] = {payment.out_trade_no: back}
                return redirect(payment_provider_get().cashier_url(payment.out_trade_no))
            order = order_postpaid_pay(driver=request.user.driver, fill_id=fill_id, idempotency_key=context["key"][:80])
        except FuelpayError as error:
            context["error"] = error
        else:
            return redirect("driver-order", order_no=order.order_no)
    return render(request, "orders/pay_later.html", context)


@driver_required
def direct_payment_return(request, out_trade_no: str):
    """Back from the provider after paying a fill directly: the receipt once the fill is paid; until then a
    page that refreshes itself."""
    order = FuelOrder.objects.filter(
        driver=request.user.driver, idempotency_key=direct_payment_order_key(out_trade_no)
    ).first()
    if order is not None:
        return redirect("driver-order", order_no=order.order_no)
    return render(request, "orders/direct_payment_wait.html", {"out_trade_no": out_trade_no})


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


# --- the attendant console (加油员工作台) ---------------------------------------------------------


def _station_for(request, station_code: str):
    # Scoped: a manager of another station gets a 404, not the page.
    return get_object_or_404(station_qs_visible_to(user=request.user), code=station_code)


@staff_required(StaffAction.OPERATE_PUMPS)
def forecourt_console(request, station_code: str):
    """The live console; ?code=1234 checks the dynamic code a driver shows against the open orders."""
    station = _station_for(request, station_code)
    context = {
        "station": station,
        "tenders": CounterTender.choices,
        "code": request.GET.get("code", "").strip(),
        "can_see_overdue": staff_can_manage_station_setup(user=request.user),
        # Words the console's script puts on the page (it has no access to the translation catalogue).
        "console_text": {
            "nozzle": _("Nozzle %(n)s"),
            "none": _("None"),
            "just_now": _("just now"),
            "minutes_ago": _("%(n)s min ago"),
            "hours_ago": _("%(n)s h ago"),
        },
    }
    if "code" in request.GET:
        if re.fullmatch(r"\d{4}", context["code"]):
            context["code_matches"] = list(order_list_by_dynamic_code(station_id=station.pk, code=context["code"]))
            context["catalogue"] = non_fuel_item_list_for_station(station_id=station.pk)
            context["items_key"] = uuid.uuid4().hex
        else:
            context["code_error"] = DynamicCodeInvalid().message
    return render(request, "orders/console.html", context)


@staff_required(StaffAction.OPERATE_PUMPS)
def forecourt_state(request, station_code: str):
    return JsonResponse(forecourt_state_get(station=_station_for(request, station_code)))


@staff_required(StaffAction.OPERATE_PUMPS)
@require_POST
def forecourt_authorize(request, station_code: str, nozzle_number: int):
    """The attendant starts a pump without a prepaid order: the fill becomes an unpaid fill (postpaid)."""
    station = _station_for(request, station_code)
    nozzle = get_object_or_404(Nozzle, station=station, number=nozzle_number)
    try:
        amount_fen = yuan_to_fen(request.POST.get("amount_yuan") or "0") or settings.ORDER_FILL_UP_CAP_FEN
        pump_authorization_request(
            nozzle=nozzle,
            source=AuthorizationSource.ATTENDANT,
            preset_amount_fen=amount_fen,
            requested_by=request.user,
        )
    except FuelpayError as error:
        messages.error(request, error.message)
    except ValueError:
        messages.error(request, _("The amount is not valid."))
    return redirect("forecourt-console", station_code=station.code)


@staff_required(StaffAction.OPERATE_PUMPS)
@require_POST
def forecourt_fill_resolve(request, station_code: str, fill_id: int, how: str):
    """The cashier closes an unpaid fill: paid at the counter (with the tender) or a drive-off."""
    station = _station_for(request, station_code)
    note = request.POST.get("note", "")
    try:
        if how == "counter":
            fill_pay_at_counter(
                station=station, fill_id=fill_id, tender=request.POST.get("tender", ""), cashier=request.user, note=note
            )
            messages.success(request, _("The fill was recorded as paid at the counter."))
        else:
            fill_report_drive_off(station=station, fill_id=fill_id, cashier=request.user, note=note)
            messages.success(request, _("The fill was recorded as a drive-off."))
    except FuelpayError as error:
        messages.error(request, error.message)
    return redirect("forecourt-console", station_code=station.code)


@staff_required(StaffAction.OPERATE_PUMPS)
@require_POST
def forecourt_order_items_add(request, station_code: str, order_no: str):
    """The attendant adds a non-fuel item to the open order whose code the driver showed."""
    station = _station_for(request, station_code)
    try:
        item_id = number_input_to_int(request.POST.get("item", ""))
        order_items_add(
            station=station,
            order_no=order_no,
            items={item_id: number_input_to_int(request.POST.get("quantity", ""))},
            idempotency_key=request.POST.get("key", "")[:80] or uuid.uuid4().hex,
            attendant=request.user,
        )
        messages.success(request, _("The item was added to the order."))
    except FuelpayError as error:
        messages.error(request, error.message)
    code = request.POST.get("code", "")
    return redirect(f"{reverse('forecourt-console', args=[station.code])}?{urlencode({'code': code})}")


@login_required
def forecourt_overdue(request, station_code: str):
    """For the station manager: unpaid fills still open after a shift."""
    station = _station_for(request, station_code)
    if not staff_can_manage_station_setup(user=request.user):
        raise PermissionDenied
    fills = unpaid_fill_list_overdue(station_id=station.pk)
    return render(
        request,
        "orders/overdue.html",
        {"station": station, "fills": fills, "shift_hours": settings.FORECOURT_SHIFT_HOURS},
    )
