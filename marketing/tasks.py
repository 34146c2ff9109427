"""Thin, idempotent tasks: load, re-check, call one service."""

from celery import shared_task


@shared_task(bind=True)
def coupons_expire_task(self) -> int:
    from marketing.services import coupons_expire

    return coupons_expire()
