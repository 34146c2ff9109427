"""The back office's home and navigation (django-unfold callbacks named in settings.UNFOLD).

Navigation is grouped by what each role does, not by app; the dashboard shows the user's stations' day.
"""

import json
from datetime import timedelta

from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.money import format_fen
from core.selectors import audit_event_list_recent
from marketing.selectors import campaign_results_for_stations
from orders.dashboard_selectors import (
    dashboard_charts,
    dashboard_day_figures,
    dashboard_price_push,
    dashboard_price_schedule,
    dashboard_promotion_costs,
)
from pumpgateway.selectors import serial_line_health_list
from settlement.selectors import fee_contract_list_latest
from stations.enums import StaffRoleKind
from stations.selectors import (
    enterprise_overview_list,
    staff_can_manage_station_setup,
    staff_role_get,
    station_qs_visible_to,
    user_is_platform_admin,
)


def _role(request) -> str | None:
    if user_is_platform_admin(user=request.user):
        return StaffRoleKind.PLATFORM_ADMIN
    role = staff_role_get(user=request.user)
    return role.role if role else None


def can_see_sales(request) -> bool:
    return _role(request) is not None


def can_manage_setup(request) -> bool:
    return staff_can_manage_station_setup(user=request.user)


def can_see_finance(request) -> bool:
    return _role(request) in (StaffRoleKind.PLATFORM_ADMIN, StaffRoleKind.FINANCE, StaffRoleKind.ENTERPRISE_ADMIN)


def is_platform(request) -> bool:
    return _role(request) == StaffRoleKind.PLATFORM_ADMIN


def _item(title, icon, url_name, permission):
    return {"title": title, "icon": icon, "link": reverse_lazy(url_name), "may_see": permission}


def sidebar_navigation(request) -> list[dict]:
    groups = [
        {
            "title": _("Today at the station"),
            "items": [
                _item(_("Dashboard"), "dashboard", "admin:index", can_see_sales),
                _item(_("Fuel orders"), "receipt_long", "admin:orders_fuelorder_changelist", can_see_sales),
                _item(_("Payments"), "payments", "admin:wallet_hold_changelist", can_see_sales),
                _item(_("Fills"), "local_gas_station", "admin:pumpgateway_fill_changelist", can_see_sales),
                _item(_("Shifts"), "schedule", "shifts", can_see_sales),
            ],
        },
        {
            "title": _("Prices and pumps"),
            "items": [
                _item(_("Prices"), "sell", "admin:stations_gradeprice_changelist", can_manage_setup),
                _item(_("Dispensers"), "ev_station", "admin:stations_dispenser_changelist", can_manage_setup),
                _item(_("Nozzles"), "valve", "admin:stations_nozzle_changelist", can_manage_setup),
            ],
        },
        {
            "title": _("Stations and staff"),
            "items": [
                _item(_("Stations"), "store", "admin:stations_station_changelist", can_manage_setup),
                _item(_("Staff"), "badge", "admin:stations_staffrole_changelist", can_manage_setup),
            ],
        },
        {
            "title": _("Finance"),
            "items": [
                _item(_("Settlements"), "request_quote", "finance-days", can_see_finance),
                _item(_("Journal entries"), "account_balance", "admin:wallet_journalentry_changelist", can_see_finance),
                _item(_("Ledger accounts"), "account_tree", "admin:wallet_account_changelist", is_platform),
                _item(_("Top-up orders"), "add_card", "admin:wallet_topuporder_changelist", is_platform),
            ],
        },
        {
            "title": _("Platform"),
            "items": [
                _item(_("Enterprises"), "domain", "admin:stations_enterprise_changelist", is_platform),
                _item(_("Pump lines"), "cable", "admin:pumpgateway_serialline_changelist", is_platform),
                _item(
                    _("Pump bindings"),
                    "settings_input_component",
                    "admin:pumpgateway_pumpbinding_changelist",
                    is_platform,
                ),
                _item(_("Fuel grades"), "oil_barrel", "admin:stations_fuelgrade_changelist", is_platform),
                _item(_("Drivers"), "person", "admin:drivers_driver_changelist", is_platform),
                _item(_("Promotions"), "redeem", "admin:marketing_promotion_changelist", can_manage_setup),
                _item(_("Contract offers"), "handshake", "admin:marketing_contractoffer_changelist", is_platform),
            ],
        },
    ]
    # A role sees only its items, and no heading over an empty group.
    visible = []
    for group in groups:
        items = [
            {k: v for k, v in item.items() if k != "may_see"} for item in group["items"] if item["may_see"](request)
        ]
        if items:
            visible.append({**group, "items": items})
    return visible


