from django.db import models
from django.utils.translation import gettext_lazy as _


class EnterpriseKind(models.TextChoices):
    CHAIN = "chain", _("Chain")
    INDEPENDENT = "independent", _("Independent operator")
    ALLIANCE_MEMBER = "alliance_member", _("Alliance member")


class StationStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    UNDER_REVIEW = "under_review", _("Documents under review")
    APPROVED = "approved", _("Approved")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


class FuelKind(models.TextChoices):
    GASOLINE = "gasoline", _("Gasoline")
    DIESEL = "diesel", _("Diesel")


class NonFuelCategory(models.TextChoices):
    DRINKS = "drinks", _("Drinks")
    SNACKS = "snacks", _("Snacks")
    CAR_CARE = "car_care", _("Car care")
    CAR_WASH = "car_wash", _("Car wash")
    OTHER = "other", _("Other")


class StaffRoleKind(models.TextChoices):
    PLATFORM_ADMIN = "platform_admin", _("Platform admin")
    ENTERPRISE_ADMIN = "enterprise_admin", _("Enterprise admin")
    STATION_MANAGER = "station_manager", _("Station manager")
    CASHIER = "cashier", _("Cashier / attendant")
    FINANCE = "finance", _("Finance")


class StaffAction(models.TextChoices):
    """What a staff API or page does; ROLE_ACTIONS in stations.selectors says which roles may."""

    VIEW_STATIONS = "view_stations", _("View stations")
    CHANGE_STATION_STATUS = "change_station_status", _("Change a station's status")
    SET_PRICES = "set_prices", _("Set fuel prices")
    OPERATE_PUMPS = "operate_pumps", _("Operate pumps")


class BankAccountChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a second approver")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class StationErrorCode(models.TextChoices):
    TRANSITION_NOT_ALLOWED = "station_transition_not_allowed"
    NOT_READY_TO_ACTIVATE = "station_not_ready_to_activate"
    NOT_ACTIVE = "station_not_active"
    INVALID_BANK_ACCOUNT = "station_invalid_bank_account"
    INVALID_PRICE = "station_invalid_price"
    NO_PRICE = "station_no_price"
    NOZZLE_NOT_FOUND = "station_nozzle_not_found"
    ROLE_NOT_ALLOWED = "station_role_not_allowed"
    USERNAME_TAKEN = "station_staff_username_taken"
    USERNAME_IS_PHONE = "station_staff_username_is_phone"
    SECOND_APPROVER_REQUIRED = "station_second_approver_required"
    CHANGE_ALREADY_DECIDED = "station_change_already_decided"
