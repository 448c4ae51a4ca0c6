"""Factories of the payments app (shared by the ledger and payout tests; append yours below)."""
import datetime
import itertools

import factory

from payments.models import LedgerEntry, RateCard
from testers.models import TimeLog
from tests.factories import FeedbackFactory, MembershipFactory, ProgramFactory, TimeLogFactory


class RateCardFactory(factory.django.DjangoModelFactory):
    """A USD-style card (amounts in minor units); effective long ago unless told otherwise."""

    class Meta:
        model = RateCard

    program = factory.SubFactory(ProgramFactory)
    version = factory.Sequence(lambda n: n + 1)
    effective_date = datetime.date(2020, 1, 1)
    currency = factory.LazyAttribute(lambda o: o.program.currency)
    hourly_rate_minor = 3000
    feedback_bug_low_minor = 500
    feedback_bug_medium_minor = 1000
    feedback_bug_high_minor = 2500
    feedback_bug_critical_minor = 5000
    feedback_feature_minor = 800
    feedback_quality_minor = 600
    feedback_general_minor = 300
    monthly_stipend_minor = 0
    minimum_payout_minor = 2000
    fair_pay_floor_hourly_minor = None


_keys = itertools.count(1)


def ledger_entry(membership=None, amount_minor=1000, *, kind=LedgerEntry.Kind.ADJUSTMENT, work_date=None,
                 source_key=None, **fields) -> LedgerEntry:
    """Insert one ledger entry directly (tests only; the app writes through payments.services.ledger).

    Adjustments get a reason automatically; the source key is unique unless given.
    """
    membership = membership or MembershipFactory()
    work_date = work_date or datetime.date.today()
    if kind == LedgerEntry.Kind.ADJUSTMENT:
        fields.setdefault("reason", "Test adjustment")
    # The database wants each kind's source (time ⇒ time log, feedback ⇒ feedback item, payout kinds ⇒ payout):
    # a stand-in is made when a test gives none (a withdrawn log, a shipped feedback item, a cancelled payout), so
    # that no report or list counts it as work of its own.
    if kind == LedgerEntry.Kind.TIME and "time_log" not in fields:
        fields["time_log"] = TimeLogFactory(membership=membership, date=work_date, status=TimeLog.Status.WITHDRAWN)
    if kind == LedgerEntry.Kind.FEEDBACK and "feedback" not in fields:
        fields["feedback"] = FeedbackFactory(membership=membership, status="shipped")
    if kind in (LedgerEntry.Kind.PAYOUT, LedgerEntry.Kind.PAYOUT_FAILED, LedgerEntry.Kind.REVERSAL) \
            and "payout" not in fields:
        fields["payout"] = stand_in_payout(membership, abs(amount_minor))
    return LedgerEntry.objects.create(
        program=membership.program, membership=membership, kind=kind, amount_minor=amount_minor,
        currency=membership.program.currency, source_key=source_key or f"test:{next(_keys)}",
        work_date=work_date, description=fields.pop("description", f"Test {kind}"),
        **fields,
    )


# --- payouts (Stripe side) -----------------------------------------------------------------------------

def stand_in_payout(membership, amount_minor):
    """A cancelled payout of a cancelled run, to name as the source of a test's payout ledger line."""
    from payments.models import Payout, PayoutRun
    from tests.factories import UserFactory

    account = StripeAccount.objects.filter(artist=membership.artist).first() or StripeAccountFactory(
        artist=membership.artist)
    day = datetime.date(2000, 1, 1) + datetime.timedelta(days=next(_keys))
    run = PayoutRun.objects.create(program=membership.program, period_start=day, period_end=day,
                                   currency=membership.program.currency, status=PayoutRun.Status.CANCELLED,
                                   created_by=UserFactory())
    return Payout.objects.create(run=run, membership=membership, stripe_account=account, amount_minor=amount_minor,
                                 currency=run.currency, status=Payout.Status.CANCELLED)


from payments.models import StripeAccount  # noqa: E402
from tests.factories import ArtistProfileFactory  # noqa: E402

_accounts = itertools.count(1)


class StripeAccountFactory(factory.django.DjangoModelFactory):
    """A payable connected account (state enabled) unless told otherwise. Use `fake_account_for` to make
    the fake Stripe server know it too."""

    class Meta:
        model = StripeAccount

    artist = factory.SubFactory(ArtistProfileFactory)
    stripe_account_id = factory.LazyFunction(lambda: f"acct_test{next(_accounts):06d}")
    country = "US"
    state = StripeAccount.State.ENABLED
    details_submitted = True
    payouts_enabled = True
    transfers_active = True


def payable_artist(program, balance_minor=5000, *, fake=None, enabled=True, work_date=None):
    """A member of `program` with a connected account (known to `fake` when given) and a balance."""
    membership = MembershipFactory(program=program)
    account = StripeAccountFactory(artist=membership.artist, state=StripeAccount.State.ENABLED if enabled
                                   else StripeAccount.State.DETAILS_NEEDED, payouts_enabled=enabled,
                                   transfers_active=enabled)
    if fake is not None:
        fake.create_account(account_id=account.stripe_account_id, email=membership.artist.user.email,
                            enabled=enabled)
    if balance_minor:
        ledger_entry(membership, balance_minor, kind=LedgerEntry.Kind.TIME,
                     work_date=work_date or datetime.date.today() - datetime.timedelta(days=3))
    return membership
