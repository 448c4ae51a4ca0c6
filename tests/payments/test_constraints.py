"""The payments tables' rules held by PostgreSQL itself: raw ORM writes that break them are refused, and an
action that runs into one tells the person in words (never a 500)."""
import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.errors import ActionRefused, DomainError
from payments.actions import PayoutPaid
from payments.models import LedgerEntry, Payout, PayoutRun, RateCard, StripeAccount
from payments.services.ledger import record_entry
from tests import factories
from tests.payments.factories import RateCardFactory, StripeAccountFactory, ledger_entry

pytestmark = [pytest.mark.django_db]

DAY = datetime.date.today() - datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _postgresql():
    assert connection.vendor == "postgresql", "run with DATABASE_URL pointing at PostgreSQL"


def refused(constraint):
    return pytest.raises(IntegrityError, match=constraint)


@pytest.fixture
def run(program, finance):
    return PayoutRun.objects.create(program=program, period_start=DAY, period_end=DAY, currency="USD",
                                    created_by=finance)


def payout_of(run, **fields):
    membership = factories.MembershipFactory(program=run.program)
    account = StripeAccountFactory(artist=membership.artist)
    return Payout.objects.create(run=run, membership=membership, stripe_account=account, amount_minor=1000,
                                 currency="USD", **fields)


# --- payout runs ---------------------------------------------------------------------------------------------

def test_database_refuses_a_run_approved_by_its_creator(run, finance):
    with refused("payoutrun_creator_not_approver"), transaction.atomic():
        PayoutRun.objects.filter(pk=run.pk).update(approved_by=finance, status="approved")


def test_database_accepts_a_run_approved_by_another_user(run, program):
    other = factories.staff_user(program, "finance")
    PayoutRun.objects.filter(pk=run.pk).update(approved_by=other, status="approved")


# --- payouts ---------------------------------------------------------------------------------------------------

def test_database_refuses_one_transfer_id_on_two_payouts(run):
    now = timezone.now()
    payout_of(run, status="paid", stripe_transfer_id="tr_same", paid_at=now)
    with refused("payout_transfer_id_unique"), transaction.atomic():
        payout_of(run, status="paid", stripe_transfer_id="tr_same", paid_at=now)


def test_many_payouts_without_a_transfer_id_are_fine(run):
    payout_of(run)
    payout_of(run)
    assert Payout.objects.filter(stripe_transfer_id="").count() == 2


@pytest.mark.parametrize("fields", [
    {"stripe_transfer_id": "", "paid_at": timezone.now()},
    {"stripe_transfer_id": "tr_1", "paid_at": None},
])
def test_database_refuses_a_paid_payout_without_transfer_or_paid_at(run, fields):
    payout = payout_of(run)
    with refused("payout_paid_has_transfer_and_date"), transaction.atomic():
        Payout.objects.filter(pk=payout.pk).update(status="paid", **fields)


def test_an_action_running_into_the_unique_transfer_id_says_so_in_words(run):
    payout_of(run, status="paid", stripe_transfer_id="tr_taken", paid_at=timezone.now())
    sending = payout_of(run, status="sending")
    with pytest.raises(ActionRefused, match="already recorded on another payout"):
        PayoutPaid(SYSTEM, sending, transfer_id="tr_taken").run()
    sending.refresh_from_db()
    assert sending.status == "sending"


# --- ledger ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind,amount", [
    ("payout", 500), ("time", -500), ("feedback", -500), ("stipend", -500), ("payout_failed", -500),
    ("reversal", -500),
])
def test_database_refuses_a_ledger_amount_of_the_wrong_sign(artist_membership, kind, amount, run):
    payout = payout_of(run)
    time_log = factories.TimeLogFactory(membership=artist_membership)
    feedback = factories.FeedbackFactory(membership=artist_membership)
    with refused("ledger_kind_sign"), transaction.atomic():
        ledger_entry(artist_membership, amount, kind=kind, payout=payout, time_log=time_log, feedback=feedback)


def test_adjustments_may_be_either_sign(artist_membership):
    ledger_entry(artist_membership, 500)
    ledger_entry(artist_membership, -500)


@pytest.mark.parametrize("kind,constraint", [
    ("time", "ledger_time_has_time_log"),
    ("feedback", "ledger_feedback_has_feedback"),
    ("payout", "ledger_payout_kinds_have_payout"),
    ("payout_failed", "ledger_payout_kinds_have_payout"),
    ("reversal", "ledger_payout_kinds_have_payout"),
])
def test_database_refuses_a_ledger_line_without_its_source(artist_membership, kind, constraint):
    amount = -500 if kind == "payout" else 500
    with refused(constraint), transaction.atomic():
        LedgerEntry.objects.create(program=artist_membership.program, membership=artist_membership, kind=kind,
                                   amount_minor=amount, currency="USD", source_key=f"raw:{kind}", work_date=DAY,
                                   description="raw")


def test_the_ledger_service_turns_a_broken_rule_into_a_sentence(artist_membership):
    with pytest.raises(DomainError, match="must name its time log"):
        record_entry(membership=artist_membership, kind="time", amount_minor=500, source_key="raw:time",
                     work_date=DAY, description="raw")


def test_ledger_rows_are_append_only_in_python(artist_membership):
    entry = ledger_entry(artist_membership, 500)
    with pytest.raises(PermissionError, match="append-only"):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_minor=1)
    with pytest.raises(PermissionError, match="append-only"):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionError, match="append-only"):
        entry.save()
    with pytest.raises(PermissionError, match="append-only"):
        entry.delete()


# --- currency shape --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("currency", ["usd", "US", "U5D", "12A"])
def test_database_refuses_a_currency_not_shaped_like_iso4217(program, finance, artist_membership, run, currency):
    payout = payout_of(run)
    card = RateCardFactory(program=program)
    for model, pk, constraint in ((RateCard, card.pk, "ratecard_currency_iso4217"),
                                  (PayoutRun, run.pk, "payoutrun_currency_iso4217"),
                                  (Payout, payout.pk, "payout_currency_iso4217")):
        with refused(constraint), transaction.atomic():
            model.objects.filter(pk=pk).update(currency=currency)
    with refused("ledger_currency_iso4217"), transaction.atomic():
        LedgerEntry.objects.create(program=program, membership=artist_membership, kind="adjustment",
                                   amount_minor=5, currency=currency, source_key="raw:currency", work_date=DAY,
                                   description="raw", reason="test")


# --- Stripe accounts -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fields", [
    {"state": "enabled", "payouts_enabled": False},
    {"state": "enabled", "transfers_active": False},
    {"state": "enabled", "disabled_reason": "rejected.fraud"},
    {"state": "details_needed"},  # Stripe's data says payable: the state must say enabled
])
def test_database_refuses_a_stripe_account_enabled_other_than_by_stripe_data(fields):
    account = StripeAccountFactory()
    with refused("stripeaccount_enabled_iff_payable"), transaction.atomic():
        StripeAccount.objects.filter(pk=account.pk).update(**fields)
