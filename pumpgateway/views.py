"""The attendant console (加油员工作台): a live forecourt page for a station's staff, on a tablet."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.exceptions import FuelpayError
from core.money import yuan_to_fen
from pumpgateway.enums import AuthorizationSource
from pumpgateway.services import pump_authorization_request
from stations.models import Nozzle
from stations.selectors import station_qs_visible_to
from wallet.selectors import forecourt_state_get


def _station_for(request, station_code: str):
    # Scoped: a manager of another station gets a 404, not the page.
    return get_object_or_404(station_qs_visible_to(user=request.user), code=station_code)


@login_required
def forecourt_console(request, station_code: str):
    station = _station_for(request, station_code)
    return render(request, "console/forecourt.html", {"station": station})


@login_required
def forecourt_state(request, station_code: str):
    return JsonResponse(forecourt_state_get(station=_station_for(request, station_code)))


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
        messages.error(request, error.message)
    except ValueError:
        messages.error(request, _("The amount is not valid."))
    return redirect("forecourt-console", station_code=station.code)
