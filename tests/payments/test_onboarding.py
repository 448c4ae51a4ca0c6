"""Stripe Connect onboarding: one account per artist, fresh account links, state from Stripe."""
import urllib.error
import urllib.request

import pytest
from django.urls import reverse

from payments.models import StripeAccount
from payments.services import accounts
from tests import factories
from tests.payments.stripe_fixtures import fake_stripe  # noqa: F401

pytestmark = [pytest.mark.django_db]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def complete_onboarding_at_stripe(link_url) -> str:
    """Press "Complete onboarding" on the fake's page; return where Stripe sends the browser back."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(link_url, data=b"", method="POST")
    try:
        opener.open(request)
    except urllib.error.HTTPError as redirect:
        assert redirect.code == 303
        return redirect.headers["Location"]
    raise AssertionError("no redirect")


def test_artist_connects_once_and_comes_back_enabled(client, artist, fake_stripe):
    client.force_login(artist)
    response = client.post(reverse("payments:payout_account_connect"))
    assert response.status_code == 302
    link = response["Location"]
    assert link.startswith(fake_stripe.url + "/connect/onboarding/")
    account = StripeAccount.objects.get(artist__user=artist)
    assert account.state == StripeAccount.State.DETAILS_NEEDED and not account.is_payable
    created = [e for e in fake_stripe.request_log if e["path"] == "/v1/accounts" and e["method"] == "POST"]
    params = created[0]["params"]
    assert params["controller"]["stripe_dashboard"]["type"] == "express"
    assert params["capabilities"]["transfers"]["requested"] == "true"
    assert params["email"] == artist.email and "type" not in params

    # A second click makes a new link for the same account.
    second = client.post(reverse("payments:payout_account_connect"))
    assert second["Location"] != link
    assert StripeAccount.objects.count() == 1 and len(fake_stripe.accounts) == 1

    back = complete_onboarding_at_stripe(second["Location"])
    assert back.endswith(reverse("payments:payout_account_return"))
    response = client.get(reverse("payments:payout_account_return"), follow=True)
    account.refresh_from_db()
    assert account.state == StripeAccount.State.ENABLED and account.is_payable
    assert "payouts are enabled" in response.content.decode()


def test_returning_without_finishing_shows_details_needed(client, artist, fake_stripe):
    client.force_login(artist)
    client.post(reverse("payments:payout_account_connect"))
    response = client.get(reverse("payments:payout_account_return"), follow=True)
    assert "details needed" in response.content.decode().lower()
    assert StripeAccount.objects.get().state == StripeAccount.State.DETAILS_NEEDED


def test_expired_link_refresh_url_makes_a_new_link(client, artist, fake_stripe):
    client.force_login(artist)
    client.post(reverse("payments:payout_account_connect"))
    response = client.get(reverse("payments:payout_account_relink"))
    assert response.status_code == 302 and "/connect/onboarding/" in response["Location"]


def test_state_can_be_refreshed_on_demand(client, artist, fake_stripe):
    client.force_login(artist)
    client.post(reverse("payments:payout_account_connect"))
    account = StripeAccount.objects.get()
    fake_stripe.enable_account(account.stripe_account_id)
    client.post(reverse("payments:payout_account_refresh"))
    account.refresh_from_db()
    assert account.state == StripeAccount.State.ENABLED


def test_state_from_stripe_names_each_stage():
    base = {"details_submitted": True, "payouts_enabled": False, "capabilities": {"transfers": "inactive"},
            "requirements": {"currently_due": [], "past_due": [],
                             "disabled_reason": "requirements.pending_verification"}}
    assert accounts.state_from_stripe(base)["state"] == StripeAccount.State.PENDING
    assert accounts.state_from_stripe({**base, "details_submitted": False})["state"] == "details_needed"
    rejected = {**base, "requirements": {"disabled_reason": "rejected.fraud"}}
    assert accounts.state_from_stripe(rejected)["state"] == StripeAccount.State.DISABLED
    enabled = {**base, "payouts_enabled": True, "capabilities": {"transfers": "active"}, "requirements": {}}
    assert accounts.state_from_stripe(enabled)["state"] == StripeAccount.State.ENABLED


def test_staff_without_artist_profile_has_no_payout_account_page(client, finance):
    client.force_login(finance)
    assert client.get(reverse("payments:payout_account")).status_code == 404


def test_artist_sees_only_their_own_account_and_payouts(client, program, fake_stripe):
    mine = factories.MembershipFactory(program=program)
    theirs = factories.MembershipFactory(program=program)
    from tests.payments.factories import StripeAccountFactory

    StripeAccountFactory(artist=mine.artist, stripe_account_id="acct_mine")
    StripeAccountFactory(artist=theirs.artist, stripe_account_id="acct_theirs")
    client.force_login(mine.artist.user)
    page = client.get(reverse("payments:payout_account")).content.decode()
    assert "acct_mine" in page and "acct_theirs" not in page


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(reverse("payments:payout_account"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
