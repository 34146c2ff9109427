import os

from celery import Celery
from celery.schedules import crontab

from pumpgateway.bootstep import PUMP_LINE_OPTION, PumpBridgeStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuelpay.settings.local")

app = Celery("fuelpay")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.user_options["worker"].add(PUMP_LINE_OPTION)
app.steps["worker"].add(PumpBridgeStep)

# Every periodic job lives here, each with the reason it exists.
app.conf.beat_schedule = {
    # Holds with an expiry give the driver's money back on their own (a prepaid order's hold has none: the
    # order releases it when its authorization ends).
    "wallet-release-expired-holds": {"task": "wallet.tasks.wallet_release_expired_holds_task", "schedule": 30.0},
    # An open order whose authorization closed but whose news was lost (a task died) is settled here, so a
    # lost task can never strand the driver's hold.
    "orders-reconcile": {"task": "orders.tasks.orders_reconcile_task", "schedule": 60.0},
    # Tamper evidence: chain new journal entries in commit order without serialising postings.
    "wallet-extend-hash-chain": {"task": "wallet.tasks.ledger_chain_extend_task", "schedule": 10.0},
    # Tampering (edited counters, a forged entry, a rewritten chain) is found within the hour, not by chance.
    "wallet-verify-ledger": {"task": "wallet.tasks.ledger_verify_task", "schedule": crontab(minute=7)},
    # The chain head, signed, leaves the database (checkpoint file + log line) for verify_ledger to hold it to.
    "wallet-ledger-checkpoint": {
        "task": "wallet.tasks.ledger_chain_checkpoint_task",
        "schedule": crontab(minute="*/15"),
    },
    # Contracts (合约加油) past their end date are closed and the remainder unfrozen.
    "wallet-close-expired-contracts": {
        "task": "wallet.tasks.wallet_contracts_close_expired_task",
        "schedule": crontab(minute="*/5"),
    },
    # Unpaid top-up orders stop counting against the daily limit after two hours.
    "wallet-close-stale-top-ups": {"task": "wallet.tasks.wallet_top_up_orders_close_stale_task", "schedule": 600.0},
    # A request whose line has no live bridge is refused quickly, releasing the driver's hold.
    "pumps-close-unsent-authorizations": {
        "task": "pumpgateway.tasks.authorizations_close_unsent_task",
        "schedule": 5.0,
    },
    # Station price schedules take effect at a given time; due ones are pushed to the pumps.
    "pumps-push-due-prices": {"task": "pumpgateway.tasks.prices_push_due_task", "schedule": 30.0},
    # Coupons past their validity expire, so the driver's wallet shows only what can still be used.
    "marketing-expire-coupons": {"task": "marketing.tasks.coupons_expire_task", "schedule": crontab(minute="*/10")},
    # Points past their validity expire, with a history row for the driver.
    "marketing-expire-points": {"task": "marketing.tasks.points_expire_task", "schedule": crontab(hour=3, minute=10)},
    # Messages held back by the driver's quiet hours go when they end.
    "marketing-send-due-notifications": {"task": "marketing.tasks.notifications_send_due_task", "schedule": 300.0},
    # 加油提醒 from each driver's own refuelling cycle, in the late morning (after quiet hours).
    "marketing-refuel-reminders": {
        "task": "marketing.tasks.refuel_reminders_task",
        "schedule": crontab(hour=10, minute=0),
    },
    # Coupons ending within NOTIFICATION_EXPIRING_DAYS are announced once, while there is time to use them.
    "marketing-coupons-expiring": {
        "task": "marketing.tasks.coupons_expiring_notify_task",
        "schedule": crontab(hour=9, minute=30),
    },
    # Contracts ending within NOTIFICATION_EXPIRING_DAYS: the driver hears what is left to use at the station.
    "wallet-contracts-expiring": {
        "task": "wallet.tasks.wallet_contracts_notify_expiring_task",
        "schedule": crontab(hour=9, minute=40),
    },
    # The member level's birthday gift, on the morning of the birthday (after the nightly level refresh).
    "marketing-birthday-gifts": {"task": "marketing.tasks.birthday_gifts_task", "schedule": crontab(hour=9, minute=0)},
    # Spend ages out of the 90-day window and drivers go quiet: levels and segments (and their sizes, for the
    # platform and for each station and enterprise) nightly.
    "marketing-refresh-standings": {
        "task": "marketing.tasks.standings_refresh_task",
        "schedule": crontab(hour=3, minute=30),
    },
    # T+1: yesterday's business day is closed per station once its cut-off has passed (idempotent), then
    # reconciled (fills ↔ orders ↔ ledger, and the provider's statement, which arrives in the morning).
    "settlement-close-yesterday": {
        "task": "settlement.tasks.settlement_close_yesterday_task",
        "schedule": crontab(hour=3, minute=0),
    },
    "settlement-reconcile-yesterday": {
        "task": "settlement.tasks.settlement_reconcile_yesterday_task",
        "schedule": crontab(hour=10, minute=0),
    },
}
