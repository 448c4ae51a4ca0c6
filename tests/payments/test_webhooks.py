"""The Stripe webhook endpoint: signatures, replays, unknown types, and what each handled event changes."""
import json
import time

import pytest

from atelier.errors import ActionRefused
from payments import actions
from payments.services.ledger import held_reversals

from django.urls import reverse

from devtools.fake_stripe import make_event, sign_webhook_payload
from payments import selectors
from payments.models import LedgerEntry, Payout, PayoutRun, StripeAccount, StripeEvent
from payments.services import payouts as services
from tests import factories
from tests.payments.factories import StripeAccountFactory, payable_artist
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

pytestmark = [pytest.mark.django_db]

SECRET = "whsec_test_secret"
URL = "/stripe/webhook/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


def post(client, event, *, secret=SECRET, timestamp=None, body=None):
    payload = body if body is not None else json.dumps(event)
    return client.post(URL, data=payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sign_webhook_payload(payload, secret, timestamp))


@pytest.fixture
def account(fake_stripe):
    account = StripeAccountFactory(state=StripeAccount.State.DETAILS_NEEDED, payouts_enabled=False,
                                   transfers_active=False, details_submitted=False)
    fake_stripe.create_account(account_id=account.stripe_account_id)
    return account


def test_url_is_the_one_make_run_points_the_fake_at():
    assert reverse("payments:stripe_webhook") == URL


def test_bad_signature_is_refused_and_changes_nothing(client, account, fake_stripe):
    fake_stripe.enable_account(account.stripe_account_id)
    event = make_event("account.updated", fake_stripe.get_account(account.stripe_account_id),
                       account=account.stripe_account_id)
    response = post(client, event, secret="whsec_wrong")
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    account.refresh_from_db()
    assert account.state == StripeAccount.State.DETAILS_NEEDED


def test_missing_signature_is_refused(client, account):
    response = client.post(URL, data="{}", content_type="application/json")
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()


def test_stale_timestamp_is_refused_and_changes_nothing(client, account, fake_stripe):
    fake_stripe.enable_account(account.stripe_account_id)
    event = make_event("account.updated", {"id": account.stripe_account_id}, account=account.stripe_account_id)
    response = post(client, event, timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert not StripeEvent.objects.exists()
    account.refresh_from_db()
    assert account.state == StripeAccount.State.DETAILS_NEEDED


def test_livemode_mismatch_is_refused(client, account):
    event = make_event("account.updated", {"id": account.stripe_account_id}, account=account.stripe_account_id,
                       livemode=True)
    assert post(client, event).status_code == 400
    assert not StripeEvent.objects.exists()


def test_account_updated_refetches_the_account_from_stripe(client, account, fake_stripe):
    fake_stripe.enable_account(account.stripe_account_id)
    # The body claims nothing useful: the handler asks Stripe.
    event = make_event("account.updated", {"id": account.stripe_account_id, "object": "account"},
                       account=account.stripe_account_id)
    assert post(client, event).status_code == 200
    account.refresh_from_db()
    assert account.state == StripeAccount.State.ENABLED and account.is_payable
    stored = StripeEvent.objects.get(event_id=event["id"])
    assert stored.status == StripeEvent.Status.PROCESSED and stored.account == account.stripe_account_id


def test_replayed_event_is_acknowledged_and_not_applied_again(client, program, finance, fake_stripe,
                                                               django_capture_on_commit_callbacks):
    membership = payable_artist(program, 5000, fake=fake_stripe)
    run = services.create_payout_run(program=program, period_start=factories.timezone.localdate(),
                                     period_end=factories.timezone.localdate(), by=finance)
    with django_capture_on_commit_callbacks(execute=True):
        factories.approve(run, by=factories.staff_user(program, "finance"))
    payout = Payout.objects.get(run=run)
    reversal = fake_stripe.reverse_transfer(payout.stripe_transfer_id, amount=2000)
    transfer = [t for t in fake_stripe.transfers() if t["id"] == payout.stripe_transfer_id][0]
    event = make_event("transfer.reversed", transfer)
    assert post(client, event).status_code == 200
    assert post(client, event).status_code == 200  # the same delivery again
    entries = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REVERSAL)
    assert [(e.source_key, e.amount_minor) for e in entries] == [(f"reversal:{reversal['id']}", 2000)]
    assert StripeEvent.objects.filter(event_id=event["id"]).count() == 1
    # Credited back and held: the balance leaves it out until finance releases it.
    holds = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.HOLD)
    assert [(e.source_key, e.amount_minor) for e in holds] == [(f"hold:reversal:{reversal['id']}", -2000)]
    assert selectors.balance_minor(membership) == 0
    payout.refresh_from_db()
    assert payout.reversed_amount_minor == 2000
    # A second reversal arrives as a new event: credited once too, the first not again.
    fake_stripe.reverse_transfer(payout.stripe_transfer_id, amount=1000)
    transfer = [t for t in fake_stripe.transfers() if t["id"] == payout.stripe_transfer_id][0]
    assert post(client, make_event("transfer.reversed", transfer)).status_code == 200
    assert selectors.balance_minor(membership) == 0  # both held
    assert sorted(h.held_minor for h in held_reversals(membership=membership)) == [1000, 2000]
    # Finance releases the first one with a note: only it becomes payable again, once.
    with pytest.raises(ActionRefused, match="Say why"):
        actions.ReleaseReversal(finance, payout, reversal_id=reversal["id"], note=" ").run()
    actions.ReleaseReversal(finance, payout, reversal_id=reversal["id"], note="Stripe reversed it by mistake").run()
    with pytest.raises(ActionRefused, match="already released"):
        actions.ReleaseReversal(finance, payout, reversal_id=reversal["id"], note="again").run()
    assert selectors.balance_minor(membership) == 2000
    assert [h.held_minor for h in held_reversals(membership=membership)] == [1000]
    assert PayoutRun.objects.get().status == PayoutRun.Status.COMPLETED


