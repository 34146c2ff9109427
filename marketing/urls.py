from django.urls import path

from marketing import views

urlpatterns = [
    path("me/rewards/", views.rewards, name="driver-rewards"),
    path("me/rewards/redeem/", views.points_redeem, name="driver-points-redeem"),
    path("me/notifications/", views.notification_settings, name="driver-notification-settings"),
    path("me/invite/", views.invite, name="driver-invite"),
    path("invite/<str:code>/", views.invite_accept, name="driver-invite-accept"),
]
