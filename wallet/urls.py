from django.urls import path

from wallet import apis, views
from wallet.providers import payment_simulator_enabled

api_urlpatterns = [
    path("wallet/", apis.WalletBalanceApi.as_view(), name="wallet-balance"),
    path("wallet/history/", apis.WalletHistoryApi.as_view(), name="wallet-history"),
    path("wallet/top-ups/", apis.WalletTopUpApi.as_view(), name="wallet-top-up"),
    path("wallet/transfers/", apis.WalletTransferApi.as_view(), name="wallet-transfer"),
    path("wallet/withdrawals/", apis.WalletWithdrawApi.as_view(), name="wallet-withdraw"),
    path("wallet/contracts/", apis.WalletContractOpenApi.as_view(), name="wallet-contract-open"),
    path("payments/simulator/notify/", apis.PaymentNotifyApi.as_view(), name="payment-notify"),
]

urlpatterns = [
    path("me/top-up/", views.top_up, name="driver-top-up"),
    path("me/history/", views.history, name="driver-history"),
    path("me/transfer/", views.transfer, name="driver-transfer"),
    path("me/contracts/", views.contracts, name="driver-contracts"),
    path("me/history/<str:month>.pdf", views.history_statement, name="driver-history-statement"),
]
if payment_simulator_enabled():
    # The simulator's cashier credits a top-up without any payment: never routed with a real provider.
    urlpatterns.append(
        path("sim/pay/<str:out_trade_no>/", views.payment_simulator_cashier, name="payment-simulator-cashier")
    )
