import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.factories.wallet import top_up
from wallet.services.chain import ledger_chain_extend, ledger_verify
from wallet.services.holds import wallet_hold_capture, wallet_hold_place

pytestmark = pytest.mark.django_db


@pytest.fixture
def journal(driver, station):
    top_up(driver, 100_000)
    hold = wallet_hold_place(
        driver_id=driver.pk, station_id=station.pk, amount_fen=10_000, reference="r", idempotency_key="h"
    )
    wallet_hold_capture(hold_id=hold.pk, amount_fen=7_000)
    return driver


def test_verify_ledger_passes_on_a_clean_journal(journal):
    out = io.StringIO()
    call_command("verify_ledger", "--chain-first", stdout=out)
    assert "ledger OK" in out.getvalue()
    assert "chained: 3, awaiting chain: 0" in out.getvalue()


def test_verify_ledger_names_an_account_whose_cache_disagrees_with_the_journal(journal):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE wallet_account SET credits_posted = credits_posted + 1 WHERE code = %s",
            [f"driver:{journal.pk}:driver_principal"],
        )
    errors = io.StringIO()
    with pytest.raises(CommandError, match="ledger verification failed"):
        call_command("verify_ledger", stdout=io.StringIO(), stderr=errors)
    assert f"BROKEN: account driver:{journal.pk}:driver_principal: cached counters" in errors.getvalue()


def test_verify_ledger_detects_an_edited_journal_line_through_the_hash_chain(journal):
    ledger_chain_extend()
    with connection.cursor() as cursor:
        # An attacker with DDL rights: drop the append-only trigger, then edit history.
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER wallet_journalline_append_only ON wallet_journalline")
        else:
            cursor.execute("DROP TRIGGER wallet_journalline_append_only")
        cursor.execute(
            "UPDATE wallet_journalline SET balance_after_fen = balance_after_fen + 100 "
            "WHERE id = (SELECT MIN(id) FROM wallet_journalline)"
        )
    report = ledger_verify()
    assert not report.ok
    assert any("hash chain broken" in problem for problem in report.problems)


def test_chain_extension_is_incremental(journal, station):
    assert ledger_chain_extend() == 3
    assert ledger_chain_extend() == 0
    top_up(journal, 1_000, key="more")
    assert ledger_chain_extend() == 1
    assert ledger_verify().ok
