"""Demo Stripe accounts and one payout run already paid, so the payout pages are not empty.

The demo's connected accounts have deterministic ids (`acct_demo_<artist id>`). The fake Stripe server
keeps its state in memory, so `make run` tells it about them each time it starts
(`manage.py sync_fake_stripe`, which POSTs them to the fake's /_fake/accounts). The past run is sent for
real, through the services and the gateway, to a throwaway in-process fake started here (the `make run`
fake may not be running while seeding); its transfers therefore live only in that history, and the run
is dated in the past so the hourly reconciliation (recent runs only) leaves it alone.

That throwaway fake is the class named by `settings.DEMO_STRIPE_SERVER` (the fake Stripe server of
`devtools/`): the app's code never imports the development tools, the settings say where they are.
"""
import datetime
import logging

from atelier.accounts import current_totp_code
from django.conf import settings
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.module_loading import import_string

from payments.models import Payout, PayoutRun, StripeAccount
from payments.services import payouts
from testers.models import Membership, StaffRole

logger = logging.getLogger(__name__)

DEMO_ACCOUNT_PREFIX = "acct_demo_"


def demo_account_id(artist) -> str:
    return f"{DEMO_ACCOUNT_PREFIX}{artist.pk}"


def seed(context):
    program = context["program"]
    memberships = [m for m in context["memberships"] if m.status == Membership.Status.ACTIVE]
    # Most artists are connected and enabled; every fourth has no account (shows "skipped" in a run).
    for index, membership in enumerate(memberships):
        if index % 4 == 3:
            continue
        artist = membership.artist
        StripeAccount.objects.get_or_create(artist=artist, defaults={
            "stripe_account_id": demo_account_id(artist), "country": (artist.country or "US").upper(),
            "state": StripeAccount.State.ENABLED, "details_submitted": True, "payouts_enabled": True,
            "transfers_active": True,
        })
    finance = context["staff"].get(StaffRole.Role.FINANCE, [])
    if len(finance) < 2 or PayoutRun.objects.filter(program=program).exists():
        return
    _past_run(program, creator=finance[0], approver=finance[1])


def _past_run(program, *, creator, approver):
    today = timezone.localdate()
    start, end = today - datetime.timedelta(days=120), today - datetime.timedelta(days=35)
    fake_stripe = import_string(settings.DEMO_STRIPE_SERVER)
    with fake_stripe() as fake, override_settings(STRIPE_API_BASE=fake.url, STRIPE_TRANSFERS_PER_SECOND=100.0):
        for account in StripeAccount.objects.filter(stripe_account_id__startswith=DEMO_ACCOUNT_PREFIX):
            fake.create_account(account_id=account.stripe_account_id, country=account.country, enabled=True)
        run = payouts.create_payout_run(program=program, period_start=start, period_end=end, by=creator)
        payouts.approve_payout_run(run, by=approver, totp_code=current_totp_code(approver))
        payouts.send_run(run.pk)  # no-op if the approval already ran it in process
    approved_at = timezone.make_aware(datetime.datetime.combine(end + datetime.timedelta(days=3), datetime.time(10)))
    PayoutRun.objects.filter(pk=run.pk).update(created_at=approved_at - datetime.timedelta(days=1),
                                               approved_at=approved_at,
                                               completed_at=approved_at + datetime.timedelta(minutes=2))
    logger.info("Demo payout run %s: %s payouts", run.pk, run.payouts.count())


def fake_accounts_payload():
    """What `sync_fake_stripe` sends: the demo accounts, enabled as the database says."""
    return [
        {"account_id": a.stripe_account_id, "email": a.artist.user.email, "country": a.country,
         "enabled": a.state == StripeAccount.State.ENABLED}
        for a in StripeAccount.objects.filter(stripe_account_id__startswith=DEMO_ACCOUNT_PREFIX)
        .select_related("artist__user")
    ]


def fake_transfers_payload():
    """What `sync_fake_stripe` sends too: the transfers of the demo's paid payouts (made at a throwaway fake while
    seeding), so the `make run` fake knows them and reconciliation of the demo finds no difference."""
    paid = (Payout.objects.filter(status=Payout.Status.PAID, stripe_account__stripe_account_id__startswith=DEMO_ACCOUNT_PREFIX)
            .select_related("run", "stripe_account", "membership"))
    return [
        {"id": p.stripe_transfer_id, "amount": p.amount_minor, "currency": p.currency,
         "destination": p.stripe_account.stripe_account_id, "transfer_group": p.run.transfer_group,
         "metadata": (p.transfer_params or {}).get("metadata") or payouts.transfer_metadata(p),
         "description": (p.transfer_params or {}).get("description"),
         "created": int(p.paid_at.timestamp()) if p.paid_at else None}
        for p in paid
    ]


def stripe_base() -> str:
    return settings.STRIPE_API_BASE.rstrip("/")
