"""atelier.bulk.insert_rows, which payout planning uses for its payouts and debits: the rows it writes are the
rows `bulk_create` would write (every other field at the model's default), and the database still refuses a
row that breaks a rule."""
import datetime

import pytest
from django.db import IntegrityError, transaction

from atelier.bulk import insert_rows
from payments.models import Payout, PayoutRun
from tests.factories import MembershipFactory, ProgramFactory, UserFactory
from tests.payments.factories import StripeAccountFactory

pytestmark = pytest.mark.django_db


def _run_and_artists(n):
    program = ProgramFactory()
    run = PayoutRun.objects.create(program=program, period_start=datetime.date(2026, 1, 1),
                                   period_end=datetime.date(2026, 1, 31), currency=program.currency,
                                   created_by=UserFactory())
    memberships = [MembershipFactory(program=program) for _ in range(n)]
    accounts = [StripeAccountFactory(artist=m.artist) for m in memberships]
    return run, memberships, accounts


def test_inserted_payouts_have_the_defaults_a_new_payout_gets():
    run, memberships, accounts = _run_and_artists(3)
    rows = insert_rows(Payout, {
        "membership_id": [m.pk for m in memberships],
        "stripe_account_id": [a.pk for a in accounts],
        "amount_minor": [100, 200, 300],
    }, constants={"run_id": run.pk, "currency": run.currency}, returning=("id", "membership_id", "amount_minor"))

    assert sorted((mid, amount) for _, mid, amount in rows) == [
        (memberships[0].pk, 100), (memberships[1].pk, 200), (memberships[2].pk, 300)]
    fresh = Payout(run=run, membership=memberships[0], stripe_account=accounts[0], amount_minor=1, currency="USD")
    for payout in Payout.objects.filter(pk__in=[pk for pk, _, _ in rows]):
        assert payout.status == Payout.Status.PENDING
        assert (payout.attempts, payout.reversed_amount_minor, payout.transfer_params) == (0, 0, {})
        assert (payout.stripe_transfer_id, payout.held_reason, payout.lease_owner) == ("", "", "")
        assert payout.created_at is not None and payout.paid_at is None
        assert payout.status == fresh.status and payout.transfer_params == fresh.transfer_params


def test_a_row_breaking_a_database_rule_inserts_nothing():
    run, memberships, accounts = _run_and_artists(2)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Payout, {
            "membership_id": [memberships[0].pk, memberships[1].pk],
            "stripe_account_id": [accounts[0].pk, accounts[1].pk],
            "amount_minor": [100, 0],  # a payout's amount is positive
        }, constants={"run_id": run.pk, "currency": run.currency})
    assert not Payout.objects.filter(run=run).exists()


def test_an_unknown_field_is_refused_before_anything_is_sent():
    run, memberships, accounts = _run_and_artists(1)
    with pytest.raises(ValueError, match="no fields"):
        insert_rows(Payout, {"membership_id": [memberships[0].pk], "amount": [1]}, constants={"run_id": run.pk})
