from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.apis import IdempotentInput
from core.throttling import DriverThrottle, TransferThrottle
from drivers.permissions import DriverApi
from drivers.selectors import driver_get_by_phone
from wallet.providers import payment_provider_get
from wallet.selectors import wallet_balance_get, wallet_history_list
from wallet.services.contracts import wallet_contract_open
from wallet.services.top_up import wallet_top_up_notification_handle, wallet_top_up_order_create
from wallet.services.transfers import wallet_transfer, wallet_withdraw


class BalanceOutputSerializer(serializers.Serializer):
    principal_fen = serializers.IntegerField()
    bonus_fen = serializers.IntegerField()
    contract_fen = serializers.IntegerField()
    held_fen = serializers.IntegerField()
    available_fen = serializers.IntegerField()
    frozen_fen = serializers.IntegerField()


class WalletBalanceApi(DriverApi):
    def get(self, request):
        return Response(BalanceOutputSerializer(wallet_balance_get(driver_id=request.user.driver.pk)).data)


class WalletHistoryApi(DriverApi):
    class OutputSerializer(serializers.Serializer):
        class PartSerializer(serializers.Serializer):
            account_kind = serializers.CharField()
            amount_fen = serializers.IntegerField()
            balance_after_fen = serializers.IntegerField()

        entry_id = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        operation = serializers.CharField()
        kind = serializers.CharField()
        label = serializers.CharField()
        amount_fen = serializers.IntegerField()
        moved_fen = serializers.IntegerField()
        total_after_fen = serializers.IntegerField()
        parts = PartSerializer(many=True)
        station_name = serializers.CharField()
        reference = serializers.CharField()
        is_pending = serializers.BooleanField()

    def get(self, request):
        items = wallet_history_list(driver_id=request.user.driver.pk)
        return Response(self.OutputSerializer(items, many=True).data)


class WalletTopUpApi(DriverApi):
    class InputSerializer(IdempotentInput):
        amount_fen = serializers.IntegerField()

    def post(self, request):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        order = wallet_top_up_order_create(driver=request.user.driver, **payload.validated_data)
        return Response(
            {
                "out_trade_no": order.out_trade_no,
                "amount_fen": order.amount_fen,
                "bonus_fen": order.bonus_fen,
                "status": order.status,
                "pay_url": payment_provider_get().cashier_url(order.out_trade_no),
            },
            status=201,
        )


class PaymentNotifyApi(APIView):
    """The provider's asynchronous notification. Answers SUCCESS so the provider stops re-sending."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    # The provider's servers: a signed, nonce-checked call it retries for hours must never be throttled away.
    throttle_classes: list = []

    def post(self, request):
        params = request.data if isinstance(request.data, dict) else {}
        order = wallet_top_up_notification_handle(params=dict(params))
        return Response({"code": "SUCCESS", "message": "OK", "status": order.status})


class WalletTransferApi(DriverApi):
    throttle_classes = [DriverThrottle, TransferThrottle]

    class InputSerializer(IdempotentInput):
        to_phone = serializers.CharField(max_length=20)
        amount_fen = serializers.IntegerField()

    def post(self, request):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        entry_id = wallet_transfer(
            from_driver=request.user.driver,
            to_driver=driver_get_by_phone(phone=data["to_phone"]),
            amount_fen=data["amount_fen"],
            idempotency_key=data["idempotency_key"],
        )
        return Response({"entry_id": entry_id}, status=201)


class WalletWithdrawApi(DriverApi):
    def post(self, request):
        payload = IdempotentInput(data=request.data)
        payload.is_valid(raise_exception=True)
        withdrawal = wallet_withdraw(driver=request.user.driver, **payload.validated_data)
        return Response(
            {
                "id": withdrawal.pk,
                "principal_fen": withdrawal.principal_fen,
                "forfeited_bonus_fen": withdrawal.forfeited_bonus_fen,
                "status": withdrawal.status,
            },
            status=201,
        )


class WalletContractOpenApi(DriverApi):
    class InputSerializer(IdempotentInput):
        offer_id = serializers.IntegerField()

    def post(self, request):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        contract = wallet_contract_open(driver=request.user.driver, **payload.validated_data)
        return Response(
            {
                "id": contract.pk,
                "committed_fen": contract.committed_fen,
                "ends_at": contract.ends_at,
                "status": contract.status,
            },
            status=201,
        )
