"""The attendant console (加油员工作台): a live forecourt page for a station's staff, on a tablet."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuelpay.exceptions import FuelpayError
from fuelpay.money import yuan_to_fen
from pumpgateway.enums import AuthorizationSource, NozzleLiveState
from pumpgateway.selectors import nozzle_live_list_for_station, station_controllers_alive
from pumpgateway.services import pump_authorization_request
from stations.models import Nozzle
from stations.selectors import station_qs_visible_to
from wallet.enums import OrderStatus
from wallet.selectors import order_list_open_for_station, order_list_wrong_fill_reports, unpaid_fill_list_for_station

# An authorized prepaid order nobody has lifted the nozzle for this long raises an alert.
WAITING_ALERT_SECONDS = 30


def _station_for(request, station_code: str):
    # Scoped: a manager of another station gets a 404, not the page.
    return get_object_or_404(station_qs_visible_to(user=request.user), code=station_code)


@login_required
def forecourt_console(request, station_code: str):
    station = _station_for(request, station_code)
    return render(
        request, "console/forecourt.html", {"station": station, "error": request.session.pop("console_error", None)}
    )


def _forecourt_state(station) -> dict:
    now = timezone.now()
    live = nozzle_live_list_for_station(station_id=station.pk)
    orders = list(order_list_open_for_station(station_id=station.pk))
    order_by_nozzle = {order.nozzle_id: order for order in orders}
    nozzles = []
    for nozzle in Nozzle.objects.filter(station=station).select_related("grade").order_by("number"):
        state = live.get(nozzle.pk)
        order = order_by_nozzle.get(nozzle.pk)
        nozzles.append(
            {
                "number": nozzle.number,
                "grade": nozzle.grade.name,
                "state": state.state if state else NozzleLiveState.OFFLINE,
                "state_label": str(NozzleLiveState(state.state if state else NozzleLiveState.OFFLINE).label),
                "volume_ml": state.volume_ml if state else 0,
                "amount_fen": state.amount_fen if state else 0,
                "dynamic_code": order.dynamic_code if order else "",
            }
        )
    pending = [
        {
            "nozzle_number": order.nozzle.number,
            "dynamic_code": order.dynamic_code,
            "amount_fen": order.requested_amount_fen,
            "status": order.status,
            "status_label": str(OrderStatus(order.status).label),
            "driver": str(order.driver),  # masked phone: attendants never see the full number
            "waiting_seconds": int((now - order.created_at).total_seconds()),
        }
        for order in orders
    ]
    controllers_online = station_controllers_alive(station_id=station.pk)
    alerts = [] if controllers_online else [_("The pump controller is not responding: drivers cannot pay at the pump.")]
    alerts += [
        _("Nozzle %(n)s: a driver has paid and is waiting (code %(code)s)")
        % {"n": order["nozzle_number"], "code": order["dynamic_code"]}
        for order in pending
        if order["status"] == OrderStatus.AUTHORIZED and order["waiting_seconds"] >= WAITING_ALERT_SECONDS
    ]
    return {
        "station": station.name,
        "controllers_online": controllers_online,
        "nozzles": nozzles,
        "pending_orders": pending,
        "alerts": alerts,
        "unpaid_fills": [
            {
                "nozzle_number": fill.nozzle_number,
                "grade": fill.grade_name,
                "volume_ml": fill.volume_ml,
                "amount_fen": fill.amount_fen,
                "minutes_ago": fill.minutes_ago,
            }
            for fill in unpaid_fill_list_for_station(station_id=station.pk)
        ],
        "wrong_fill_reports": [
            {
                "nozzle_number": order.nozzle.number,
                "paid_fen": order.paid_fen,
                "note": order.wrong_fill_reported,
                "order_no": order.order_no,
            }
            for order in order_list_wrong_fill_reports(
                station_id=station.pk, since=now - timedelta(minutes=settings.POSTPAID_WINDOW_MINUTES * 4)
            )
        ],
    }


@login_required
def forecourt_state(request, station_code: str):
    return JsonResponse(_forecourt_state(_station_for(request, station_code)))


@login_required
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
        request.session["console_error"] = error.message
    except (ValueError, ArithmeticError):
        request.session["console_error"] = _("The amount is not valid.")
    return redirect("forecourt-console", station_code=station.code)