def _change(today: int, last_week: int) -> str:
    if not last_week:
        return "—"
    percent = round(100 * (today - last_week) / last_week)
    return f"{percent:+d}%"


def _chart(labels, values, label) -> str:
    return json.dumps(
        {"labels": [str(item) for item in labels], "datasets": [{"label": str(label), "data": values}]},
        ensure_ascii=False,
    )


def _platform_overview(now) -> dict:
    enterprise_count, enterprises = enterprise_overview_list()
    return {
        "enterprise_count": enterprise_count,
        "enterprises": enterprises,
        "fee_contracts": fee_contract_list_latest(),
        "lines": serial_line_health_list(now=now),
        "audit_events": audit_event_list_recent(),
    }


def dashboard_callback(request, context):
    if _role(request) is None:
        return context
    now = timezone.now()
    midnight = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    station_ids = list(station_qs_visible_to(user=request.user).values_list("pk", flat=True))
    today = dashboard_day_figures(station_ids=station_ids, start=midnight, end=now)
    last_week = dashboard_day_figures(
        station_ids=station_ids, start=midnight - timedelta(days=7), end=now - timedelta(days=7)
    )
    charts = dashboard_charts(station_ids=station_ids, end=now)
    promotion_costs = dashboard_promotion_costs(station_ids=station_ids, today_start=midnight, end=now)
    weekdays = [
        gettext("Mon"),
        gettext("Tue"),
        gettext("Wed"),
        gettext("Thu"),
        gettext("Fri"),
        gettext("Sat"),
        gettext("Sun"),
    ]
    context.update(
        {
            "dashboard": True,
            "kpis": [
                {
                    "title": gettext("Sales today"),
                    "value": format_fen(today.sales_fen),
                    "footer": gettext("Same weekday last week: %(value)s (%(change)s)")
                    % {
                        "value": format_fen(last_week.sales_fen),
                        "change": _change(today.sales_fen, last_week.sales_fen),
                    },
                    "href": reverse_lazy("admin:orders_fuelorder_changelist"),
                },
                {
                    "title": gettext("Fills today"),
                    "value": today.fills,
                    "footer": gettext("Same weekday last week: %(value)s (%(change)s)")
                    % {"value": last_week.fills, "change": _change(today.fills, last_week.fills)},
                    "href": reverse_lazy("admin:pumpgateway_fill_changelist"),
                },
                {
                    "title": gettext("Orders today"),
                    "value": today.orders,
                    "footer": gettext("Average ticket (30 days): %(value)s")
                    % {"value": format_fen(charts.average_ticket_fen)},
                    "href": reverse_lazy("admin:orders_fuelorder_changelist"),
                },
                {
                    "title": gettext("Refunds today"),
                    "value": today.refunds,
                    "footer": format_fen(today.refunded_fen),
                    "href": reverse_lazy("admin:wallet_hold_changelist"),
                },
                {
                    "title": gettext("Unpaid fills today"),
                    "value": today.unpaid_fills,
                    "footer": gettext("Fills the pump reported that no order paid"),
                    "href": reverse_lazy("admin:pumpgateway_fill_changelist"),
                },
            ],
            "driver_kpis": [
                {"title": gettext("Repurchase rate (30 days)"), "value": f"{charts.repurchase_rate_percent}%"},
                {
                    "title": gettext("New / returning drivers"),
                    "value": f"{charts.new_drivers} / {charts.returning_drivers}",
                },
                {"title": gettext("Non-fuel share of sales"), "value": f"{charts.non_fuel_share_percent}%"},
            ],
            "chart_grade": _chart(
                [name for name, _total in charts.sales_by_grade],
                [total / 100 for _name, total in charts.sales_by_grade],
                gettext("Sales (yuan)"),
            ),
            "chart_hour": _chart(range(24), [value / 100 for value in charts.sales_by_hour], gettext("Sales (yuan)")),
            "chart_weekday": _chart(
                weekdays, [value / 100 for value in charts.sales_by_weekday], gettext("Sales (yuan)")
            ),
            "promotion_costs": promotion_costs.by_promotion,
            "promotion_cost_totals": [
                {"cost": total, "change": _change(total.period_fen, total.previous_period_fen)}
                for total in promotion_costs.by_funder
            ],
            "campaigns": campaign_results_for_stations(station_ids=station_ids),
            "price_schedule": dashboard_price_schedule(station_ids=station_ids, now=now),
            "price_push": dashboard_price_push(station_ids=station_ids),
            "platform": _platform_overview(now) if is_platform(request) else None,
        }
    )
    return context
