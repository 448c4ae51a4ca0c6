"""Factories for the report tests: rate cards, ledger entries, Stripe accounts, runs and payouts.

Ledger entries are written directly (inserts are what the append-only ledger allows) so the figures of each
test are exactly the ones it states.
"""
import itertools
from datetime import date, datetime, time
from decimal import Decimal

import factory
from django.utils import timezone

from payments.models import LedgerEntry, Payout, PayoutRun, RateCard, StripeAccount
from tests import factories

_keys = itertools.count(1)


class RateCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RateCard

    program = factory.SubFactory(factories.ProgramFactory)
    version = factory.Sequence(lambda n: n + 1)
    effective_date = date(2020, 1, 1)
    currency = factory.LazyAttribute(lambda o: o.program.currency)
    hourly_rate_minor = 2000


class LedgerEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LedgerEntry

    membership = factory.SubFactory(factories.MembershipFactory)
    program = factory.LazyAttribute(lambda o: o.membership.program)
    kind = LedgerEntry.Kind.ADJUSTMENT
    amount_minor = 1000
    currency = factory.LazyAttribute(lambda o: o.membership.program.currency)
    source_key = factory.LazyFunction(lambda: f"test:{next(_keys)}")
    work_date = date(2025, 6, 1)
    description = factory.LazyAttribute(lambda o: f"{o.kind} entry")
    reason = factory.LazyAttribute(lambda o: "Test adjustment" if o.kind == LedgerEntry.Kind.ADJUSTMENT else "")
    # The database wants each kind's source: time ⇒ time log, feedback ⇒ feedback item. A stand-in source is
    # made when a test gives none: a withdrawn log / a shipped item, so that no report counts it twice.
    time_log = factory.LazyAttribute(lambda o: factories.TimeLogFactory(
        membership=o.membership, date=o.work_date, status="withdrawn") if o.kind == LedgerEntry.Kind.TIME else None)
    feedback = factory.LazyAttribute(lambda o: factories.FeedbackFactory(
        membership=o.membership, status="shipped") if o.kind == LedgerEntry.Kind.FEEDBACK else None)


def time_entry(membership, work_date, hours, rate_minor, *, card=None, time_log=None):
    hours = Decimal(str(hours))
    return LedgerEntryFactory(
        membership=membership, kind=LedgerEntry.Kind.TIME, work_date=work_date, quantity=hours,
        unit_rate_minor=rate_minor, amount_minor=int(hours * rate_minor), rate_card=card,
        source_key=f"timelog:{time_log.pk}" if time_log else f"timelog:t{next(_keys)}",
        description=f"{hours} h of testing", **({"time_log": time_log} if time_log else {}),
    )


def feedback_entry(membership, work_date, amount_minor, *, feedback=None, card=None):
    return LedgerEntryFactory(
        membership=membership, kind=LedgerEntry.Kind.FEEDBACK, work_date=work_date, quantity=Decimal("1"),
        unit_rate_minor=amount_minor, amount_minor=amount_minor, rate_card=card,
        source_key=f"feedback:{feedback.pk}" if feedback else f"feedback:f{next(_keys)}",
        description=f"Accepted feedback: {feedback.title}" if feedback else "Accepted feedback",
        **({"feedback": feedback} if feedback else {}),
    )


def stipend_entry(membership, work_date, amount_minor):
    return LedgerEntryFactory(
        membership=membership, kind=LedgerEntry.Kind.STIPEND, work_date=work_date, quantity=Decimal("1"),
        unit_rate_minor=amount_minor, amount_minor=amount_minor,
        source_key=f"stipend:{membership.pk}:{work_date:%Y-%m}", description=f"Stipend {work_date:%B %Y}",
    )


def adjustment_entry(membership, work_date, amount_minor, reason="Correction"):
    return LedgerEntryFactory(membership=membership, kind=LedgerEntry.Kind.ADJUSTMENT, work_date=work_date,
                              amount_minor=amount_minor, reason=reason, description="Adjustment")


class StripeAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StripeAccount

    artist = factory.SubFactory(factories.ArtistProfileFactory)
    stripe_account_id = factory.Sequence(lambda n: f"acct_test{n:08d}")
    country = "US"
    state = StripeAccount.State.ENABLED
    details_submitted = True
    payouts_enabled = True
    transfers_active = True


class PayoutRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayoutRun

    program = factory.SubFactory(factories.ProgramFactory)
    period_start = date(2025, 6, 1)
    period_end = date(2025, 6, 30)
    currency = factory.LazyAttribute(lambda o: o.program.currency)
    status = PayoutRun.Status.COMPLETED
    created_by = factory.SubFactory(factories.UserFactory)


