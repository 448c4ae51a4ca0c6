"""A payout run sent by a REAL Celery worker (Redis broker, the test PostgreSQL database) while the fake Stripe
server injects faults on a fifth of transfer calls, and the worker is SIGKILLed mid-run and restarted.

The faults are Stripe's own answers (see docs/payments-payouts.md, "The fake and Stripe agree"): 429s, 5xx
before executing, a 500 stored under the key after executing (every retry replays it), a slow execution
whose retry gets a 409 while the first request is still in progress, a lost answer, and a timeout."""
import datetime
import os
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from django.db import connection
from django.db.models import Sum

from devtools.celery_worker import Worker
from devtools.fake_stripe import FakeStripe, Fault
from payments import selectors
from payments.models import LedgerEntry, Payout, PayoutRun
from payments.services import payouts as services
from payments.services.reconciliation import reconcile
from tests import factories
from tests.conftest import wait_until
from tests.payments.factories import payable_artist

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DAY = datetime.date.today() - datetime.timedelta(days=1)
ARTISTS = 200
CLIENT_TIMEOUT = 1.0


class FlakyStripe(FakeStripe):
    """Faults on about a fifth of transfer creations. Seeded, so a failure can be replayed."""

    MODES = [
        dict(mode="timeout", delay=CLIENT_TIMEOUT + 0.5),  # executed; the answer comes too late
        dict(mode="error_after", status=502),  # executed; the answer is lost on the way back
        dict(mode="error_stored", status=500),  # executed; Stripe's 500 stored and replayed for the key
        dict(mode="slow", delay=CLIENT_TIMEOUT + 0.5),  # still executing when the retry comes: 409
        dict(mode="error_before", status=429),
        dict(mode="error_before", status=500),
        dict(mode="error_before", status=503),
    ]

    def __init__(self, *args, seed=int(os.environ.get("FLAKY_STRIPE_SEED", "5")), rate=0.2, **kwargs):
        super().__init__(*args, **kwargs)
        self.rng = random.Random(seed)
        self.rate = rate
        self.injected = Counter()

    def _take_fault(self, method, path):
        fault = super()._take_fault(method, path)
        if fault is None and method == "POST" and path == "/v1/transfers" and self.rng.random() < self.rate:
            spec = self.rng.choice(self.MODES)
            self.injected[f"{spec['mode']} {spec.get('status', '')}".strip()] += 1
            fault = Fault(path_prefix="/v1/transfers", method="POST", **spec)
        return fault


def wait_for(condition, timeout, what):
    assert wait_until(condition, timeout=timeout, interval=0.2), f"timed out waiting for {what}"


@pytest.fixture
def real_worker_setup(test_broker):
    assert connection.vendor == "postgresql", "run with DATABASE_URL pointing at PostgreSQL"
    return test_broker


def test_run_of_200_with_faults_and_a_killed_worker_pays_everyone_exactly_once(
        program, finance, settings, tmp_path, real_worker_setup):
    """Needs the gateway to treat a 409 as ambiguous (never final) and a replayed 500 as unknown: until then
    a payout whose retry got a 409 is failed and credited back while its transfer is made."""
    fake = FlakyStripe().start()
    worker = None
    try:
        settings.STRIPE_API_BASE = fake.url
        memberships = [payable_artist(program, 1000 + i, fake=fake) for i in range(ARTISTS)]
        run = services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)
        assert run.payouts.count() == ARTISTS

        env = {**os.environ,
               "DATABASE_URL": _database_url(), "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
               "STRIPE_API_BASE": fake.url, "STRIPE_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT),
               "STRIPE_RETRY_BACKOFF_SECONDS": "0.05", "STRIPE_MAX_ATTEMPTS": "4",
               "STRIPE_TRANSFERS_PER_SECOND": "40", "PAYOUT_RESUME_AFTER_SECONDS": "1",
               "DATABASE_CONN_MAX_AGE": "0", "PYTHONPATH": str(ROOT)}
        worker = Worker(env, tmp_path / "worker.log", "payouts-test")
        worker.start()

        factories.approve(run, by=factories.staff_user(program, "finance"))  # enqueues on commit

        paid = lambda: Payout.objects.filter(run=run, status=Payout.Status.PAID).count()  # noqa: E731
        wait_for(lambda: paid() >= 50, 120, "the first 50 payouts")
        worker.kill()
        paid_at_kill = paid()
        assert paid_at_kill < ARTISTS, "the run finished before the worker could be killed"
        assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.SENDING

        worker.start()  # a new worker resumes the run by itself (worker_ready -> resume_payout_runs)
        wait_for(lambda: PayoutRun.objects.get(pk=run.pk).status in (PayoutRun.Status.COMPLETED,
                                                                    PayoutRun.Status.COMPLETED_WITH_FAILURES),
                 240, "the run to complete")
        print("faults injected:", dict(fake.injected), "paid before the kill:", paid_at_kill, file=sys.stderr)
        assert sum(fake.injected.values()) >= ARTISTS // 10
        assert {"error_stored 500", "slow", "error_before 429"} <= set(fake.injected), fake.injected
        assert any(e["status"] == 409 for e in fake.request_log), "no retry came while a transfer was in progress"
        worker.stop()

        # Nothing was given up on while Stripe made its transfer: no payout failed (or credited back).
        assert not Payout.objects.filter(run=run, status=Payout.Status.FAILED).exists()
        assert not LedgerEntry.objects.filter(payout__run=run, kind=LedgerEntry.Kind.PAYOUT_FAILED).exists()
        # A stored 500 can only be settled by looking at Stripe: reconciliation does it.
        reconcile(program, DAY, DAY)
        run.refresh_from_db()
        assert set(run.payouts.values_list("status", flat=True)) == {Payout.Status.PAID}

        # Every payable artist has exactly one transfer at Stripe, of their payout's amount.
        transfers = fake.transfers(transfer_group=run.transfer_group)
        assert len(transfers) == ARTISTS == len(fake.transfers())
        by_destination = defaultdict(list)
        for transfer in transfers:
            by_destination[transfer["destination"]].append(transfer)
        for membership in memberships:
            account_id = membership.artist.stripe_account.stripe_account_id
            assert len(by_destination[account_id]) == 1, account_id
            # The ledger matches Stripe: the payout debit equals what Stripe transferred; nothing is owed.
            settled = LedgerEntry.objects.filter(membership=membership, kind__in=selectors.SETTLEMENT_KINDS) \
                .aggregate(total=Sum("amount_minor"))["total"]
            assert -settled == by_destination[account_id][0]["amount"] == fake.balance(account_id)["usd"]
            assert selectors.balance_minor(membership) == 0

        report = reconcile(program, DAY, DAY)
        assert report.differences.count() == 0
        assert (report.checked_payouts, report.checked_transfers) == (ARTISTS, ARTISTS)
    finally:
        if worker is not None:
            worker.stop()
        fake.stop()


def _database_url():
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
