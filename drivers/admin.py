from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateTimeFilter
from unfold.decorators import action

from core.admin_base import ImmutableAdminMixin
from core.audit import client_ip_get
from core.crypto import phone_digest
from core.exceptions import FuelpayError
from drivers.exceptions import InvalidPhone
from drivers.models import Driver
from drivers.services import driver_phone_reveal, phone_normalize
from stations.admin_scoping import PlatformOnlyAdmin


class PhoneSearchMixin:
    """Search by a full phone number: the number is stored encrypted, so the term is turned into its digest
    (search_fields name the digest column with "=")."""

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        try:
            digest = phone_digest(phone_normalize(search_term))
        except InvalidPhone:
            return queryset.none(), False
        return super().get_search_results(request, queryset, digest)


class RevealPhoneForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), max_length=200, help_text=_("Kept in the audit log with your name and address.")
    )


@admin.register(Driver)
class DriverAdmin(PhoneSearchMixin, ImmutableAdminMixin, PlatformOnlyAdmin):
    """Drivers for the platform's support desk; the phone number is masked. Search takes a full number.
    A platform admin who needs the full number asks for it with a reason, and the reveal is audited."""

    list_display = ["phone_masked", "created_at"]
    list_filter = [("created_at", RangeDateTimeFilter)]
    search_fields = ["=phone_digest"]
    search_help_text = _("Search by a full mobile number (11 digits).")
    fields = readonly_fields = ["phone_masked", "created_at"]
    actions_detail = ["reveal_phone"]

    def has_reveal_phone_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    @action(description=_("Show full phone"), url_path="reveal-phone", permissions=["reveal_phone"], icon="visibility")
    def reveal_phone(self, request, object_id):
        driver = self.get_object(request, unquote(object_id))
        if driver is None:
            raise Http404
        form = RevealPhoneForm(request.POST or None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Full phone number of %(driver)s") % {"driver": driver},
            "form": form,
            "opts": self.model._meta,
        }
        if request.method == "POST" and form.is_valid():
            reveal = {"actor": request.user, "reason": form.cleaned_data["reason"], "client_ip": client_ip_get(request)}
            try:
                context["phone"] = driver_phone_reveal(driver=driver, **reveal)
            except FuelpayError as error:
                form.add_error(None, error.message)
        return TemplateResponse(request, "admin/drivers/driver/reveal_phone.html", context)
