import uuid

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import action

from core.admin_base import FuelpayTabularInline, ImmutableAdminMixin, YuanField, constraint_messages_register
from core.money import format_fen
from stations.admin_scoping import PlatformOnlyAdmin, StationScopedAdmin, run_service_for_admin
from stations.selectors import staff_can_manage_station_setup
from wallet.models import Account, Hold, JournalEntry, JournalLine, TopUpOrder
from wallet.services.holds import wallet_payment_refund

constraint_messages_register(
    {
        "account_available_not_negative": ("debits_pending", _("The account would be overdrawn.")),
        "account_receivable_not_overpaid": ("credits_posted", _("A driver cannot repay more than they owe.")),
        "account_counters_not_negative": ("debits_posted", _("Account totals cannot be negative.")),
        "uniq_entry_idempotency": ("idempotency_key", _("This operation was already recorded with this key.")),
        "line_amount_positive": ("amount_fen", _("A journal line's amount must be above zero.")),
        "hold_amounts_consistent": (
            "captured_fen",
            _("The captured amount cannot exceed the authorized amount, nor the refund the captured amount."),
        ),
        "uniq_top_up_idempotency": ("idempotency_key", _("This top-up was already requested with this key.")),
        "top_up_amount_positive": ("amount_fen", _("The top-up amount must be above zero and the bonus not negative.")),
        "uniq_contract_idempotency": ("idempotency_key", _("This contract was already opened with this key.")),
        "top_up_refund_within_payment": (
            "refunded_fen",
            _("A top-up cannot be refunded more than was paid for it, nor a negative amount."),
        ),
    }
)


class RefundForm(forms.Form):
    amount_fen = YuanField(label=_("refund amount"), min_fen=1)
    reason = forms.CharField(label=_("reason"), max_length=200, help_text=_("Kept in the payment's history."))
    # One key per opened form: submitting twice refunds once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput)


@admin.register(Hold)
class PaymentAdmin(ImmutableAdminMixin, StationScopedAdmin):
    """Station payments: cashiers, managers and finance see their own stations' only, phones masked."""

    visible_to_setup_staff_only = False
    list_display = [
        "reference",
        "station",
        "masked_driver",
        "amount_fen",
        "captured_fen",
        "refunded_fen",
        "status",
        "created_at",
    ]
    list_filter = ["status", ("station", RelatedOnlyFieldListFilter), ("created_at", RangeDateTimeFilter)]
    search_fields = ["reference"]
    exclude = ["driver"]
    actions_detail = ["refund_payment"]

    @admin.display(description=_("driver"))
    def masked_driver(self, obj):
        return str(obj.driver)

    def has_refund_payment_permission(self, request, obj=None):
        return staff_can_manage_station_setup(user=request.user)

    @action(description=_("Refund"), url_path="refund", permissions=["refund_payment"], icon="undo")
    def refund_payment(self, request, object_id):
        """A correction to a paid sale: the refund service posts a new ledger entry; the reason is logged."""
        hold = self.get_object(request, unquote(object_id))  # None for a malformed or out-of-scope id
        if hold is None:
            raise Http404
        form = RefundForm(request.POST or None, initial={"idempotency_key": f"admin-refund:{uuid.uuid4().hex}"})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            refunded = run_service_for_admin(
                request,
                wallet_payment_refund,
                _("Refunded."),
                hold_id=hold.pk,
                amount_fen=data["amount_fen"],
                idempotency_key=data["idempotency_key"],
            )
            if refunded:
                if Hold.objects.get(pk=hold.pk).refunded_fen != hold.refunded_fen:  # not a replayed submit
                    self.log_change(request, hold, f"{_('Refund')} {format_fen(data['amount_fen'])}: {data['reason']}")
                return redirect(reverse("admin:wallet_hold_change", args=[hold.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund %(reference)s") % {"reference": hold.reference},
            "form": form,
            "hold": hold,
            "refundable": format_fen(hold.captured_fen - hold.refunded_fen),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/wallet/hold/refund.html", context)


class JournalLineInline(ImmutableAdminMixin, FuelpayTabularInline):
    model = JournalLine
    fields = ["account", "side", "phase", "amount_fen", "balance_after_fen"]
    readonly_fields = fields


@admin.register(JournalEntry)
class JournalEntryAdmin(ImmutableAdminMixin, StationScopedAdmin):
    """The ledger's entries: the platform sees all; station staff and finance their stations' (drill-down
    from an order). Entries are never edited: a correction is a new entry made by a service."""

    visible_to_setup_staff_only = False
    list_display = ["pk", "operation", "reference", "station", "created_at"]
    list_filter = ["operation", ("station", RelatedOnlyFieldListFilter), ("created_at", RangeDateTimeFilter)]
    search_fields = ["reference", "idempotency_key"]
    inlines = [JournalLineInline]


@admin.register(Account)
class AccountAdmin(ImmutableAdminMixin, PlatformOnlyAdmin):
    list_display = ["code", "kind", "type", "posted_balance", "available"]
    list_filter = ["kind", "type"]
    search_fields = ["code"]

    @admin.display(description=_("posted balance"))
    def posted_balance(self, obj):
        return format_fen(obj.posted_balance_fen)

    @admin.display(description=_("available"))
    def available(self, obj):
        return format_fen(obj.available_fen)


@admin.register(TopUpOrder)
class TopUpOrderAdmin(ImmutableAdminMixin, PlatformOnlyAdmin):
    list_display = ["out_trade_no", "amount_fen", "bonus_fen", "status", "created_at", "paid_at"]
    list_filter = ["status", ("created_at", RangeDateTimeFilter)]
    search_fields = ["out_trade_no", "provider_transaction_id"]
