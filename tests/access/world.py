"""The world the access test runs in: two programs, A (full of objects) and B (its own staff and artist).

Built once per module (see conftest.py). Objects whose services are being rewritten (decisions, appeals,
showcase consent, payouts) are inserted directly, the way the report factories do, so the access test does not
depend on the shape of those services; share requests and their works go through the shared content-review
factories (and are processed, so thumbnails exist).

Every artist who owns objects has a *bundle* (feedback with an image, a pending time log, share requests in
draft, submitted, refused and approved states, their membership and profile). A's active owner, A's paused
artist and A's removed artist each have one: a paused or removed artist is tested on *their own* records.
"""
from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone

from api.models import ApiToken
from atelier.models import Notification
from content_review.models import Appeal, ReviewDecision, ShareRequest, Work
from payments.models import PayoutRun, ReconciliationDifference, ReconciliationReport
from testers.models import Clause, Membership, Milestone, TermsVersion
from tests import factories
from tests.content_review import factories as review_factories
from tests.payments import factories as pay_factories
from tests.payments import report_factories

from . import roles as R


@dataclass
class Bundle:
    """One artist's own objects in program A."""

    membership: Membership
    feedback: object = None
    attachment: object = None
    timelog: object = None
    sr_draft: ShareRequest = None
    sr_submitted: ShareRequest = None
    sr_refused: ShareRequest = None
    sr_approved: ShareRequest = None

    @property
    def profile(self):
        return self.membership.artist

    @property
    def user(self):
        return self.membership.artist.user

    def work(self, share_request):
        """The request's (first) work, looked up once."""
        cache = self.__dict__.setdefault("_works", {})
        if share_request.pk not in cache:
            cache[share_request.pk] = share_request.works.order_by("pk").first()
        return cache[share_request.pk]


@dataclass
class World:
    program_a: object
    program_b: object
    terms_a: TermsVersion
    draft_terms_a: TermsVersion
    users: dict  # role -> User (None for anonymous)
    bundles: dict  # role -> Bundle for the roles that own objects (owner, paused, removed)
    memberships: dict  # role -> Membership in A (artists of A) or in B (b_artist)
    invitation: object = None
    sr_appealed: ShareRequest = None
    appeal: Appeal = None
    sr_showcased: ShareRequest = None
    rate_card: object = None
    stripe_account: object = None
    payout_run: PayoutRun = None
    payout: object = None
    reconciliation: ReconciliationReport = None
    sessions: dict = field(default_factory=dict)  # role -> session key, made once (see conftest.py)
    extra: dict = field(default_factory=dict)

    @property
    def own(self) -> Bundle:
        """The bundle of A's active owner: what every role but the owners themselves is pointed at."""
        return self.bundles[R.A_OWNER]

    def bundle_for(self, role) -> Bundle:
        """The objects a role is pointed at: their own if they own any, else A's owner's."""
        return self.bundles.get(role, self.own)

    def a_membership_for(self, role) -> Membership:
        """The A membership a role posts in a form: their own if they are an artist of A, else the owner's."""
        membership = self.memberships.get(role)
        if membership is not None and membership.program_id == self.program_a.pk:
            return membership
        return self.own.membership


def _decide(share_request, outcome, by, clause, reason="Cites the confidentiality clause."):
    """A decision as the review service records it (inserted directly)."""
    now = timezone.now()
    decision = ReviewDecision.objects.create(
        share_request=share_request, outcome=outcome, decided_by=by,
        reason="" if outcome == ReviewDecision.Outcome.APPROVE else reason,
        submitted_at=share_request.submitted_at or now, created_at=now,
    )
    if outcome != ReviewDecision.Outcome.APPROVE:
        decision.clauses.set([clause])
    share_request.status = (ShareRequest.Status.APPROVED if outcome == ReviewDecision.Outcome.APPROVE
                            else ShareRequest.Status.REFUSED)
    share_request.decided_at = share_request.first_decided_at = now
    share_request.save()
    return decision


def _publish(work, credit):
    """The credited, watermarked copy as make_published_copy leaves it (content copied from the clean file)."""
    source = work.clean or work.original
    with source.open("rb") as handle:
        data = handle.read()
    work.published.save(f"published/{work.token}.{work.extension or 'jpg'}", ContentFile(data), save=False)
    work.published_status = Work.FileStatus.READY
    work.published_credit = credit
    work.save()


