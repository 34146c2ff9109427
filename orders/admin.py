import uuid

from django import forms
from django.contrib import admin
from django.contrib.admin import RelatedOnlyFieldListFilter
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import action

from core.admin_base import FuelpayTabularInline, ImmutableAdminMixin, YuanField, constraint_messages_register
from core.money import format_fen
from orders.models import FuelOrder, OrderLine, OrderStatusChange
from orders.services import order_line_refund
from stations.admin_scoping import StationScopedAdmin, run_service_for_admin
from stations.selectors import staff_can_manage_station_setup

constraint_messages_register(
    {
        "uniq_order_idempotency": ("idempotency_key", _("This order was already placed with this key.")),
        "uniq_paid_fill": ("fill", _("This fill has already been paid by another order.")),
    }
)


def admin_link(obj, label=None):
    if obj is None:
        return "-"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a class="text-primary-600 underline" href="{}">{}</a>', url, label or obj)


class LineRefundForm(forms.Form):
    line = forms.ChoiceField(label=_("line"))
    amount_fen = YuanField(label=_("refund amount"), min_fen=1)
    reason = forms.CharField(label=_("reason"), max_length=200, help_text=_("Kept in the order's history."))
    # One key per opened form: submitting twice refunds once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, lines: list[OrderLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].choices = [
            (str(line.pk), f"{line.display_label} · {format_fen(line.paid_fen - line.refunded_fen)}") for line in lines
        ]


class OrderLineInline(ImmutableAdminMixin, FuelpayTabularInline):
    model = OrderLine
    fields = ["kind", "label", "amount_fen", "funder", "paid_fen", "refunded_fen"]
    readonly_fields = fields


class OrderStatusChangeInline(ImmutableAdminMixin, FuelpayTabularInline):
    model = OrderStatusChange
    fields = ["from_status", "to_status", "cause", "failure_code", "actor", "created_at"]
    readonly_fields = fields


@admin.register(FuelOrder)
class FuelOrderAdmin(ImmutableAdminMixin, StationScopedAdmin):
    """Sales at the pump. Orders are history: nobody edits one; a correction is a refund of its payment."""

    visible_to_setup_staff_only = False
    list_display = [
        "order_no",
        "station",
        "grade_name",
        "mode",
        "status",
        "volume_litres",
        "fuel_amount_fen",
        "discount_fen",
        "paid_fen",
        "debt_fen",
        "created_at",
    ]
    list_filter = [
        "status",
        "mode",
        ("station", RelatedOnlyFieldListFilter),
        "grade_name",
        ("created_at", RangeDateTimeFilter),
    ]
    search_fields = ["order_no", "dynamic_code"]
    list_select_related = ["station"]
    exclude = ["driver", "idempotency_key", "hold", "authorization", "fill", "nozzle"]
    readonly_fields = ["pump_record", "payment", "ledger_entries"]
    inlines = [OrderLineInline, OrderStatusChangeInline]
    actions_detail = ["refund_line"]

    def has_refund_line_permission(self, request, obj=None):
        return staff_can_manage_station_setup(user=request.user)

    @action(description=_("Refund a line"), url_path="refund-line", permissions=["refund_line"], icon="undo")
    def refund_line(self, request, object_id):
        """Refund one line (the fuel or an item) of a paid order, with a reason, through the refund service."""
        order = self.get_object(request, unquote(object_id))  # None for a malformed or out-of-scope id
        if order is None:
            raise Http404
        lines = [line for line in order.lines.all() if line.paid_fen is not None]
        form = LineRefundForm(
            request.POST or None, lines=lines, initial={"idempotency_key": f"admin-line-refund:{uuid.uuid4().hex}"}
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            refunded = run_service_for_admin(
                request,
                order_line_refund,
                _("Refunded."),
                order=order,
                line_id=int(data["line"]),
                amount_fen=data["amount_fen"],
                reason=data["reason"],
                idempotency_key=data["idempotency_key"],
            )
            if refunded:
                self.log_change(request, order, f"{_('Refund')} {format_fen(data['amount_fen'])}: {data['reason']}")
                return redirect(reverse("admin:orders_fuelorder_change", args=[order.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refund a line of %(order_no)s") % {"order_no": order.order_no},
            "form": form,
            "order": order,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/orders/fuelorder/refund_line.html", context)

    @admin.display(description=_("volume (L)"), ordering="volume_ml")
    def volume_litres(self, obj):
        return f"{obj.volume_ml / 1000:.2f}"

    @admin.display(description=_("pump record"))
    def pump_record(self, obj):
        return admin_link(obj.fill, _("Fill #%(id)s") % {"id": obj.fill_id} if obj.fill_id else None)

    @admin.display(description=_("payment"))
    def payment(self, obj):
        return admin_link(obj.hold, obj.hold.reference if obj.hold_id else None)

    @admin.display(description=_("ledger entries"))
    def ledger_entries(self, obj):
        if obj.hold is None:
            return "-"
        entries = [obj.hold.pending_entry, obj.hold.resolution_entry]
        return format_html(
            " ".join("{}" for entry in entries if entry),
            *(admin_link(entry, f"#{entry.pk} {entry.get_operation_display()}") for entry in entries if entry),
        )
