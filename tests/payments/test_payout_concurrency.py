"""Races on PostgreSQL, with threads holding their own database connections: two approvals, two senders."""
import datetime
from collections import Counter

import pytest


from atelier.errors import DomainError
from payments.models import Payout, PayoutRun
from payments.services import payouts as services
from tests import factories
from tests.payments.factories import payable_artist
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True)]
DAY = datetime.date.today() - datetime.timedelta(days=1)


def transfers_per_payout(fake):
    return Counter(t["metadata"]["payout_id"] for t in fake.transfers())


def test_two_approvals_racing_approve_once_and_send_once(program, finance, fake_stripe, race):
    for _ in range(5):
        payable_artist(program, 3000, fake=fake_stripe)
    run = services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)
    first, second = factories.staff_user(program, "finance"), factories.staff_user(program, "finance")
    fake_stripe.inject_fault(path_prefix="/v1/balance", method="GET", mode="timeout", delay=0.2, count=2)

    results = race(lambda: factories.approve(PayoutRun.objects.get(pk=run.pk), by=first),
                   lambda: factories.approve(PayoutRun.objects.get(pk=run.pk), by=second))

    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], DomainError), results
    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPLETED
    assert run.approved_by in (first, second)
    assert set(transfers_per_payout(fake_stripe).values()) == {1}
    assert len(fake_stripe.transfers()) == 5


def test_two_workers_never_send_the_same_payout(program, finance, fake_stripe, race):
    for _ in range(8):
        payable_artist(program, 2000, fake=fake_stripe)
    run = services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)
    PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.SENDING)
    ids = list(run.payouts.values_list("pk", flat=True))
    # Every transfer answer is slow, so the two workers overlap on each payout.
    fake_stripe.inject_fault(mode="timeout", delay=0.15, count=100)

    results = race(lambda: [services.send_payout(pk) for pk in ids],
                   lambda: [services.send_payout(pk) for pk in ids])

    outcomes = Counter(o for result in results for o in result)
    assert outcomes["paid"] == 8, results
    assert all("paid" in result for result in results)  # both workers did part of the work
    keys = Counter(e["idempotency_key"] for e in fake_stripe.request_log
                   if e["path"] == "/v1/transfers" and e["method"] == "POST")
    assert set(keys.values()) == {1}  # no payout was even requested twice
    assert set(transfers_per_payout(fake_stripe).values()) == {1}
    assert set(Payout.objects.values_list("status", flat=True)) == {Payout.Status.PAID}


def test_two_run_tasks_at_once_send_each_payout_once(program, finance, fake_stripe, race):
    for _ in range(6):
        payable_artist(program, 2000, fake=fake_stripe)
    run = services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)
    PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.APPROVED)
    fake_stripe.inject_fault(mode="timeout", delay=0.05, count=100)

    race(lambda: services.send_run(run.pk), lambda: services.send_run(run.pk))

    run.refresh_from_db()
    assert run.status == PayoutRun.Status.COMPLETED
    assert fake_stripe.request_count("POST", "/v1/transfers") == 6
    assert set(transfers_per_payout(fake_stripe).values()) == {1}


def test_the_same_webhook_delivered_twice_at_once_is_applied_once(program, finance, fake_stripe, settings, race):
    import json

    from django.test import Client

    from devtools.fake_stripe import make_event, sign_webhook_payload
    from payments.models import LedgerEntry, StripeEvent

    payable_artist(program, 5000, fake=fake_stripe)
    run = services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)
    factories.approve(run, by=factories.staff_user(program, "finance"))  # on commit: sent in process
    payout = Payout.objects.get(run=run)
    assert payout.status == Payout.Status.PAID
    fake_stripe.reverse_transfer(payout.stripe_transfer_id, amount=1500)
    transfer = fake_stripe.transfers()[0]
    payload = json.dumps(make_event("transfer.reversed", transfer))
    # Stripe's answers are slow, so both deliveries are inside their transactions at the same time.
    fake_stripe.inject_fault(path_prefix="/v1/transfers", method="GET", mode="timeout", delay=0.2, count=10)

    def deliver():
        return Client().post("/stripe/webhook/", data=payload, content_type="application/json",
                             HTTP_STRIPE_SIGNATURE=sign_webhook_payload(payload, settings.STRIPE_WEBHOOK_SECRET)
                             ).status_code

    assert race(deliver, deliver) == [200, 200]
    assert StripeEvent.objects.count() == 1
    assert list(LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REVERSAL).values_list("amount_minor", flat=True)) \
        == [1500]


def test_concurrent_senders_of_a_run_stay_under_the_configured_rate(program, finance, settings):
    from devtools.fake_stripe import FakeStripe

    with FakeStripe(rate_limit_per_second=5) as fake:
        settings.STRIPE_API_BASE = fake.url
        settings.STRIPE_TRANSFERS_PER_SECOND = 4
        settings.STRIPE_SEND_CONCURRENCY = 4
        settings.STRIPE_RETRY_BACKOFF_SECONDS = 1.0
        for _ in range(12):
            payable_artist(program, 2500, fake=fake)
        run = services.create_payout_run(program=program, period_start=DAY, period_end=DAY, by=finance)
        PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.APPROVED)
        fake.inject_fault(mode="timeout", delay=0.3, count=100)  # each call is slow, like the real Stripe

        assert services.send_run(run.pk) == 0

        run.refresh_from_db()
        assert run.status == PayoutRun.Status.COMPLETED
        statuses = [e["status"] for e in fake.request_log if e["path"] == "/v1/transfers"]
        assert statuses == [200] * 12  # never rate-limited, and each payout asked once
        assert set(transfers_per_payout(fake).values()) == {1}