def _bundle(membership, tmp, reviewer, confidential, clauses):
    bundle = Bundle(membership=membership)
    bundle.feedback = factories.FeedbackFactory(membership=membership, title="Access-test feedback")
    bundle.attachment = bundle.feedback.attachments.create(image=factories.image_upload(), original_name="s.png")
    bundle.timelog = factories.TimeLogFactory(membership=membership)
    bundle.sr_draft = review_factories.draft(membership, tmp, title="Draft study", clause_ids=clauses)
    bundle.sr_submitted = review_factories.submitted(membership, tmp, title="Submitted study", clause_ids=clauses)
    bundle.sr_refused = review_factories.submitted(membership, tmp, title="Refused study", clause_ids=clauses)
    _decide(bundle.sr_refused, ReviewDecision.Outcome.REFUSE, reviewer, confidential)
    bundle.sr_approved = review_factories.submitted(membership, tmp, title="Approved study", clause_ids=clauses)
    _decide(bundle.sr_approved, ReviewDecision.Outcome.APPROVE, reviewer, confidential)
    return bundle


def build_world(tmp: Path, fake_stripe) -> World:
    # --- programs and terms -------------------------------------------------------------------------
    program_a = factories.ProgramFactory(name="Program A", slug="access-a", changelog_public=True)
    program_b = factories.ProgramFactory(name="Program B", slug="access-b")
    terms_a = factories.TermsVersionFactory(program=program_a, number=1)
    factories.TermsVersionFactory(program=program_b, number=1)
    draft_terms_a = factories.TermsVersionFactory(program=program_a, number=2, status=TermsVersion.Status.DRAFT,
                                                  published_at=None, effective_date=None)
    confidential = Clause.objects.get(terms_version=terms_a, klass=Clause.Klass.CONFIDENTIAL)
    # Requests mark the "needs approval" clause of the version their artists accepted (v1, not the v2 draft).
    clauses = [Clause.objects.get(terms_version=terms_a, klass=Clause.Klass.NEEDS_APPROVAL).pk]

    # --- people -------------------------------------------------------------------------------------
    users = {R.ANON: None}
    for role, (program, staff_role) in {
        R.A_MANAGER: (program_a, "manager"), R.A_REVIEWER: (program_a, "reviewer"),
        R.A_FINANCE: (program_a, "finance"), R.A_RUN_CREATOR: (program_a, "finance"),
        R.B_MANAGER: (program_b, "manager"), R.B_REVIEWER: (program_b, "reviewer"),
        R.B_FINANCE: (program_b, "finance"),
    }.items():
        users[role] = factories.staff_user(program, staff_role, email=f"{role}@access.test")
    users[R.A_NO_TOTP] = factories.staff_user(program_a, "manager", totp=False, email=f"{R.A_NO_TOTP}@access.test")
    users[R.ADMIN] = factories.UserFactory(is_superuser=True, is_staff=True, totp=True,
                                           email=f"{R.ADMIN}@access.test")

    memberships = {}
    for role in (R.A_OWNER, R.A_MEMBER, R.A_PAUSED, R.A_REMOVED):
        memberships[role] = review_factories.member_with_terms(
            program_a, artist__user__email=f"{role}@access.test")
    memberships[R.B_ARTIST] = review_factories.member_with_terms(
        program_b, artist__user__email=f"{R.B_ARTIST}@access.test")
    for role, membership in memberships.items():
        users[role] = membership.artist.user

    # --- the owners' objects (created while everyone is active) -------------------------------------------
    bundles = {}
    for role in (R.A_OWNER, R.A_PAUSED, R.A_REMOVED):
        bundles[role] = _bundle(memberships[role], tmp, users[R.A_REVIEWER], confidential, clauses)
    owner = bundles[R.A_OWNER]

    # A request refused by the manager and appealed by its artist: the appeal goes to A's reviewer.
    sr_appealed = review_factories.submitted(owner.membership, tmp, title="Appealed study",
                                                  clause_ids=clauses)
    refusal = _decide(sr_appealed, ReviewDecision.Outcome.REFUSE, users[R.A_MANAGER], confidential)
    appeal = Appeal.objects.create(share_request=sr_appealed, refusal=refusal, refused_by=users[R.A_MANAGER],
                                   assigned_to=users[R.A_REVIEWER], message="Please look again.",
                                   decide_by=timezone.now() + datetime.timedelta(days=5))
    sr_appealed.status = ShareRequest.Status.APPEALED
    sr_appealed.save()
    # An approved request whose work the artist put on the showcase (credited copy ready).
    sr_showcased = review_factories.submitted(owner.membership, tmp, title="Showcased study",
                                                  clause_ids=clauses)
    _decide(sr_showcased, ReviewDecision.Outcome.APPROVE, users[R.A_REVIEWER], confidential)
    showcased_work = sr_showcased.works.get()
    showcased_work.showcase_consent = True
    showcased_work.showcase_consent_at = timezone.now()
    showcased_work.save()
    _publish(showcased_work, owner.profile.credit_line)

    # --- payments -----------------------------------------------------------------------------------
    rate_card = pay_factories.RateCardFactory(program=program_a, version=1)
    today = timezone.localdate()
    for role in (R.A_OWNER, R.A_PAUSED, R.A_REMOVED):
        pay_factories.ledger_entry(memberships[role], 6000, kind="time", work_date=today - datetime.timedelta(days=3))
        pay_factories.ledger_entry(memberships[role], 500, work_date=today - datetime.timedelta(days=2))
    accounts = {}
    for role, membership in memberships.items():
        accounts[role] = report_factories.StripeAccountFactory(artist=membership.artist,
                                                               stripe_account_id=f"acct_access_{role}")
        fake_stripe.create_account(account_id=accounts[role].stripe_account_id,
                                   email=membership.artist.user.email, enabled=True)
    payout_run = report_factories.PayoutRunFactory(
        program=program_a, status=PayoutRun.Status.CREATED, created_by=users[R.A_RUN_CREATOR],
        period_start=today.replace(day=1) - datetime.timedelta(days=40),
        period_end=today.replace(day=1) - datetime.timedelta(days=10))
    payout = report_factories.paid_payout(payout_run, owner.membership, 1500, status="pending")
    PayoutRun.objects.filter(pk=payout_run.pk).update(total_minor=1500)
    payout_run.refresh_from_db()
    reconciliation = ReconciliationReport.objects.create(program=program_a, period_start=payout_run.period_start,
                                                         period_end=payout_run.period_end)

    # --- invitation ---------------------------------------------------------------------------------
    invitation = factories.InvitationFactory(program=program_a, email="invitee@access.test")

    # --- finally, pause and remove (objects stay, as the memberships service leaves them) -------------------
    Membership.objects.filter(pk=memberships[R.A_PAUSED].pk).update(status=Membership.Status.PAUSED)
    Membership.objects.filter(pk=memberships[R.A_REMOVED].pk).update(status=Membership.Status.REMOVED)
    for membership in memberships.values():
        membership.refresh_from_db()

    extra = {"draft_clause": draft_terms_a.clauses.order_by("position").first(),
             # A milestone of A not announced yet: its manager announces it (confidentiality that ends).
             "milestone": Milestone.objects.create(program=program_a, name="Public launch"),
             "showcased_work": sr_showcased.works.get(),
             # An open reconciliation difference of A: finance explains or resolves it.
             "difference": ReconciliationDifference.objects.create(
                 report=reconciliation, last_seen_report=reconciliation, program=program_a,
                 membership=owner.membership, payout=payout, kind=ReconciliationDifference.Kind.MISSING_AT_STRIPE,
                 fingerprint="access:difference"),
             # A's owner's API token: only they revoke it.
             "api_token": ApiToken.objects.create(
                 membership=owner.membership, name="Access test", prefix="atl_access", secret_hash="0" * 64,
                 scopes=["feedback:read"], created_by=users[R.A_OWNER]),
             # A's owner's notification: the centre's URLs on one object (anyone else's is a 404).
             "notification": Notification.objects.create(
                 recipient=users[R.A_OWNER], program=program_a, event="testers.feedback.accepted",
                 category="contributions", title="Your feedback was accepted", link="/feedback/", key="access-test")}
    world = World(
        program_a=program_a, program_b=program_b, terms_a=terms_a, draft_terms_a=draft_terms_a, users=users,
        bundles=bundles, memberships=memberships, invitation=invitation, sr_appealed=sr_appealed, appeal=appeal,
        sr_showcased=sr_showcased, rate_card=rate_card, stripe_account=accounts[R.A_OWNER],
        payout_run=payout_run, payout=payout, reconciliation=reconciliation, extra=extra,
    )
    for bundle in bundles.values():
        for share_request in (bundle.sr_draft, bundle.sr_submitted, bundle.sr_refused, bundle.sr_approved):
            bundle.work(share_request)
    return world
