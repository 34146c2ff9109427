"""Thin, idempotent tasks: load, re-check, call one service."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone


@shared_task
def settlement_close_yesterday_task() -> int:
    from settlement.services.days import business_date_of, settlement_day_close

    return settlement_day_close(business_date=business_date_of(timezone.now()) - timedelta(days=1)).days_closed


@shared_task
def settlement_reconcile_yesterday_task() -> int:
    from settlement.services.days import business_date_of
    from settlement.services.reconcile import reconcile_day

    return reconcile_day(business_date=business_date_of(timezone.now()) - timedelta(days=1)).found
