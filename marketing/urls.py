from django.urls import path

from marketing import views

urlpatterns = [
    path("me/rewards/", views.rewards, name="driver-rewards"),
    path("me/rewards/redeem/", views.points_redeem, name="driver-points-redeem"),
]
