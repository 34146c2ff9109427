from django.urls import path

from stations import apis, views

api_urlpatterns = [
    path("staff/stations/", apis.StationListApi.as_view(), name="station-list"),
    path("staff/stations/<int:station_id>/", apis.StationDetailApi.as_view(), name="station-detail"),
    path("staff/stations/<int:station_id>/transition/", apis.StationTransitionApi.as_view(), name="station-transition"),
    path(
        "staff/stations/<int:station_id>/prices/", apis.StationPriceScheduleApi.as_view(), name="station-price-schedule"
    ),
    path("stations/nearby/", apis.StationNearbyApi.as_view(), name="station-nearby"),
]

urlpatterns = [
    path("stations/<slug:station_code>/qr.<str:image_format>", views.station_qr, name="station-qr"),
    path(
        "stations/<slug:station_code>/nozzles/<int:nozzle_number>/qr.<str:image_format>",
        views.nozzle_qr,
        name="nozzle-qr",
    ),
]

driver_urlpatterns = [
    path("s/<slug:station_code>/", views.driver_station, name="driver-station"),
]
