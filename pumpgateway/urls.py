from django.urls import path

from pumpgateway import views

urlpatterns = [
    path("console/<slug:station_code>/", views.forecourt_console, name="forecourt-console"),
    path("console/<slug:station_code>/state/", views.forecourt_state, name="forecourt-state"),
    path(
        "console/<slug:station_code>/nozzles/<int:nozzle_number>/authorize/",
        views.forecourt_authorize,
        name="forecourt-authorize",
    ),
]
