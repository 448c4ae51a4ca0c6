"""The fake Stripe server, driven through the real ``stripe`` library."""

import http.client
import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
import stripe

from devtools.fake_stripe import FakeStripe, make_event, parse_form, sign_webhook_payload

API_KEY = "sk_test_fake"


@pytest.fixture
def fake():
    with FakeStripe() as server:
        yield server


def make_client(fake, **kwargs):
    return stripe.StripeClient(
        API_KEY,
        base_addresses={"api": fake.url, "connect": fake.url},
        max_network_retries=0,
        **kwargs,
    )


@pytest.fixture
def client(fake):
    return make_client(fake)


@pytest.fixture
def account(fake):
    return fake.create_account(email="artist@example.com", enabled=True)


def send_transfer(client, account_id, key, amount=1500, **extra):
    params = {
        "amount": amount,
        "currency": "usd",
        "destination": account_id,
        "transfer_group": "run_1",
        "metadata": {"payout_id": "12"},
        **extra,
    }
    return client.v1.transfers.create(params, {"idempotency_key": key})


def raw_request(method, url, body=None, headers=None):
    """One HTTP request without following redirects: (status, headers, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        conn.request(method, parts.path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def control(fake, method, path, data=None):
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(fake.url + path, data=body, method=method)
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


# --- form decoding, auth -----------------------------------------------------


def test_parse_form_nests_keys():
    body = (
        "controller[stripe_dashboard][type]=express"
        "&capabilities[transfers][requested]=true&metadata[payout_id]=12"
        "&expand[0]=a&expand[1]=b&metadata[7]=x"
    )
    assert parse_form(body) == {
        "controller": {"stripe_dashboard": {"type": "express"}},
        "capabilities": {"transfers": {"requested": "true"}},
        "metadata": {"payout_id": "12", "7": "x"},
        "expand": ["a", "b"],
    }


def test_bad_api_key_is_refused(fake):
    client = stripe.StripeClient(
        "sk_live_nope", base_addresses={"api": fake.url}, max_network_retries=0
    )
    with pytest.raises(stripe.AuthenticationError):
        client.v1.balance.retrieve()


# --- accounts and onboarding ----------------------------------------------------


def test_account_create_retrieve_update(client):
    created = client.v1.accounts.create(
        {
            "country": "US",
            "email": "artist@example.com",
            "controller": {
                "stripe_dashboard": {"type": "express"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
            },
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"artist_id": "7"},
        }
    )
    assert created.object == "account" and created.id.startswith("acct_")
    assert created.type == "express"
    assert created.controller.stripe_dashboard.type == "express"
    assert created.capabilities.transfers == "inactive"
    assert not created.payouts_enabled and not created.charges_enabled
    assert not created.details_submitted
    assert created.requirements.currently_due
    assert created.requirements.disabled_reason == "requirements.past_due"

    fetched = client.v1.accounts.retrieve(created.id)
    assert fetched.email == "artist@example.com"
    assert dict(fetched.metadata) == {"artist_id": "7"}

    updated = client.v1.accounts.update(created.id, {"metadata": {"program": "p1", "artist_id": ""}})
    assert dict(updated.metadata) == {"program": "p1"}

    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.accounts.retrieve("acct_missing")
    assert exc.value.http_status == 404 and exc.value.code == "resource_missing"


def test_onboarding_link_enables_account_once(fake, client):
    acct = client.v1.accounts.create(
        {"country": "US", "capabilities": {"transfers": {"requested": True}}}
    )
    link = client.v1.account_links.create(
        {
            "account": acct.id,
            "refresh_url": "http://app.test/refresh",
            "return_url": "http://app.test/return",
            "type": "account_onboarding",
        }
    )
    assert link.object == "account_link"
    assert link.url.startswith(fake.url + "/connect/onboarding/")
    assert link.expires_at > time.time()

    status, _, page = raw_request("GET", link.url)
    assert status == 200
    assert b"<title>Fake Stripe onboarding</title>" in page
    assert b"Complete onboarding" in page and b"Leave" in page

    status, headers, _ = raw_request("POST", link.url)
    assert status == 303 and headers["Location"] == "http://app.test/return"

    enabled = client.v1.accounts.retrieve(acct.id)
    assert enabled.details_submitted and enabled.payouts_enabled and enabled.charges_enabled
    assert enabled.capabilities.transfers == "active"
    assert enabled.requirements.currently_due == []
    assert enabled.requirements.disabled_reason is None
    assert [e["type"] for e in fake.events if e.get("account") == acct.id] == ["account.updated"]

    # Single use: the link now sends the browser to refresh_url.
    status, headers, _ = raw_request("GET", link.url)
    assert status == 303 and headers["Location"] == "http://app.test/refresh"
    status, _, _ = raw_request("GET", fake.url + "/connect/onboarding/acctlink_unknown")
    assert status == 404


def test_disable_and_enable_account_by_control_api(fake, client, account):
    disabled = control(fake, "POST", f"/_fake/accounts/{account['id']}/disable", {})
    assert disabled["payouts_enabled"] is False
    assert client.v1.accounts.retrieve(account["id"]).capabilities.transfers == "inactive"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        send_transfer(client, account["id"], "k-disabled")
    assert exc.value.code == "insufficient_capabilities_for_transfer"
    assert "capabilities" in exc.value.user_message

    control(fake, "POST", f"/_fake/accounts/{account['id']}/enable")
    assert client.v1.accounts.retrieve(account["id"]).payouts_enabled is True
    assert [e["type"] for e in fake.events] == ["account.updated", "account.updated"]


# --- transfers and idempotency ---------------------------------------------------


def test_transfer_create_retrieve_and_balance(fake, client, account):
    transfer = send_transfer(client, account["id"], "payout-1")
    assert transfer.object == "transfer" and transfer.id.startswith("tr_")
    assert (transfer.amount, transfer.currency, transfer.destination) == (1500, "usd", account["id"])
    assert transfer.transfer_group == "run_1"
    assert transfer.metadata["payout_id"] == "12"
    assert transfer.reversed is False

    assert client.v1.transfers.retrieve(transfer.id).id == transfer.id
    balance = client.v1.balance.retrieve()
    usd = [b for b in balance.available if b.currency == "usd"][0]
    assert usd.amount == 10**12 - 1500
    connected = client.v1.balance.retrieve(options={"stripe_account": account["id"]})
    assert [(b.currency, b.amount) for b in connected.available] == [("usd", 1500)]


def test_transfer_to_unknown_or_unboarded_account_fails(client, fake):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        send_transfer(client, "acct_nope", "k1")
    assert exc.value.param == "destination"
    pending = fake.create_account(email="new@example.com")
    with pytest.raises(stripe.InvalidRequestError) as exc:
        send_transfer(client, pending["id"], "k2")
    assert exc.value.code == "insufficient_capabilities_for_transfer"
    assert fake.transfers() == []


def test_idempotent_replay_returns_same_transfer(fake, client, account):
    first = send_transfer(client, account["id"], "payout-7")
    again = send_transfer(client, account["id"], "payout-7")
    assert again.id == first.id
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(fake.transfers()) == 1


def test_same_key_other_params_is_idempotency_error(fake, client, account):
    send_transfer(client, account["id"], "payout-8", amount=1000)
    with pytest.raises(stripe.IdempotencyError):
        send_transfer(client, account["id"], "payout-8", amount=2000)
    assert len(fake.transfers()) == 1


def test_validation_errors_are_not_stored(fake, client, account):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        client.v1.transfers.create(
            {"currency": "usd", "destination": account["id"]}, {"idempotency_key": "k"}
        )
    assert exc.value.code == "parameter_missing" and exc.value.param == "amount"
    # Same key, now valid: nothing was saved, so it executes.
    assert send_transfer(client, account["id"], "k").amount == 1500


def test_error_before_then_retry_creates_one_transfer(fake, client, account):
    fake.inject_fault("/v1/transfers", "POST", mode="error_before", status=500)
    with pytest.raises(stripe.APIError) as exc:
        send_transfer(client, account["id"], "payout-9")
    assert exc.value.http_status == 500
    assert fake.transfers() == []

    transfer = send_transfer(client, account["id"], "payout-9")
    assert [t["id"] for t in fake.transfers()] == [transfer.id]


def test_error_after_then_retry_replays_the_executed_transfer(fake, client, account):
    fake.inject_fault("/v1/transfers", "POST", mode="error_after", status=502)
    with pytest.raises(stripe.APIError):
        send_transfer(client, account["id"], "payout-10")
    executed = fake.transfers()
    assert len(executed) == 1

    retried = send_transfer(client, account["id"], "payout-10")
    assert retried.id == executed[0]["id"]
    assert len(fake.transfers()) == 1


def test_timeout_then_retry_replays(fake, account):
    slow_client = make_client(fake, http_client=stripe.RequestsClient(timeout=0.3))
    fake.inject_fault("/v1/transfers", "POST", mode="timeout", delay=1.0)
    with pytest.raises(stripe.APIConnectionError):
        send_transfer(slow_client, account["id"], "payout-11")
    retried = send_transfer(slow_client, account["id"], "payout-11")
    assert [t["id"] for t in fake.transfers()] == [retried.id]


def test_injected_429_is_not_stored(fake, client, account):
    fake.inject_fault("/v1/transfers", "POST", mode="error_before", status=429, count=2)
    for _ in range(2):
        with pytest.raises(stripe.RateLimitError):
            send_transfer(client, account["id"], "payout-12")
    assert send_transfer(client, account["id"], "payout-12").amount == 1500
    assert len(fake.transfers()) == 1
    assert fake.request_count("POST", "/v1/transfers") == 3


def test_fault_matching_is_by_method_and_prefix(fake, client, account):
    fake.inject_fault("/v1/transfers", "POST", status=503)
    client.v1.balance.retrieve()  # other path: untouched
    client.v1.transfers.list()  # other method: untouched
    with pytest.raises(stripe.APIError):
        send_transfer(client, account["id"], "payout-13")
    assert fake.state()["faults"] == []


def test_rate_limit(account):
    with FakeStripe(rate_limit_per_second=5) as limited:
        limited.create_account(account_id=account["id"], enabled=True)
        client = make_client(limited)
        for _ in range(5):
            client.v1.balance.retrieve()
        with pytest.raises(stripe.RateLimitError):
            send_transfer(client, account["id"], "payout-14")
        time.sleep(0.25)
        # The 429 was not stored: the same key now executes.
        assert send_transfer(client, account["id"], "payout-14").amount == 1500


def test_insufficient_balance(fake, client, account):
    fake.set_balance("usd", 1000)
    with pytest.raises(stripe.InvalidRequestError) as exc:
        send_transfer(client, account["id"], "payout-15", amount=1001)
    assert exc.value.code == "balance_insufficient"
    assert fake.balance()["usd"] == 1000 and fake.transfers() == []
    # An executed 400 is stored: the same key keeps failing even after a top-up.
    fake.set_balance("usd", 5000)
    with pytest.raises(stripe.InvalidRequestError):
        send_transfer(client, account["id"], "payout-15", amount=1001)
    assert send_transfer(client, account["id"], "payout-16", amount=1001).amount == 1001


# --- lists and reversals ------------------------------------------------------------


def test_list_by_transfer_group_paginates(fake, client, account):
    other = fake.create_account(enabled=True)
    ids = [
        send_transfer(client, account["id"], f"g-{i}", amount=100 + i, transfer_group="run_2").id
        for i in range(7)
    ]
    send_transfer(client, other["id"], "other-1", transfer_group="run_3")

    page = client.v1.transfers.list({"transfer_group": "run_2", "limit": 3})
    assert len(page.data) == 3 and page.has_more
    assert [t.id for t in page.data] == ids[::-1][:3]  # newest first
    listed = [t.id for t in page.auto_paging_iter()]
    assert listed == ids[::-1]

    by_destination = client.v1.transfers.list({"destination": other["id"]})
    assert [t.transfer_group for t in by_destination.data] == ["run_3"]
    now = int(time.time())
    window = client.v1.transfers.list({"created": {"gte": now - 60, "lte": now + 60}, "limit": 100})
    assert len(window.data) == 8
    assert client.v1.transfers.list({"created": {"gt": now + 60}}).data == []


def test_reversal(fake, client, account):
    transfer = send_transfer(client, account["id"], "payout-17", amount=1000)
    partial = client.v1.transfers.reversals.create(transfer.id, {"amount": 400})
    assert partial.object == "transfer_reversal" and partial.amount == 400
    after_partial = client.v1.transfers.retrieve(transfer.id)
    assert after_partial.amount_reversed == 400 and after_partial.reversed is False

    rest = client.v1.transfers.reversals.create(transfer.id)
    assert rest.amount == 600
    reversed_ = client.v1.transfers.retrieve(transfer.id)
    assert reversed_.reversed is True and reversed_.amount_reversed == 1000
    assert [r.id for r in reversed_.reversals.data] == [rest.id, partial.id]
    assert fake.balance()["usd"] == 10**12
    assert [e["type"] for e in fake.events] == [
        "transfer.created", "transfer.reversed", "transfer.reversed",
    ]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer.id, {"amount": 1})


# --- webhooks ------------------------------------------------------------------------


def test_signature_helper_matches_stripe_verification():
    secret = "whsec_test"
    event = make_event("transfer.reversed", {"id": "tr_1", "object": "transfer"})
    payload = json.dumps(event).encode()
    header = sign_webhook_payload(payload, secret)
    verified = stripe.Webhook.construct_event(payload, header, secret)
    assert verified.id == event["id"] and verified.type == "transfer.reversed"
    assert "account" not in event

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")
    old = sign_webhook_payload(payload, secret, timestamp=int(time.time()) - 3600)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, old, secret)


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((body, self.headers["Stripe-Signature"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_generated_events_are_delivered_signed(receiver):
    secret = "whsec_demo"
    url = f"http://127.0.0.1:{receiver.server_address[1]}/webhooks/stripe"
    with FakeStripe(webhook_url=url, webhook_secret=secret) as fake:
        acct = fake.create_account()
        fake.enable_account(acct["id"])
        assert fake.flush_webhooks()
        assert [d["status"] for d in fake.deliveries] == [200]

        manual = make_event("payout.paid", {"id": "po_1", "object": "payout"}, account=acct["id"])
        assert fake.deliver_event(manual, url, secret) == 200

    (body, header), (manual_body, manual_header) = receiver.received
    event = stripe.Webhook.construct_event(body, header, secret)
    assert event.type == "account.updated" and event.account == acct["id"]
    assert event.data.object.payouts_enabled is True
    assert event.data.previous_attributes.payouts_enabled is False
    assert stripe.Webhook.construct_event(manual_body, manual_header, secret).id == manual["id"]


# --- control API ---------------------------------------------------------------------


def test_control_api(fake, client, account):
    control(fake, "POST", "/_fake/faults", {"path_prefix": "/v1/transfers", "status": 500, "count": 2})
    assert len(control(fake, "GET", "/_fake/state")["faults"]) == 1
    control(fake, "DELETE", "/_fake/faults")
    send_transfer(client, account["id"], "payout-18")

    control(fake, "POST", "/_fake/balance", {"currency": "eur", "amount": 123})
    assert fake.balance()["eur"] == 123
    state = control(fake, "GET", "/_fake/state")
    assert state["request_counts"]["POST /v1/transfers"] == 1
    assert [t["metadata"] for t in state["transfers"]] == [{"payout_id": "12"}]
    assert state["requests"][0]["idempotency_key"] == "payout-18"

    control(fake, "POST", "/_fake/reset")
    assert fake.transfers() == [] and fake.request_log == []
    assert fake.balance()["eur"] == 10**12


def test_concurrent_requests_with_one_key_make_one_transfer(fake, account):
    results, conflicts, errors = [], [], []

    def worker():
        try:
            results.append(send_transfer(make_client(fake), account["id"], "payout-19").id)
        except stripe.APIError as exc:
            (conflicts if exc.http_status == 409 else errors).append(exc)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(results) + len(conflicts) == 8
    assert len(set(results)) == 1 and len(fake.transfers()) == 1


# --- where the fake follows Stripe: 429 body, stored 500s, 409 while a key is in progress ------------------

SPEC_ERROR_TYPES = {"api_error", "card_error", "idempotency_error", "invalid_request_error"}  # spec's enum


def test_rate_limit_answer_is_stripes_429_body(account):
    with FakeStripe(rate_limit_per_second=1) as limited:
        limited.create_account(account_id=account["id"], enabled=True)
        client = make_client(limited)
        client.v1.balance.retrieve()
        with pytest.raises(stripe.RateLimitError) as exc:
            client.v1.balance.retrieve()
    error = exc.value.json_body["error"]
    assert exc.value.http_status == 429
    assert (error["type"], error["code"]) == ("invalid_request_error", "rate_limit")
    assert error["type"] in SPEC_ERROR_TYPES


def test_injected_429_has_stripes_body(fake, client, account):
    fake.inject_fault("/v1/transfers", "POST", mode="error_before", status=429)
    with pytest.raises(stripe.RateLimitError) as exc:
        send_transfer(client, account["id"], "payout-20")
    error = exc.value.json_body["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "rate_limit")


def test_stored_500_is_replayed_for_the_same_key_though_the_transfer_exists(fake, client, account):
    fake.inject_fault("/v1/transfers", "POST", mode="error_stored", status=500)
    with pytest.raises(stripe.APIError) as first:
        send_transfer(client, account["id"], "payout-21")
    assert first.value.http_status == 500
    assert first.value.json_body["error"]["type"] == "api_error"
    executed = fake.transfers()
    assert len(executed) == 1  # Stripe had begun executing: the transfer was made

    for _ in range(3):  # every retry with the key gets the stored 500, not the transfer
        with pytest.raises(stripe.APIError) as again:
            send_transfer(client, account["id"], "payout-21")
        assert again.value.http_status == 500
        assert again.value.headers["Idempotent-Replayed"] == "true"
        assert again.value.headers["Stripe-Should-Retry"] == "false"
        assert again.value.json_body == first.value.json_body
    assert fake.transfers() == executed
    # Only a search finds it (what reconciliation does).
    found = client.v1.transfers.list({"transfer_group": "run_1"})
    assert [t.id for t in found.data] == [executed[0]["id"]]


def test_second_request_while_the_key_is_in_progress_gets_409_and_is_not_stored(fake, account):
    fake.inject_fault("/v1/transfers", "POST", mode="slow", delay=0.6)
    first = {}

    def send_first():
        try:
            first["transfer"] = send_transfer(make_client(fake), account["id"], "payout-22")
        except Exception as exc:  # pragma: no cover - asserted below
            first["error"] = exc

    thread = threading.Thread(target=send_first)
    thread.start()
    assert _wait(lambda: fake.state()["requests"]), "the first request never arrived"
    time.sleep(0.1)
    with pytest.raises(stripe.APIError) as conflict:
        send_transfer(make_client(fake), account["id"], "payout-22")
    thread.join()

    assert conflict.value.http_status == 409
    error = conflict.value.json_body["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "idempotency_key_in_use")
    assert "another in-progress request" in error["message"]
    assert "error" not in first and len(fake.transfers()) == 1
    # The 409 was not stored: once the first is done, the key replays its transfer.
    again = send_transfer(make_client(fake), account["id"], "payout-22")
    assert again.id == first["transfer"].id
    assert len(fake.transfers()) == 1


def test_slow_request_executes_even_if_its_client_gave_up(fake, account):
    impatient = make_client(fake, http_client=stripe.RequestsClient(timeout=0.2))
    fake.inject_fault("/v1/transfers", "POST", mode="slow", delay=0.8)
    with pytest.raises(stripe.APIConnectionError):
        send_transfer(impatient, account["id"], "payout-23")
    with pytest.raises(stripe.APIError) as conflict:  # the retry comes while Stripe is still at it
        send_transfer(impatient, account["id"], "payout-23")
    assert conflict.value.http_status == 409
    assert _wait(lambda: len(fake.transfers()) == 1, timeout=3)
    assert send_transfer(impatient, account["id"], "payout-23").id == fake.transfers()[0]["id"]


def test_injected_409_has_stripes_body(fake, client, account):
    fake.inject_fault("/v1/transfers", "POST", mode="error_before", status=409)
    with pytest.raises(stripe.APIError) as exc:
        send_transfer(client, account["id"], "payout-24")
    # stripe-python raises a plain APIError for a 409 (no .code): the code is in the body.
    assert exc.value.http_status == 409
    assert exc.value.json_body["error"]["code"] == "idempotency_key_in_use"
    assert "payout-24" in exc.value.json_body["error"]["message"]
    assert send_transfer(client, account["id"], "payout-24").amount == 1500


def test_every_error_the_fake_answers_has_a_type_from_the_spec(fake, client, account):
    for status in (400, 401, 402, 403, 404, 409, 429, 500, 502, 503):
        fake.inject_fault("/v1/balance", "GET", mode="error_before", status=status)
        with pytest.raises(stripe.StripeError) as exc:
            client.v1.balance.retrieve()
        assert exc.value.json_body["error"]["type"] in SPEC_ERROR_TYPES, status
    bad_key = stripe.StripeClient("sk_live_nope", base_addresses={"api": fake.url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as exc:
        bad_key.v1.balance.retrieve()
    assert exc.value.json_body["error"]["type"] in SPEC_ERROR_TYPES


def _wait(condition, timeout=2.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return False
