from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.audit import client_ip_get
from stations.enums import StaffAction, StationStatus
from stations.models import FuelGrade
from stations.permissions import StaffApi
from stations.selectors import (
    station_list_nearby,
    station_prices_in_effect,
    station_qs_visible_to,
)
from stations.services import station_price_schedule, station_transition


class PriceOutputSerializer(serializers.Serializer):
    grade_code = serializers.CharField()
    grade_name = serializers.CharField()
    list_price_fen_per_litre = serializers.IntegerField()
    price_fen_per_litre = serializers.IntegerField()
    discount_fen_per_litre = serializers.IntegerField()
    effective_from = serializers.DateTimeField()


class StationOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.CharField()
    status = serializers.CharField()
    enterprise = serializers.CharField(source="enterprise.name")
    bank_account = serializers.CharField(source="bank_account_masked")


class StationListApi(StaffApi):
    staff_action = StaffAction.VIEW_STATIONS

    def get(self, request):
        stations = station_qs_visible_to(user=request.user).order_by("code")
        return Response(StationOutputSerializer(stations, many=True).data)


class StationDetailApi(StaffApi):
    staff_action = StaffAction.VIEW_STATIONS

    def get(self, request, station_id: int):
        station = get_object_or_404(station_qs_visible_to(user=request.user), pk=station_id)
        data = StationOutputSerializer(station).data
        data["prices"] = PriceOutputSerializer(station_prices_in_effect(station=station), many=True).data
        return Response(data)


class StationTransitionApi(StaffApi):
    staff_action = StaffAction.CHANGE_STATION_STATUS

    class InputSerializer(serializers.Serializer):
        to_status = serializers.ChoiceField(choices=StationStatus.choices)
        note = serializers.CharField(max_length=255, required=False, default="")

    def post(self, request, station_id: int):
        station = get_object_or_404(station_qs_visible_to(user=request.user), pk=station_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        station = station_transition(station=station, actor=request.user, **payload.validated_data)
        return Response(StationOutputSerializer(station).data)


class StationPriceScheduleApi(StaffApi):
    staff_action = StaffAction.SET_PRICES

    class InputSerializer(serializers.Serializer):
        grade_code = serializers.SlugRelatedField(slug_field="code", queryset=FuelGrade.objects.all())
        list_price_fen_per_litre = serializers.IntegerField(min_value=1)
        price_fen_per_litre = serializers.IntegerField(min_value=1)
        effective_from = serializers.DateTimeField(required=False)

    def post(self, request, station_id: int):
        station = get_object_or_404(station_qs_visible_to(user=request.user), pk=station_id)
        payload = self.InputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        price = station_price_schedule(
            station=station,
            grade=data["grade_code"],
            list_price_fen_per_litre=data["list_price_fen_per_litre"],
            price_fen_per_litre=data["price_fen_per_litre"],
            effective_from=data.get("effective_from"),
            actor=request.user,
            client_ip=client_ip_get(request),
        )
        return Response({"id": price.pk, "effective_from": price.effective_from}, status=201)


class StationNearbyApi(APIView):
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        lat = serializers.FloatField(min_value=-90, max_value=90)
        lng = serializers.FloatField(min_value=-180, max_value=180)
        radius_km = serializers.FloatField(min_value=0.1, max_value=200, default=20)
        grade = serializers.SlugField(required=False)
        open_now = serializers.BooleanField(default=False)

    def get(self, request):
        payload = self.InputSerializer(data=request.query_params)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        nearby = station_list_nearby(
            latitude=data["lat"],
            longitude=data["lng"],
            radius_km=data["radius_km"],
            grade_code=data.get("grade"),
            open_now=data["open_now"],
        )
        return Response(
            [
                {
                    "code": item.station.code,
                    "name": item.station.name,
                    "address": item.station.address,
                    "distance_km": item.distance_km,
                    "is_open": item.is_open,
                    "prices": PriceOutputSerializer(station_prices_in_effect(station=item.station), many=True).data,
                }
                for item in nearby
            ]
        )