def paid_payout(run, membership, amount_minor, *, status=Payout.Status.PAID, paid_at=None, work_date=None,
                transfer_id=None, reversed_minor=0):
    """A payout and its ledger debit (and, for a failed payout, the credit back), as the payouts service does."""
    account = StripeAccount.objects.filter(artist=membership.artist).first() or StripeAccountFactory(
        artist=membership.artist)
    payout = Payout.objects.create(
        run=run, membership=membership, stripe_account=account, amount_minor=amount_minor,
        currency=run.currency, status=status, reversed_amount_minor=reversed_minor,
        stripe_transfer_id=transfer_id if transfer_id is not None else (
            f"tr_{run.pk}_{membership.pk}" if status == Payout.Status.PAID else ""),
        paid_at=paid_at if paid_at is not None else (
            timezone.make_aware(datetime.combine(run.period_end, time(12)))
            if status == Payout.Status.PAID else None),
    )
    debit_date = work_date or run.period_end
    LedgerEntryFactory(membership=membership, kind=LedgerEntry.Kind.PAYOUT, amount_minor=-amount_minor,
                       work_date=debit_date, payout=payout, source_key=f"payout:{payout.pk}",
                       description=f"Payout for {run.period_start} – {run.period_end}")
    if status == Payout.Status.FAILED:
        LedgerEntryFactory(membership=membership, kind=LedgerEntry.Kind.PAYOUT_FAILED, amount_minor=amount_minor,
                           work_date=debit_date, payout=payout, source_key=f"payout-failed:{payout.pk}",
                           description="Failed payout credited back")
    return payout


def bulk_members(program, n, *, prefix="bulk"):
    """n artists with memberships, inserted in bulk (no password hashing), for size tests."""
    from atelier.models import User
    from testers.models import ArtistProfile, Membership

    users = User.objects.bulk_create(
        [User(email=f"{prefix}{i}@{program.slug}.example.test", password="!") for i in range(n)])
    artists = ArtistProfile.objects.bulk_create(
        [ArtistProfile(user=u, display_name=f"{prefix.title()} {i:05d}", legal_name=f"Legal {prefix} {i}")
         for i, u in enumerate(users)])
    return Membership.objects.bulk_create(
        [Membership(program=program, artist=a, cohort="spring" if i % 2 else "autumn")
         for i, a in enumerate(artists)])


def bulk_activity(program, members, *, on=date(2025, 12, 15), run_period=(date(2025, 12, 1), date(2025, 12, 31))):
    """For each membership: a time and a feedback entry, an approved time log, an accepted unpriced feedback,
    a share request near its deadline, and a paid payout of one run. All inserts in bulk."""
    from datetime import timedelta

    from content_review.models import ShareRequest
    from testers.models import Feedback, TimeLog

    now = timezone.now()
    time_logs = TimeLog.objects.bulk_create([TimeLog(membership=m, date=on, minutes=120, description="tested",
                                                     status=TimeLog.Status.APPROVED) for m in members])
    feedbacks = Feedback.objects.bulk_create([Feedback(membership=m, kind="general", title="Idea", body="b",
                                                       status=Feedback.Status.ACCEPTED, accepted_at=now)
                                              for m in members])
    entries = []
    for m, time_log, item in zip(members, time_logs, feedbacks):
        entries.append(LedgerEntry(program=program, membership=m, kind=LedgerEntry.Kind.TIME, amount_minor=4000,
                                   currency=program.currency, source_key=f"bulk-time:{m.pk}", work_date=on,
                                   quantity=Decimal("2"), unit_rate_minor=2000, description="2 h", time_log=time_log))
        entries.append(LedgerEntry(program=program, membership=m, kind=LedgerEntry.Kind.FEEDBACK, amount_minor=500,
                                   currency=program.currency, source_key=f"bulk-fb:{m.pk}", work_date=on,
                                   quantity=Decimal("1"), unit_rate_minor=500, description="feedback", feedback=item))
    ShareRequest.objects.bulk_create([ShareRequest(membership=m, title="Poster", status="submitted", submitted_at=now,
                                                   first_submitted_at=now, deadline_at=now + timedelta(hours=3)) for m in members])
    run = PayoutRunFactory(program=program, period_start=run_period[0], period_end=run_period[1])
    accounts = StripeAccount.objects.bulk_create([
        StripeAccount(artist_id=m.artist_id, stripe_account_id=f"acct_bulk_{m.pk}", country="US",
                      state=StripeAccount.State.ENABLED, payouts_enabled=True, transfers_active=True) for m in members])
    payouts = Payout.objects.bulk_create([
        Payout(run=run, membership=m, stripe_account=a, amount_minor=1000, currency=program.currency,
               status=Payout.Status.PAID, stripe_transfer_id=f"tr_bulk_{m.pk}", paid_at=now)
        for m, a in zip(members, accounts)])
    for p in payouts:
        entries.append(LedgerEntry(program=program, membership_id=p.membership_id, kind=LedgerEntry.Kind.PAYOUT,
                                   amount_minor=-1000, currency=program.currency, source_key=f"payout:{p.pk}",
                                   work_date=date(2026, 1, 5), payout=p, description="payout"))
    LedgerEntry.objects.bulk_create(entries)
    return run
