"""Foundations every admin class in the console builds on (stations.admin_scoping adds the role scope).

- Money: model integer fields named ``*_fen`` (or ``*_fen_per_litre``) are shown as ¥1,234.56 (¥7.40/升)
  in lists, read-only fields and inlines, and entered in yuan in forms; they stay integer fen underneath.
- Database constraints: each one is mapped to a plain sentence naming the field (``constraint_messages_register``);
  a form that would break one shows that sentence on the field, never the constraint's name.
- History: ``ImmutableAdminMixin`` removes add, change and delete for everyone.
"""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DataError, models
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, StackedInline, TabularInline
from unfold.widgets import UnfoldAdminTextInputWidget

from core.money import FEN_PER_YUAN, format_fen, yuan_to_fen

DISPLAY_SUFFIX = "_yuan"

# constraint name -> (field name, plain sentence). Each app registers its own from its admin module.
CONSTRAINT_MESSAGES: dict[str, tuple[str, str]] = {}


def constraint_messages_register(messages: dict[str, tuple[str, str]]) -> None:
    CONSTRAINT_MESSAGES.update(messages)


def is_money_field(field) -> bool:
    return isinstance(field, models.IntegerField) and (field.name.endswith("_fen") or "_fen_per_" in field.name)


def is_price_field(field) -> bool:
    return field.name.endswith("_fen_per_litre")


def format_money_field(field, value) -> str:
    if value is None:
        return "-"
    text = format_fen(value)
    return f"{text}/{_('L')}" if is_price_field(field) else text


class YuanField(forms.CharField):
    """Entered in yuan ("7.40", "1,234.5"), cleaned to integer fen; shows fen as yuan when editing."""

    def __init__(self, *, per_litre: bool = False, min_fen: int | None = None, max_fen: int | None = None, **kwargs):
        kwargs.pop("max_length", None)
        kwargs.setdefault("widget", UnfoldAdminTextInputWidget(attrs={"inputmode": "decimal"}))
        self.min_fen, self.max_fen = min_fen, max_fen
        super().__init__(**kwargs)
        unit = _("yuan per litre") if per_litre else _("yuan")
        self.help_text = f"{self.help_text} ({unit})" if self.help_text else _("In %(unit)s.") % {"unit": unit}

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{Decimal(value) / FEN_PER_YUAN:.2f}"
        return value

    def to_python(self, value):
        text = super().to_python(value).replace(",", "").replace("¥", "").strip()
        if text in self.empty_values:
            return None
        try:
            fen = yuan_to_fen(text)
        except (ValueError, InvalidOperation) as error:
            raise ValidationError(
                _("Enter an amount in yuan with at most two decimals, e.g. 7.40."), code="invalid"
            ) from error
        if self.min_fen is not None and fen < self.min_fen:
            raise ValidationError(
                _("The amount must be at least %(amount)s."), params={"amount": format_fen(self.min_fen)}
            )
        if self.max_fen is not None and fen > self.max_fen:
            raise ValidationError(
                _("The amount must be at most %(amount)s."), params={"amount": format_fen(self.max_fen)}
            )
        return fen


def _validate_constraints_with_messages(instance, exclude=None):
    """Model.validate_constraints, but a broken constraint reports its registered sentence on its field."""
    errors: dict[str, list] = {}
    for model_class, constraints in instance.get_constraints():
        for constraint in constraints:
            try:
                constraint.validate(model_class, instance, exclude=exclude)
            except ValidationError as error:
                field, message = CONSTRAINT_MESSAGES.get(constraint.name, (NON_FIELD_ERRORS, None))
                errors.setdefault(field, []).append(ValidationError(message) if message else error)
    if errors:
        raise ValidationError(errors)


class ConstraintMessagesForm(forms.ModelForm):
    def _post_clean(self):
        instance = self.instance
        instance.validate_constraints = lambda exclude=None: _validate_constraints_with_messages(instance, exclude)
        try:
            super()._post_clean()
        finally:
            del instance.validate_constraints

    def _update_errors(self, errors):
        # A sentence about a field the form does not show goes on top of the form instead of raising.
        if hasattr(errors, "error_dict"):
            for field in list(errors.error_dict):
                if field != NON_FIELD_ERRORS and field not in self.fields:
                    errors.error_dict.setdefault(NON_FIELD_ERRORS, []).extend(errors.error_dict.pop(field))
        super()._update_errors(errors)