def test_webhooks_delivered_by_the_fake_are_verified_and_applied(live_server, account, fake_stripe):
    fake_stripe.configure_webhooks(live_server.url + URL, SECRET)
    fake_stripe.enable_account(account.stripe_account_id)
    assert fake_stripe.flush_webhooks(10)
    assert fake_stripe.deliveries[-1]["status"] == 200
    account.refresh_from_db()
    assert account.state == StripeAccount.State.ENABLED


def test_unknown_event_type_is_stored_and_acknowledged(client):
    event = make_event("customer.created", {"id": "cus_123", "object": "customer"})
    assert post(client, event).status_code == 200
    stored = StripeEvent.objects.get(event_id=event["id"])
    assert stored.type == "customer.created" and stored.status == StripeEvent.Status.IGNORED


@pytest.mark.parametrize("event_type, status, message_part", [
    ("payout.paid", "paid", "sent to your bank"),
    ("payout.failed", "failed", "account closed"),
])
def test_payout_events_of_connected_accounts_are_shown_to_the_artist(client, account, event_type, status,
                                                                      message_part):
    obj = {"id": "po_123", "object": "payout", "amount": 4200, "currency": "usd", "arrival_date": 1767225600,
           "status": status, "failure_message": "The bank account has been closed (account closed)."
           if status == "failed" else None}
    assert post(client, make_event(event_type, obj, account=account.stripe_account_id)).status_code == 200
    account.refresh_from_db()
    assert account.last_payout_status == status
    assert message_part in account.last_payout_message
    client.force_login(account.artist.user)
    page = client.get(reverse("payments:payout_account")).content.decode()
    assert message_part in page


def test_stripe_unreachable_while_applying_asks_for_redelivery(client, account, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    event = make_event("account.updated", {"id": account.stripe_account_id}, account=account.stripe_account_id)
    assert post(client, event).status_code == 500
    assert not StripeEvent.objects.exists()  # so the redelivery is applied


def test_an_older_payout_event_arriving_late_does_not_hide_the_newer_one(client, account):
    paid = make_event("payout.paid", {"id": "po_2", "object": "payout", "amount": 100, "currency": "usd"},
                      account=account.stripe_account_id)
    failed = make_event("payout.failed", {"id": "po_1", "object": "payout", "amount": 100, "currency": "usd",
                                          "failure_message": "Old failure"}, account=account.stripe_account_id)
    failed["created"] = paid["created"] - 3600
    assert post(client, paid).status_code == 200
    assert post(client, failed).status_code == 200
    account.refresh_from_db()
    assert account.last_payout_status == "paid"
    assert StripeEvent.objects.get(event_id=failed["id"]).status == StripeEvent.Status.IGNORED
