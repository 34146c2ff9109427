from django.urls import path

from wallet import apis, views

api_urlpatterns = [
    path("wallet/", apis.WalletBalanceApi.as_view(), name="wallet-balance"),
    path("wallet/history/", apis.WalletHistoryApi.as_view(), name="wallet-history"),
    path("wallet/top-ups/", apis.WalletTopUpApi.as_view(), name="wallet-top-up"),
    path("wallet/transfers/", apis.WalletTransferApi.as_view(), name="wallet-transfer"),
    path("wallet/withdrawals/", apis.WalletWithdrawApi.as_view(), name="wallet-withdraw"),
    path("wallet/contracts/", apis.WalletContractOpenApi.as_view(), name="wallet-contract-open"),
    path("payments/simulator/notify/", apis.PaymentNotifyApi.as_view(), name="payment-notify"),
    path("orders/", apis.OrderCreateApi.as_view(), name="order-create"),
    path("orders/quote/", apis.OrderQuoteApi.as_view(), name="order-quote"),
    path("orders/<str:order_no>/", apis.OrderDetailApi.as_view(), name="order-detail"),
]

urlpatterns = [
    path("sim/pay/<str:out_trade_no>/", views.payment_simulator_cashier, name="payment-simulator-cashier"),
    path("login/", views.sign_in, name="driver-sign-in"),
    path("login/verify/", views.sign_in_verify, name="driver-sign-in-verify"),
    path("logout/", views.sign_out, name="driver-sign-out"),
    path("me/", views.home, name="driver-home"),
    path("me/top-up/", views.top_up, name="driver-top-up"),
    path("me/vehicles/", views.vehicle_create, name="driver-vehicle-create"),
    path("me/vehicles/<int:vehicle_id>/delete/", views.vehicle_delete, name="driver-vehicle-delete"),
    path("me/devices/<int:device_id>/revoke/", views.device_revoke, name="driver-device-revoke"),
    path("orders/<str:order_no>/", views.order_detail, name="driver-order"),
    path("orders/<str:order_no>/cancel/", views.order_cancel_view, name="driver-order-cancel"),
    path("orders/<str:order_no>/wrong-fill/", views.order_wrong_fill, name="driver-order-wrong-fill"),
    path("s/<slug:station_code>/pay-later/", views.pay_later, name="driver-pay-later"),
    path("s/<slug:station_code>/<int:nozzle_number>/", views.nozzle_pay, name="driver-nozzle"),
]
