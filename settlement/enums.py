from django.db import models
from django.utils.translation import gettext_lazy as _


class SettlementStatus(models.TextChoices):
    CLOSED = "closed", _("Closed")
    IN_PAYOUT = "in_payout", _("In a payout batch")
    PAID_OUT = "paid_out", _("Paid out")


class ItemKind(models.TextChoices):
    SALE = "sale", _("Sale")
    REFUND = "refund", _("Refund")


class DiscrepancyKind(models.TextChoices):
    FILL_WITHOUT_ORDER = "fill_without_order", _("Fill with no platform order")
    ORDER_WITHOUT_FILL = "order_without_fill", _("Paid order with no fill")
    AMOUNT_MISMATCH = "amount_mismatch", _("Order amount differs from the fill")
    VOLUME_MISMATCH = "volume_mismatch", _("Order volume differs from the fill")
    CAPTURE_MISMATCH = "capture_mismatch", _("Ledger capture differs from the order")
    DUPLICATE_FILL = "duplicate_fill", _("Duplicate fill record")
    PROVIDER_MISSING = "provider_missing", _("Top-up missing from the provider statement")
    PROVIDER_EXTRA = "provider_extra", _("Provider statement line with no top-up")
    PROVIDER_AMOUNT = "provider_amount", _("Provider amount differs from the top-up")


class DiscrepancyStatus(models.TextChoices):
    OPEN = "open", _("Open")
    EXPLAINED = "explained", _("Explained")
    ADJUSTED = "adjusted", _("Adjusted")
    CLOSED = "closed", _("Closed")


class PayoutStatus(models.TextChoices):
    DRAFT = "draft", _("Awaiting second approval")
    RELEASED = "released", _("Released to the bank")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Failed")


class SettlementErrorCode(models.TextChoices):
    DAY_NOT_OVER = "settlement_day_not_over"
    TRANSITION_NOT_ALLOWED = "settlement_transition_not_allowed"
    FOUR_EYES = "settlement_four_eyes"
    NOTHING_TO_PAY = "settlement_nothing_to_pay"
    BAD_STATEMENT = "settlement_bad_statement"
    SHIFT_ALREADY_OPEN = "settlement_shift_already_open"
    INVALID_READING = "settlement_invalid_reading"
    TOTALIZER_UNAVAILABLE = "settlement_totalizer_unavailable"


class ShiftStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed, awaiting handover")
    HANDED_OVER = "handed_over", _("Handed over")
