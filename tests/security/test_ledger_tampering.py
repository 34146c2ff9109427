"""Hole 9: a forged balanced TOP_UP entry passed verify_ledger, and nothing ran verify_ledger."""

import logging

import pytest

from fuelpay.celery import app
from tests.factories.wallet import top_up
from wallet.enums import AccountKind, Operation, Side
from wallet.services.chain import ledger_verify
from wallet.services.ledger import Leg, driver_account_id, ledger_post, system_account_id
from wallet.tasks import ledger_verify_task

pytestmark = pytest.mark.django_db


def _forge_top_up(driver, amount_fen=50_000):
    ledger_post(
        operation=Operation.TOP_UP,
        idempotency_key="T-forged",
        legs=[
            Leg(system_account_id(kind=AccountKind.PLATFORM_ESCROW, spread_key="x"), Side.DEBIT, amount_fen),
            Leg(driver_account_id(driver_id=driver.pk, kind=AccountKind.DRIVER_PRINCIPAL), Side.CREDIT, amount_fen),
        ],
        driver_id=driver.pk,
        reference="T-forged",
    )


def test_a_forged_balanced_top_up_is_reported(driver):
    top_up(driver, 10_000)
    assert ledger_verify().ok
    _forge_top_up(driver)
    report = ledger_verify()
    assert any("has no provider-confirmed top-up order" in problem for problem in report.problems)


def test_the_scheduled_verification_alerts(driver, caplog):
    assert any(job["task"] == "wallet.tasks.ledger_verify_task" for job in app.conf.beat_schedule.values())
    top_up(driver, 10_000)
    assert ledger_verify_task.delay().get() is True
    _forge_top_up(driver)
    with caplog.at_level(logging.CRITICAL):
        assert ledger_verify_task.delay().get() is False
    assert any(record.levelno == logging.CRITICAL for record in caplog.records)
