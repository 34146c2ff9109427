"""Thin, idempotent tasks: load, re-check, call one service."""

from celery import shared_task


@shared_task(bind=True)
def coupons_expire_task(self) -> int:
    from marketing.services import coupons_expire

    return coupons_expire()


@shared_task(bind=True)
def points_expire_task(self) -> int:
    from marketing.services import points_expire

    return points_expire()


@shared_task(bind=True)
def standings_refresh_task(self) -> dict:
    from marketing.services import standings_refresh

    return standings_refresh()


@shared_task(bind=True)
def notifications_send_due_task(self) -> int:
    from marketing.services import notifications_send_due

    return notifications_send_due()


@shared_task(bind=True)
def refuel_reminders_task(self) -> int:
    from marketing.services import refuel_reminders_send

    return refuel_reminders_send()
