from rest_framework import serializers


class IdempotentInput(serializers.Serializer):
    """Every API that moves money or creates an order takes the client's key: same key, same result."""

    idempotency_key = serializers.CharField(max_length=80)
