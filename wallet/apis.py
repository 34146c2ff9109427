from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from stations.selectors import nozzle_get_by_number, station_price_get
from wallet.models import Driver
from wallet.providers import payment_provider_get
from wallet.selectors import (
    order_quote_get,
    order_view_get,
    wallet_balance_get,
    wallet_history_list,
)
from wallet.services.contracts import wallet_contract_open
from wallet.services.orders import order_prepaid_create
from wallet.services.top_up import wallet_top_up_notification_handle, wallet_top_up_order_create
from wallet.services.transfers import wallet_transfer, wallet_withdraw


class IsDriver(BasePermission):
    def has_permission(self, request, view):
        return bool(request.user.is_authenticated and hasattr(request.user, "driver"))


class DriverApi(APIView):
    permission_classes = [IsDriver]


class IdempotentInput(serializers.Serializer):
    idempotency_key = serializers.CharField(max_length=80)


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
        entry_id = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        operation = serializers.CharField()
        operation_label = serializers.CharField()
        account_kind = serializers.CharField()
        amount_fen = serializers.IntegerField()
        balance_after_fen = serializers.IntegerField()
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

    def post(self, request):
        params = request.data if isinstance(request.data, dict) else {}
        order = wallet_top_up_notification_handle(params=dict(params))
        return Response({"code": "SUCCESS", "message": "OK", "status": order.status})


class WalletTransferApi(DriverApi):
    class InputSerializer(IdempotentInput):
        to_phone = serializers.CharField(max_length=20)
        amount_fen = serializers.IntegerField()

    def post(self, request):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        recipient = get_object_or_404(Driver, phone=data["to_phone"])
        entry_id = wallet_transfer(
            from_driver=request.user.driver,
            to_driver=recipient,
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


class OrderLineOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    amount_fen = serializers.IntegerField()
    funder = serializers.CharField()


class OrderQuoteApi(APIView):
    """The itemised price of an amount at a nozzle (明折明扣 line by line), before the driver confirms."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        station_code = serializers.SlugField()
        nozzle_number = serializers.IntegerField(min_value=1)
        amount_fen = serializers.IntegerField(min_value=1, max_value=10**8)

    def get(self, request):
        payload = self.InputSerializer(data=request.query_params)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        nozzle = nozzle_get_by_number(station_code=data["station_code"], nozzle_number=data["nozzle_number"])
        price = station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)
        quote = order_quote_get(price=price, amount_fen=data["amount_fen"])
        return Response(
            {
                "amount_fen": quote.amount_fen,
                "estimated_volume_ml": quote.estimated_volume_ml,
                "price_fen_per_litre": quote.price_fen_per_litre,
                "list_price_fen_per_litre": quote.list_price_fen_per_litre,
                "lines": OrderLineOutputSerializer(quote.lines, many=True).data,
            }
        )


def _order_payload(view) -> dict:
    order = view.order
    return {
        "order_no": order.order_no,
        "mode": order.mode,
        "status": view.display_status,
        "status_label": view.status_label,
        "is_final": view.is_final,
        "station": order.station.name,
        "nozzle_number": order.nozzle.number,
        "grade_name": order.grade_name,
        "price_fen_per_litre": order.price_fen_per_litre,
        "requested_amount_fen": order.requested_amount_fen,
        "dynamic_code": order.dynamic_code if not view.is_final else "",
        "live_volume_ml": view.live_volume_ml,
        "live_amount_fen": view.live_amount_fen,
        "volume_ml": order.volume_ml,
        "fuel_amount_fen": order.fuel_amount_fen,
        "discount_fen": order.discount_fen,
        "paid_fen": order.paid_fen,
        "lines": OrderLineOutputSerializer(view.lines, many=True).data,
        "failure_code": order.failure_code,
        "failure_message": view.failure_message,
        "created_at": order.created_at,
        "paid_at": order.paid_at,
    }


class OrderCreateApi(DriverApi):
    """一键加油 for app clients: hold the amount and authorize the nozzle. Same key, same order."""

    class InputSerializer(IdempotentInput):
        station_code = serializers.SlugField()
        nozzle_number = serializers.IntegerField(min_value=1)
        amount_fen = serializers.IntegerField(required=False)
        fill_up = serializers.BooleanField(default=False)

        def validate(self, attrs):
            if attrs.get("fill_up") == ("amount_fen" in attrs):
                raise serializers.ValidationError("give either amount_fen or fill_up")
            return attrs

    def post(self, request):
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        nozzle = nozzle_get_by_number(station_code=data["station_code"], nozzle_number=data["nozzle_number"])
        order = order_prepaid_create(
            driver=request.user.driver,
            nozzle=nozzle,
            idempotency_key=data["idempotency_key"],
            amount_fen=data.get("amount_fen"),
            fill_up=data["fill_up"],
        )
        view = order_view_get(driver_id=request.user.driver.pk, order_no=order.order_no)
        return Response(_order_payload(view), status=201)


class OrderDetailApi(DriverApi):
    """Polled by the order page: the pump's live state, then the receipt."""

    def get(self, request, order_no: str):
        return Response(_order_payload(order_view_get(driver_id=request.user.driver.pk, order_no=order_no)))
