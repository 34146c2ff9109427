from celery import shared_task


@shared_task(bind=True, ignore_result=True)
def pump_bridge_wake_task(self, line_code: str) -> None:
    """Runs inside the bridge worker that owns the line (its own queue) and wakes its master loop, so a
    new command goes out on the next poll cycle instead of the next periodic scan."""
    from pumpgateway.runner import bridge_wake

    bridge_wake(line_code=line_code)


@shared_task(bind=True, ignore_result=True)
def authorizations_close_unsent_task(self) -> int:
    """On the default queue (not the line's): it must run when the line's bridge is down."""
    from pumpgateway.services import authorizations_close_unsent

    return authorizations_close_unsent()


@shared_task(bind=True, ignore_result=True)
def prices_push_due_task(self) -> int:
    from pumpgateway.services import pump_prices_sync

    return pump_prices_sync()
