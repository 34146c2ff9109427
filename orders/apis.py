from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.apis import IdempotentInput
from drivers.permissions import DriverApi
from orders.pricing import AUTOMATIC, promotion_choice_from_input
from orders.selectors import order_quote_get, order_view_get
from orders.services import order_prepaid_create
from stations.selectors import nozzle_get_by_number, station_price_get


class OrderLineOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField(source="display_label")
    amount_fen = serializers.IntegerField()
    funder = serializers.CharField()


class OrderQuoteApi(APIView):
    """The itemised price of an amount at a nozzle (明折明扣 line by line), before the driver confirms."""

    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        station_code = serializers.SlugField()
        nozzle_number = serializers.IntegerField(min_value=1)
        amount_fen = serializers.IntegerField(min_value=1, max_value=10**8)
        coupon = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
        use_points = serializers.BooleanField(default=False)

    def get(self, request):
        payload = self.InputSerializer(data=request.query_params)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        nozzle = nozzle_get_by_number(station_code=data["station_code"], nozzle_number=data["nozzle_number"])
        price = station_price_get(station_id=nozzle.station_id, grade_id=nozzle.grade_id)
        driver = getattr(request.user, "driver", None) if request.user.is_authenticated else None
        choice = promotion_choice_from_input(coupon=data["coupon"], use_points=data["use_points"])
        quote = order_quote_get(
            station=nozzle.station,
            price=price,
            amount_fen=data["amount_fen"],
            driver_id=driver.pk if driver else None,
            choice=choice if driver else AUTOMATIC,
        )
        return Response(
            {
                "amount_fen": quote.amount_fen,
                "pay_fen": quote.pay_fen,
                "estimated_volume_ml": quote.estimated_volume_ml,
                "price_fen_per_litre": quote.price_fen_per_litre,
                "list_price_fen_per_litre": quote.list_price_fen_per_litre,
                "lines": OrderLineOutputSerializer(quote.lines, many=True).data,
                "hints": [str(hint.reason) for hint in quote.hints],
                "coupon_ids": quote.coupon_ids,
                "points_used": quote.points_used,
            }
        )


def _order_payload(view) -> dict:
    order = view.order
    return {
        "order_no": order.order_no,
        "mode": order.mode,
        "status": view.display_status,
        "status_label": view.message.status_label,
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
        "failure_message": view.message.detail,
        "debt_fen": order.debt_fen,
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
        coupon = serializers.CharField(required=False, allow_blank=True, default="", max_length=20)
        use_points = serializers.BooleanField(default=False)

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
            choice=promotion_choice_from_input(coupon=data["coupon"], use_points=data["use_points"]),
        )
        view = order_view_get(driver_id=request.user.driver.pk, order_no=order.order_no)
        return Response(_order_payload(view), status=201)


class OrderDetailApi(DriverApi):
    """Polled by the order page: the pump's live state, then the receipt."""

    def get(self, request, order_no: str):
        return Response(_order_payload(order_view_get(driver_id=request.user.driver.pk, order_no=order_no)))
