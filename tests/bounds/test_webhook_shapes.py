"""Correctly signed webhooks whose payload has the wrong shape: a 400 and a log line, never a 500. An event whose
envelope (id, type) is readable is stored as failed, so Stripe's redelivery is acknowledged instead of retried."""
import json

import pytest

from devtools.fake_stripe import make_event, sign_webhook_payload
from payments.models import StripeEvent
from tests.payments.factories import StripeAccountFactory

pytestmark = [pytest.mark.django_db]

SECRET = "whsec_test_secret"
URL = "/stripe/webhook/"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET


def post(client, payload: str):
    return client.post(URL, data=payload, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sign_webhook_payload(payload, SECRET))


@pytest.mark.parametrize("body", [
    "[]", "[1, 2]", '"event"', "42", "null", "{}", '{"id": 5, "type": "payout.paid"}',
    '{"id": "evt_1", "type": ["payout.paid"]}', '{"id": {"a": 1}, "type": "x"}',
    '{"id": "evt_1", "type": "payout.paid", "data": []}', "\u0000", "[" * 200_000, '{"a":' * 100_000,
])
def test_signed_payload_that_is_not_an_event_is_refused_with_400(client, body):
    response = post(client, body)
    assert response.status_code == 400
    assert not StripeEvent.objects.filter(status=StripeEvent.Status.PROCESSED).exists()


@pytest.mark.parametrize("mutate", [
    lambda e: e.update(created="yesterday"),
    lambda e: e.update(created=None),
    lambda e: e["data"]["object"].update(currency=840),
    lambda e: e["data"]["object"].update(amount="lots"),
    lambda e: e["data"]["object"].update(amount=10**30),
    lambda e: e["data"]["object"].update(arrival_date="soon"),
    lambda e: e["data"]["object"].update(arrival_date=10**20),
    lambda e: e["data"].update(object=["po_1"]),
    lambda e: e.update(data="payout"),
    lambda e: e["data"]["object"].update(failure_message={"text": "no"}),
    lambda e: e.update(account=12),
    lambda e: e.update(livemode="no"),
])
def test_signed_event_of_the_wrong_shape_gets_400_is_stored_failed_and_redelivery_is_acknowledged(client, mutate):
    account = StripeAccountFactory()
    event = make_event("payout.paid", {"id": "po_1", "object": "payout", "amount": 4200, "currency": "usd",
                                       "arrival_date": 1767225600}, account=account.stripe_account_id)
    mutate(event)
    body = json.dumps(event)
    response = post(client, body)
    assert response.status_code == 400, response.content
    stored = StripeEvent.objects.get(event_id=event["id"])
    assert stored.status == StripeEvent.Status.FAILED and stored.error
    account.refresh_from_db()
    assert account.last_payout_status == ""
    assert post(client, body).status_code == 200  # Stripe's redelivery: already stored, not retried forever


def test_transfer_reversed_with_a_non_string_id_is_refused(client):
    event = make_event("transfer.reversed", {"id": ["tr_1"], "object": "transfer", "metadata": "x"})
    assert post(client, json.dumps(event)).status_code == 400
    assert StripeEvent.objects.get(event_id=event["id"]).status == StripeEvent.Status.FAILED
