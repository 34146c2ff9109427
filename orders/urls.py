"""Paths are part of the product: printed nozzle QR codes and the browser tests use them."""

from django.urls import path

from orders import apis, views

api_urlpatterns = [
    path("orders/", apis.OrderCreateApi.as_view(), name="order-create"),
    path("orders/quote/", apis.OrderQuoteApi.as_view(), name="order-quote"),
    path("orders/<str:order_no>/", apis.OrderDetailApi.as_view(), name="order-detail"),
]

urlpatterns = [
    path("me/", views.home, name="driver-home"),
    path("orders/<str:order_no>/", views.order_detail, name="driver-order"),
    path("orders/<str:order_no>/cancel/", views.order_cancel_view, name="driver-order-cancel"),
    path("orders/<str:order_no>/wrong-fill/", views.order_wrong_fill, name="driver-order-wrong-fill"),
    path("s/<slug:station_code>/pay-later/", views.pay_later, name="driver-pay-later"),
    path("pay/direct/<str:out_trade_no>/", views.direct_payment_return, name="driver-direct-payment"),
    path("s/<slug:station_code>/<int:nozzle_number>/", views.nozzle_pay, name="driver-nozzle"),
    path("console/<slug:station_code>/", views.forecourt_console, name="forecourt-console"),
    path("console/<slug:station_code>/state/", views.forecourt_state, name="forecourt-state"),
    path(
        "console/<slug:station_code>/nozzles/<int:nozzle_number>/authorize/",
        views.forecourt_authorize,
        name="forecourt-authorize",
    ),
    path(
        "console/<slug:station_code>/fills/<int:fill_id>/counter/",
        views.forecourt_fill_resolve,
        {"how": "counter"},
        name="forecourt-fill-counter",
    ),
    path(
        "console/<slug:station_code>/fills/<int:fill_id>/drive-off/",
        views.forecourt_fill_resolve,
        {"how": "drive_off"},
        name="forecourt-fill-drive-off",
    ),
    path("console/<slug:station_code>/overdue/", views.forecourt_overdue, name="forecourt-overdue"),
    path(
        "console/<slug:station_code>/orders/<str:order_no>/items/",
        views.forecourt_order_items_add,
        name="forecourt-order-items",
    ),
]
