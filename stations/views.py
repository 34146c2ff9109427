"""Public station pages and the QR codes that deep-link a driver to a station or a nozzle."""

import io

import segno
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from stations.enums import StationStatus
from stations.models import Nozzle, Station
from stations.selectors import (
    dispenser_list_for_station,
    station_is_open,
    station_prices_in_effect,
)

CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def _qr_response(url: str, image_format: str) -> HttpResponse:
    if image_format not in CONTENT_TYPES:
        raise Http404
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind=image_format, scale=8, border=2)
    return HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[image_format])


def station_qr(request, station_code: str, image_format: str):
    station = get_object_or_404(Station, code=station_code)
    path = reverse("driver-station", kwargs={"station_code": station.code})
    return _qr_response(settings.SITE_URL + path, image_format)


def nozzle_qr(request, station_code: str, nozzle_number: int, image_format: str):
    nozzle = get_object_or_404(Nozzle, station__code=station_code, number=nozzle_number)
    path = reverse("driver-nozzle", kwargs={"station_code": nozzle.station.code, "nozzle_number": nozzle.number})
    return _qr_response(settings.SITE_URL + path, image_format)


def driver_station(request, station_code: str):
    station = get_object_or_404(Station.objects.select_related("enterprise"), code=station_code)
    context = {
        "station": station,
        "is_open": station_is_open(station=station),
        "prices": station_prices_in_effect(station=station),
        "dispensers": dispenser_list_for_station(station=station),
        "accepting_payments": station.status == StationStatus.ACTIVE,
    }
    return render(request, "stations/station.html", context)
