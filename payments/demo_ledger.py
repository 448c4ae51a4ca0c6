"""Demo rate cards and ledger entries, made through the ledger services. Safe to run twice: every entry
has a source key, and this module only creates its own time logs and feedback for artists who have none."""
import uuid
from datetime import timedelta

from django.utils import timezone

from payments.models import LedgerEntry, RateCard
from payments.services import ledger, rates
from testers.models import Feedback, Membership, StaffRole, TimeLog
from testers.services import feedback as testers_services

DEMO_RATES = {
    "hourly_rate_minor": 3500,            # $35.00 per approved hour
    "feedback_bug_low_minor": 500,
    "feedback_bug_medium_minor": 1500,
    "feedback_bug_high_minor": 3000,
    "feedback_bug_critical_minor": 6000,
    "feedback_feature_minor": 1000,
    "feedback_quality_minor": 800,
    "feedback_general_minor": 300,
    "feedback_shipped_bonus_minor": 2000,  # $20.00 when an accepted item ships
    "monthly_stipend_minor": 10000,       # $100.00 per active month
    "minimum_payout_minor": 2500,
    "fair_pay_floor_hourly_minor": 2500,  # at least $25.00 per hour, all earnings included
}
# Our own demo work, per active artist (index → (time logs as (days ago, minutes), feedback as (kind, severity))).
DEMO_TIME = [(40, 120), (12, 90), (3, 45)]
DEMO_FEEDBACK = [
    [(Feedback.Kind.BUG, Feedback.Severity.HIGH), (Feedback.Kind.FEATURE, "")],
    [(Feedback.Kind.QUALITY, "")],
    [(Feedback.Kind.BUG, Feedback.Severity.LOW), (Feedback.Kind.GENERAL, "")],
]


def seed(context):
    program = context["program"]
    manager = context["staff"][StaffRole.Role.MANAGER][0]
    finance = context["staff"][StaffRole.Role.FINANCE][0]
    today = timezone.localdate()

    if not RateCard.objects.filter(program=program).exists():
        # The first card may be backdated: it prices the demo's past work.
        rates.create_rate_card(program, by=manager, effective_date=today - timedelta(days=120),
                               notes="Launch rates.", **DEMO_RATES)
    if not RateCard.objects.filter(program=program, effective_date__gt=today).exists():
        rates.create_rate_card(program, by=manager, effective_date=today + timedelta(days=30),
                               notes="Hourly rate raised for the spring cohort.",
                               **{**DEMO_RATES, "hourly_rate_minor": 4000})

    active = [m for m in context["memberships"] if m.status == Membership.Status.ACTIVE]
    for index, membership in enumerate(active):
        _demo_work(membership, index, manager)

    # Price every approved/accepted item (the testers demo's and ours); already-priced ones are skipped.
    ledger.price_unpriced(program, by=manager)

    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    for membership in active:
        ledger.record_stipend(membership, last_month)

    # One accepted item ships (through the action: the bonus, the notices); nothing more on a second run.
    first = (Feedback.objects.filter(membership__in=active, status=Feedback.Status.ACCEPTED).order_by("pk").first()
             if not LedgerEntry.objects.filter(program=program, kind=LedgerEntry.Kind.BONUS).exists() else None)
    if first is not None:
        testers_services.mark_shipped(feedback=first, by=manager, build="Lumen 0.9.3",
                                      message="Thanks: this is fixed in the public beta.")

    if active:
        ledger.record_adjustment(
            active[0], by=finance, amount_minor=1250,
            reason="Travel costs for the in-person testing session.",
            token=str(uuid.uuid5(uuid.NAMESPACE_URL, f"atelier-demo-adjustment-{active[0].pk}")),
        )


def _demo_work(membership, index, manager):
    now = timezone.now()
    if not TimeLog.objects.filter(membership=membership, status=TimeLog.Status.APPROVED).exists():
        for days_ago, minutes in DEMO_TIME[: 1 + index % 3]:
            TimeLog.objects.create(
                membership=membership, date=now.date() - timedelta(days=days_ago + index), minutes=minutes + 15 * index,
                description="Tried the new video tool on a storyboard.", status=TimeLog.Status.APPROVED,
                decided_by=manager, decided_at=now,
            )
    if not Feedback.objects.filter(membership=membership, accepted_at__isnull=False).exists():  # shipped ones too
        for number, (kind, severity) in enumerate(DEMO_FEEDBACK[index % 3], start=1):
            Feedback.objects.create(
                membership=membership, kind=kind, severity=severity, status=Feedback.Status.ACCEPTED,
                title=f"Demo {Feedback.Kind(kind).label.lower()} #{number}", body="Found while testing the beta.",
                accepted_at=now - timedelta(days=5 + index), accepted_by=manager,
            )
