"""Hole 9: a forged balanced TOP_UP entry passed verify_ledger, and nothing ran verify_ledger."""

import json
import logging

import pytest
from django.db import connection

from fuelpay.celery import app
from tests.factories.wallet import top_up
from wallet.enums import AccountKind, Operation, Side
from wallet.models import ChainLink
from wallet.services.chain import ledger_chain_checkpoint, ledger_chain_extend, ledger_verify
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


def test_the_chain_is_keyed_so_a_writer_without_the_key_cannot_rebuild_it(driver, settings):
    top_up(driver, 10_000)
    ledger_chain_extend()
    assert ledger_verify().ok
    settings.LEDGER_CHAIN_KEY = "what-an-attacker-would-have-to-guess"
    assert any("hash chain broken" in problem for problem in ledger_verify().problems)


def test_checkpoints_anchor_the_chain_head_outside_the_database(driver, settings, tmp_path):
    settings.LEDGER_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    top_up(driver, 10_000)
    ledger_chain_extend()
    record = ledger_chain_checkpoint()
    assert record["sequence"] == 1 and ledger_verify().ok
    forged = dict(record, link_hash="f" * 64)  # a rewritten chain's head, signed without the key
    with open(settings.LEDGER_CHECKPOINT_FILE, "a", encoding="utf-8") as checkpoints:
        checkpoints.write(json.dumps(forged) + "\n")
    assert any("bad signature" in problem for problem in ledger_verify().problems)
    if connection.vendor == "sqlite":  # SQLite leaves DELETE to the chain itself: a dropped chain is caught here
        ChainLink.objects.all().delete()
        assert any("differs from checkpoint" in problem for problem in ledger_verify().problems)
