from django.urls import path

from drivers import views

urlpatterns = [
    path("login/", views.sign_in, name="driver-sign-in"),
    path("login/verify/", views.sign_in_verify, name="driver-sign-in-verify"),
    path("logout/", views.sign_out, name="driver-sign-out"),
    path("me/vehicles/", views.vehicles, name="driver-vehicles"),
    path("me/vehicles/<int:vehicle_id>/delete/", views.vehicle_delete, name="driver-vehicle-delete"),
    path("me/devices/", views.devices, name="driver-devices"),
    path("me/devices/<int:device_id>/revoke/", views.device_revoke, name="driver-device-revoke"),
]
