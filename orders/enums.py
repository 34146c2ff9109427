from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderMode(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid (一键加油)")
    POSTPAID = "postpaid", _("Postpaid (闪付)")


class OrderStatus(models.TextChoices):
    AUTHORIZING = "authorizing", _("Waiting for the pump")
    AUTHORIZED = "authorized", _("Lift the nozzle")
    FUELLING = "fuelling", _("Fuelling")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


OPEN_ORDER_STATUSES = (OrderStatus.AUTHORIZING, OrderStatus.AUTHORIZED, OrderStatus.FUELLING)


class OrderLineKind(models.TextChoices):
    FUEL = "fuel", _("Fuel")
    DISCOUNT = "discount", _("Discount")
    NON_FUEL = "non_fuel", _("Non-fuel item")


class OrderErrorCode(models.TextChoices):
    NOT_FOUND = "order_not_found"
    FILL_ALREADY_PAID = "order_fill_already_paid"
    FILL_NOT_PAYABLE = "order_fill_not_payable"
    AMOUNT_INVALID = "order_amount_invalid"
    NOT_CANCELLABLE = "order_not_cancellable"