class MoneyAdminMixin:
    """Swaps raw fen columns and read-only fields for ¥ displays and gives money inputs in yuan."""

    form = ConstraintMessagesForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._money_fields = {f.name: f for f in self.model._meta.fields if is_money_field(f)}
        for name, field in self._money_fields.items():
            setattr(self, name + DISPLAY_SUFFIX, self._money_display(field))

    @staticmethod
    def _money_display(field):
        def display(obj):
            return format_money_field(field, getattr(obj, field.name))

        display.short_description = field.verbose_name
        display.admin_order_field = field.name
        return display

    def _as_display(self, names, readonly_names=None):
        return [
            name + DISPLAY_SUFFIX
            if isinstance(name, str)
            and name in self._money_fields
            and (readonly_names is None or name in readonly_names)
            else name
            for name in names
        ]

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if is_money_field(db_field) and db_field.editable:
            return YuanField(
                label=db_field.verbose_name,
                required=not db_field.blank,
                help_text=db_field.help_text,
                per_litre=is_price_field(db_field),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_list_display(self, request):
        return self._as_display(super().get_list_display(request))

    def get_readonly_fields(self, request, obj=None):
        names = list(super().get_readonly_fields(request, obj))
        return names + [name + DISPLAY_SUFFIX for name in names if name in self._money_fields]

    def _form_fields(self, request, obj, kwargs):
        # Displays are not form fields: a page without change permission lists them in its fieldsets.
        fields = kwargs["fields"] if "fields" in kwargs else flatten_fieldsets(self.get_fieldsets(request, obj))
        display_names = {name + DISPLAY_SUFFIX for name in self._money_fields}
        kwargs["fields"] = None if fields is None else [name for name in fields if name not in display_names]
        return kwargs

    def get_form(self, request, obj=None, change=False, **kwargs):
        return super().get_form(request, obj, change, **self._form_fields(request, obj, kwargs))

    def get_formset(self, request, obj=None, **kwargs):
        return super().get_formset(request, obj, **self._form_fields(request, obj, kwargs))

    def get_fieldsets(self, request, obj=None):
        readonly = set(self.get_readonly_fields(request, obj))
        if not self.has_change_permission(request, obj):
            readonly = None  # everything on the page is read-only
        fieldsets = []
        for title, options in super().get_fieldsets(request, obj):
            seen, fields = set(), []
            for name in self._as_display(options.get("fields", ()), readonly):
                if name not in seen:
                    seen.add(name)
                    fields.append(name)
            fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets


class FuelpayModelAdmin(MoneyAdminMixin, ModelAdmin):
    """The console's base: unfold's look, money in yuan, constraint sentences, filters submitted together."""

    list_filter_submit = True
    list_per_page = 50

    def get_changelist_instance(self, request):
        # A filter value out of the column's range (?driver=99999999999999999999999) is bad input, not a 500:
        # the admin answers it as it does any invalid lookup.
        try:
            return super().get_changelist_instance(request)
        except (OverflowError, DataError) as error:
            raise IncorrectLookupParameters(error) from error


class InlineFollowsParentMixin:
    """Staff permissions here come from roles, not Django's per-model permissions: an inline may be seen and
    edited by whoever may see and edit the object it belongs to."""

    def _parent_admin(self):
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request, obj=None):
        return self._parent_admin().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._parent_admin().has_delete_permission(request, obj)


class FuelpayTabularInline(InlineFollowsParentMixin, MoneyAdminMixin, TabularInline):
    pass


class FuelpayStackedInline(InlineFollowsParentMixin, MoneyAdminMixin, StackedInline):
    pass


class ImmutableAdminMixin:
    """History that must not change (journal entries, fills, paid orders): no add, change or delete for anyone.
    Corrections go through their own services (refund, adjustment) from admin actions with a reason."""

    immutable = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
