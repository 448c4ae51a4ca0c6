"""Finance creates a payout run, a second finance user (signed in with TOTP) approves it, and the page shows
the run's progress updating by itself (htmx polling) until it completes."""
import datetime
import threading
import time

import pytest
from django.db import connection
from playwright.sync_api import expect

from devtools.fake_stripe import FakeStripe
from payments.models import LedgerEntry, PayoutRun
from payments.services import payouts as services
from tests import factories
from tests.browser.conftest import sign_in
from tests.conftest import totp_code
from tests.payments.factories import ledger_entry, payable_artist

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_with_totp(page, user):
    sign_in(page, user.email, factories.PASSWORD)
    page.get_by_label("Code").fill(totp_code(user))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture
def queued_tasks(test_broker):
    """Tasks go to the tests' own broker database instead of running inside the approving request; the test
    sends the run itself, the way a worker would, so the browser can watch the progress while it happens."""
    return test_broker


def test_finance_creates_a_second_finance_approves_and_the_run_completes_live(page, settings, queued_tasks):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    creator = factories.staff_user(program, "finance", first_name="Cora", last_name="Creator")
    approver = factories.staff_user(program, "finance", first_name="Abe", last_name="Approver")
    with FakeStripe() as fake:
        settings.STRIPE_API_BASE = fake.url
        settings.STRIPE_TRANSFERS_PER_SECOND = 1.5
        for i in range(4):
            payable_artist(program, 2500 + i, fake=fake, work_date=datetime.date.today() - datetime.timedelta(days=2))
        nora = factories.MembershipFactory(program=program, artist__display_name="Nora Noaccount")
        ledger_entry(nora, 4000, kind=LedgerEntry.Kind.TIME,
                     work_date=datetime.date.today() - datetime.timedelta(days=2))

        sign_in_with_totp(page, creator)
        page.goto("/staff/lumen-beta/payouts/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Payout runs of Lumen Beta")
        yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
        page.get_by_label("Period start").fill((datetime.date.today() - datetime.timedelta(days=30)).isoformat())
        page.get_by_label("Period end").fill(yesterday)
        page.get_by_role("button", name="Create run").click()
        expect(page.get_by_text("another finance user must approve it").first).to_be_visible()
        expect(page.get_by_role("button", name="Approve and send")).to_have_count(0)
        run = PayoutRun.objects.get()
        assert run.payouts.count() == 4
        page.get_by_role("button", name="Sign out").click()

        sign_in_with_totp(page, approver)
        signed_in_with = totp_code(approver)
        page.goto(f"/staff/lumen-beta/payouts/{run.pk}/")
        page.get_by_role("link", name="Review and send…").click()
        # The confirmation: how many, how much, who is left out and why, and a fresh code.
        expect(page.locator('[data-count="payouts"]')).to_have_text("4")
        expect(page.locator('[data-total="USD"]')).to_have_text("$100.06")
        expect(page.locator("#send-skips")).to_contain_text("Nora Noaccount")
        expect(page.locator("#send-skips")).to_contain_text("No payout account connected")
        page.get_by_label("Code from your authenticator app").fill(signed_in_with)
        page.get_by_role("button", name="Approve and send $100.06").click()
        expect(page.get_by_text("That code was already used")).to_be_visible()  # the sign-in's code: refused
        assert PayoutRun.objects.get(pk=run.pk).status == PayoutRun.Status.CREATED
        deadline = time.monotonic() + 35
        while totp_code(approver) == signed_in_with and time.monotonic() < deadline:
            time.sleep(0.5)  # the approver waits for the next code in their app
        page.get_by_label("Code from your authenticator app").fill(totp_code(approver))
        page.get_by_role("button", name="Approve and send $100.06").click()
        expect(page.get_by_text("Run approved")).to_be_visible()
        status = page.locator("[data-run-status]")
        expect(status).to_have_text("Approved")
        page.evaluate("window.atelierNoReload = true")

        def worker():
            try:
                services.send_run(run.pk)
            finally:
                connection.close()

        thread = threading.Thread(target=worker)
        thread.start()
        expect(status).to_have_text("Completed", timeout=20_000)
        thread.join(20)
        expect(page.locator('[data-count="paid"]')).to_have_text("4")
        expect(page.locator('[data-count="pending"]')).to_have_text("0")
        assert page.evaluate("window.atelierNoReload") is True  # updated in place, not reloaded
        assert len(fake.transfers()) == 4
        page.reload()
        expect(page.get_by_role("row", name="Nora Noaccount")).to_contain_text("No payout account connected")


def test_artist_connects_a_payout_account_through_stripe_onboarding(page, settings):
    membership = factories.MembershipFactory(artist__display_name="Ana Lima")
    with FakeStripe() as fake:
        settings.STRIPE_API_BASE = fake.url
        policy = settings.CONTENT_SECURITY_POLICY
        settings.CONTENT_SECURITY_POLICY = {**policy, "DIRECTIVES": {
            **policy["DIRECTIVES"], "form-action": ["'self'", fake.url]}}
        sign_in(page, membership.artist.user.email, factories.PASSWORD)
        page.goto("/payout-account/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Your payout account")
        page.get_by_role("button", name="Connect a payout account").click()
        expect(page.get_by_role("heading", name="Fake Stripe onboarding")).to_be_visible()
        page.get_by_role("button", name="Complete onboarding").click()
        expect(page.get_by_text("Your payout account is ready: payouts are enabled.")).to_be_visible()
        expect(page.locator("[data-account-state]")).to_have_text("Payouts enabled")
        assert len(fake.accounts) == 1
