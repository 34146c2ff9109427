"""Thin, idempotent tasks: load, re-check, call one service."""

from celery import shared_task

from marketing.exceptions import NotificationNotDelivered


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


@shared_task(bind=True, autoretry_for=(NotificationNotDelivered,), max_retries=3, retry_backoff=30)
def notification_deliver_task(self, notification_id: int) -> bool:
    from marketing.services import notification_deliver

    return notification_deliver(notification_id=notification_id)


@shared_task(bind=True)
def coupons_expiring_notify_task(self) -> int:
    from marketing.services import coupons_expiring_notify

    return coupons_expiring_notify()


@shared_task(bind=True)
def birthday_gifts_task(self) -> int:
    from marketing.services import birthday_gifts_grant

    return birthday_gifts_grant()
