"""The demo reconciles clean: `make run` starts a fresh fake Stripe server and `sync_fake_stripe` tells it about
the demo's accounts and the transfers of its past run, so reconciling the demo finds no difference."""
import datetime

import pytest
from django.core.management import call_command

from devtools.fake_stripe import FakeStripe
from payments.models import Payout, PayoutRun, ReconciliationDifference
from payments.services.reconciliation import reconcile
from testers.models import Program

pytestmark = pytest.mark.django_db


def test_the_seeded_demo_run_reconciles_without_a_difference_against_the_make_run_fake(settings):
    call_command("seed_demo")
    program = Program.objects.get(slug="lumen-beta")
    run = PayoutRun.objects.get(program=program)
    assert run.payouts.filter(status=Payout.Status.PAID).count() >= 3
    with FakeStripe() as fake:  # what `make run` starts: it knows nothing yet
        settings.STRIPE_API_BASE = fake.url
        call_command("sync_fake_stripe", wait=5)
        assert {t["id"] for t in fake.transfers()} == set(run.payouts.values_list("stripe_transfer_id", flat=True))
        report = reconcile(program, run.period_start - datetime.timedelta(days=1), datetime.date.today())
    assert report.checked_payouts == run.payouts.count()
    assert not ReconciliationDifference.objects.filter(program=program).exists()
