"""Payout batches: four-eyes release posts payable → escrow, the bank file carries the real account
numbers, a failed batch gives the money back; the ledger verifies after settlement and payout."""

import csv
import io

import pytest
from django.test import Client

from core.models import AuditEvent
from settlement.enums import PayoutStatus, SettlementStatus
from settlement.exceptions import FourEyesRequired, NothingToPay, SettlementTransitionNotAllowed
from settlement.models import PayoutBatch, SettlementDay
from settlement.services.days import settlement_day_close
from settlement.services.payouts import payout_bank_file, payout_batch_create, payout_batch_transition
from stations.enums import StaffRoleKind
from stations.services import station_bank_account_set
from tests.factories.stations import StaffRoleFactory, UserFactory
from tests.factories.wallet import counters_snapshot
from tests.settlement.test_settle_day import seed_two_days
from wallet.enums import AccountKind
from wallet.selectors import system_account_balance_fen
from wallet.services.chain import ledger_verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(seeder, day, fee_contracts):
    seed_two_days(seeder, day)
    settlement_day_close(business_date=day)
    station_bank_account_set(
        station=seeder.station, bank_name="工商银行上海分行", holder="某某加油站", account_number="6222020200112233445"
    )
    return seeder.station


def test_a_batch_released_by_a_second_person_pays_the_stations_net(settled):
    maker, checker = UserFactory(), UserFactory()
    escrow_before = system_account_balance_fen(kind=AccountKind.PLATFORM_ESCROW)
    batch = payout_batch_create(enterprise=settled.enterprise, actor=maker)
    assert batch.total_fen == 9_970 + 53_539
    assert set(SettlementDay.objects.values_list("status", flat=True)) == {SettlementStatus.IN_PAYOUT}

    payout_batch_transition(batch_id=batch.pk, to_status=PayoutStatus.RELEASED, actor=checker)

    assert system_account_balance_fen(kind=AccountKind.STATION_PAYABLE, station_id=settled.pk) == 0
    assert system_account_balance_fen(kind=AccountKind.PLATFORM_ESCROW) == escrow_before - 63_509
    rows = list(csv.reader(io.StringIO(payout_bank_file(batch=PayoutBatch.objects.get(), actor=checker))))
    assert rows[1][1:5] == ["某某加油站", "6222020200112233445", "工商银行上海分行", "635.09"]
    payout_batch_transition(batch_id=batch.pk, to_status=PayoutStatus.PAID, actor=checker)
    assert set(SettlementDay.objects.values_list("status", flat=True)) == {SettlementStatus.PAID_OUT}
    assert ledger_verify().ok


def test_the_creator_cannot_release_their_own_batch_and_nothing_changes(settled):
    maker = UserFactory()
    batch = payout_batch_create(enterprise=settled.enterprise, actor=maker)
    before = counters_snapshot()
    with pytest.raises(FourEyesRequired):
        payout_batch_transition(batch_id=batch.pk, to_status=PayoutStatus.RELEASED, actor=maker)
    assert counters_snapshot() == before
    assert PayoutBatch.objects.get().status == PayoutStatus.DRAFT
    with pytest.raises(SettlementTransitionNotAllowed):
        payout_batch_transition(batch_id=batch.pk, to_status=PayoutStatus.PAID, actor=UserFactory())
    with pytest.raises(NothingToPay):  # every closed day is already in the draft
        payout_batch_create(enterprise=settled.enterprise, actor=maker)


def test_a_failed_batch_returns_the_money_and_the_days_can_be_paid_again(settled):
    batch = payout_batch_create(enterprise=settled.enterprise, actor=UserFactory())
    payout_batch_transition(batch_id=batch.pk, to_status=PayoutStatus.RELEASED, actor=UserFactory())
    payout_batch_transition(batch_id=batch.pk, to_status=PayoutStatus.FAILED, actor=UserFactory())
    assert system_account_balance_fen(kind=AccountKind.STATION_PAYABLE, station_id=settled.pk) == 63_509
    assert set(SettlementDay.objects.values_list("status", flat=True)) == {SettlementStatus.CLOSED}
    assert payout_batch_create(enterprise=settled.enterprise, actor=UserFactory()).total_fen == 63_509
    assert ledger_verify().ok


def test_downloading_the_bank_file_is_audited_with_who_and_where(settled):
    maker, checker = UserFactory(), UserFactory()
    batch = payout_batch_create(enterprise=settled.enterprise, actor=maker)
    payout_batch_transition(batch_id=batch.pk, to_status=PayoutStatus.RELEASED, actor=checker)
    finance = StaffRoleFactory(role=StaffRoleKind.FINANCE, enterprise=settled.enterprise).user
    client = Client(REMOTE_ADDR="10.5.5.5")
    client.force_login(finance)
    response = client.get(f"/finance/payouts/{batch.pk}/bank-file/")
    assert "6222020200112233445" in response.content.decode()
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.target, event.client_ip, event.detail) == (
        finance,
        "settlement.payoutbatch.bank_file_exported",
        f"settlement.payoutbatch:{batch.pk}",
        "10.5.5.5",
        {"stations": [settled.pk]},
    )


def test_a_draft_batch_has_no_bank_file_and_no_audit_event(settled):
    batch = payout_batch_create(enterprise=settled.enterprise, actor=UserFactory())
    with pytest.raises(SettlementTransitionNotAllowed):
        payout_bank_file(batch=batch, actor=UserFactory())
    assert not AuditEvent.objects.exists()
