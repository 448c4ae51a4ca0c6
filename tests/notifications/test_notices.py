"""Every row of docs/notifications.md: after the action commits, the right people get exactly one notification and
one e-mail each (or a digest entry), and nobody else gets any."""
import datetime
import zoneinfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from atelier.actions import SYSTEM
from atelier.display import format_day, format_when
from atelier.models import Notification
from content_review import services as review
from content_review.models import Appeal, ShareRequest, Work
from payments import actions as pay
from payments.models import Payout, PayoutRun, ReconciliationDifference, StripeAccount
from testers import actions as testers_actions
from testers.models import Clause, Membership, TermsVersion
from testers.services import milestones as milestone_services
from testers.services import terms as terms_services
from testers.tasks import end_clauses
from tests import factories
from tests.content_review.factories import clause, member_with_terms, submitted, upload
from tests.payments.factories import RateCardFactory, StripeAccountFactory, ledger_entry, payable_artist

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run `fn` as a committed request would: its after-commit events, tasks and mails happen. Notifications and
    mails of the set-up before are cleared first, so what is left is what `fn` caused."""

    def run(fn):
        Notification.objects.all().delete()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            return fn()

    return run


def assert_told(people, *, event=None, mailed=None):
    """Exactly `people` got one notification each (of `event`), and one e-mail each (`mailed`, default the same
    people); nobody else got a notification or an e-mail."""
    rows = list(Notification.objects.select_related("recipient"))
    assert sorted(n.recipient.email for n in rows) == sorted(p.email for p in people), [n.title for n in rows]
    if event:
        assert {n.event for n in rows} <= {event}
    mailed = people if mailed is None else mailed
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in mailed)
    assert all(len(m.to) == 1 for m in mail.outbox)
    return rows


# --- terms -----------------------------------------------------------------------------------------------------

@pytest.fixture
def bystanders(program, other_program):
    """People who must hear nothing of program A's artists' business: a removed artist, another program's artist."""
    removed = factories.MembershipFactory(program=program, status=Membership.Status.REMOVED)
    elsewhere = factories.MembershipFactory(program=other_program)
    return [removed, elsewhere]


def test_publishing_terms_tells_every_active_and_paused_artist(program, manager, bystanders, committed):
    active = factories.MembershipFactory(program=program)
    paused = factories.MembershipFactory(program=program, status=Membership.Status.PAUSED)
    draft = factories.TermsVersionFactory(program=program, status=TermsVersion.Status.DRAFT, effective_date=None,
                                          published_at=None)
    effective = timezone.localdate() + datetime.timedelta(days=14)
    committed(lambda: terms_services.publish_terms(version=draft, effective_date=effective, by=manager))
    rows = assert_told([active.artist.user, paused.artist.user], event="testers.terms.published")
    assert rows[0].link == reverse("testers:terms", args=[program.slug]) and rows[0].category == "terms"
    assert "cannot log time, send feedback or ask to share" in mail.outbox[0].body
    assert format_day(effective) in mail.outbox[0].body


@pytest.fixture
def upcoming(program):
    """Terms published two days ago, in effect in two days."""
    return factories.TermsVersionFactory(program=program, effective_date=timezone.localdate() + datetime.timedelta(days=2),
                                         published_at=timezone.now() - datetime.timedelta(days=2))


def test_the_reminder_before_terms_take_effect_tells_only_those_who_have_not_accepted_once(
        program, upcoming, bystanders, committed):
    waiting = factories.MembershipFactory(program=program)
    done = factories.MembershipFactory(program=program)
    factories.accept_terms(done, upcoming)
    assert committed(lambda: terms_services.send_terms_reminders()) == 1
    assert_told([waiting.artist.user], event="testers.terms.reminder_sent")
    assert "Reminder" in mail.outbox[0].subject
    assert committed(lambda: terms_services.send_terms_reminders()) == 0  # once per version
    assert_told([])


def test_a_manager_reminds_those_who_have_not_accepted_from_the_progress_page(
        client, program, upcoming, manager, committed):
    waiting = factories.MembershipFactory(program=program)
    done = factories.MembershipFactory(program=program)
    factories.accept_terms(done, upcoming)
    client.force_login(manager)
    page = client.get(reverse("testers:staff_terms_acceptance", args=[program.slug, upcoming.number])).content.decode()
    assert "1 of 2 artists accepted" in page and waiting.artist.user.email in page and done.artist.user.email not in page
    committed(lambda: client.post(reverse("testers:staff_terms_remind", args=[program.slug, upcoming.number])))
    assert_told([waiting.artist.user], event="testers.terms.reminded")


def test_a_clause_that_ends_tells_the_artists_under_its_version_what_is_free(program, manager, bystanders,
                                                                           committed):
    """Only artists whose newest accepted terms are that version: it is their rules that changed."""
    old = factories.TermsVersionFactory(program=program, number=1, effective_date=timezone.localdate()
                                        - datetime.timedelta(days=30))
    newer = factories.TermsVersionFactory(program=program, number=2)
    under_old, paused_under_old, under_newer = (factories.MembershipFactory(program=program) for _ in range(3))
    Membership.objects.filter(pk=paused_under_old.pk).update(status=Membership.Status.PAUSED)
    for membership in (under_old, paused_under_old, under_newer):
        factories.accept_terms(membership, old)
    factories.accept_terms(under_newer, newer)
    launch = milestone_services.create_milestone(program=program, name="public launch", by=manager)
    secret = old.clauses.get(klass=Clause.Klass.CONFIDENTIAL)
    Clause.objects.filter(pk=secret.pk).update(ends_at_milestone=launch)
    committed(lambda: milestone_services.announce_milestone(milestone=launch, by=manager))
    rows = assert_told([under_old.artist.user, paused_under_old.artist.user], event="testers.clause.ended")
    assert rows[0].title == f"Now free to share: {secret} ({program.name})" and rows[0].category == "terms"
    assert rows[0].link == reverse("testers:what_can_i_share")
    assert "until public launch is announced" in mail.outbox[0].body and "no new terms to accept" in mail.outbox[0].body


def test_publish_page_defaults_to_the_notice_period_and_says_the_impact(client, program, manager):
    program.terms_notice_days = 21
    program.save()
    factories.MembershipFactory(program=program)
    factories.MembershipFactory(program=program)
    draft = factories.TermsVersionFactory(program=program, status=TermsVersion.Status.DRAFT, effective_date=None,
                                          published_at=None)
    client.force_login(manager)
    page = client.get(reverse("testers:staff_terms_version", args=[program.slug, draft.number])).content.decode()
    date = timezone.localdate() + datetime.timedelta(days=21)
    assert f'value="{date:%Y-%m-%d}"' in page
    assert (f"2 artists will need to accept; until they do, from {format_day(date)} they cannot log time, send feedback "
            f"or ask to share.") in page


# --- feedback and time ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("verb", ["accepted", "declined", "shipped", "duplicate"])
def test_triaged_feedback_tells_its_artist(verb, program, manager, artist_membership, bystanders, committed):
    feedback = factories.FeedbackFactory(membership=artist_membership,
                                         status="accepted" if verb == "shipped" else "new")
    original = factories.FeedbackFactory(membership=factories.MembershipFactory(program=program))
    action = {"accepted": lambda: testers_actions.AcceptFeedback(manager, feedback),
              "declined": lambda: testers_actions.DeclineFeedback(manager, feedback, reason="Works as designed."),
              "shipped": lambda: testers_actions.ShipFeedback(manager, feedback, build="42", message="In build 42."),
              "duplicate": lambda: testers_actions.MarkDuplicate(manager, feedback, original=original)}[verb]()
    committed(action.run)
    rows = assert_told([artist_membership.artist.user], event=f"testers.feedback.{verb}")
    assert rows[0].link == reverse("testers:feedback_detail", args=[feedback.pk])
    if verb == "declined":
        assert "Works as designed." in mail.outbox[0].body


def test_a_shipped_bonus_tells_its_artist_what_it_earned_and_in_which_build(program, manager, artist_membership,
                                                                             bystanders, committed):
    card = RateCardFactory(program=program, feedback_shipped_bonus_minor=2500)
    feedback = factories.FeedbackFactory(membership=artist_membership, status="accepted", title="Hands look wrong")
    committed(testers_actions.ShipFeedback(manager, feedback, build="2.4.0").run)
    artist = artist_membership.artist.user
    rows = assert_told([artist, artist], mailed=[artist, artist])
    bonus = next(n for n in rows if n.event == "payments.ledger.bonus_credited")
    assert bonus.title == f"Your feedback “Hands look wrong” shipped: you earned $25.00 ({program.name})"
    assert "2.4.0" in bonus.body and f"version {card.version}" in bonus.body
    assert bonus.link == reverse("testers:feedback_detail", args=[feedback.pk])
    assert {n.event for n in rows} == {"testers.feedback.shipped", "payments.ledger.bonus_credited"}


def test_shipping_without_a_bonus_on_the_rate_card_tells_only_that_it_shipped(program, manager, artist_membership,
                                                                              committed):
    RateCardFactory(program=program, feedback_shipped_bonus_minor=0)
    feedback = factories.FeedbackFactory(membership=artist_membership, status="accepted")
    committed(testers_actions.ShipFeedback(manager, feedback, build="2.4.0").run)
    rows = assert_told([artist_membership.artist.user], event="testers.feedback.shipped")
    assert "Shipped in 2.4.0." in rows[0].body


def test_a_reply_tells_the_artist_but_not_when_they_wrote_it(program, manager, artist_membership, committed):
    feedback = factories.FeedbackFactory(membership=artist_membership)
    committed(testers_actions.ReplyToFeedback(manager, feedback, message="Which build?").run)
    assert_told([artist_membership.artist.user], event="testers.feedback.replied")
    assert "Which build?" in mail.outbox[0].body
    committed(testers_actions.ReplyToFeedback(artist_membership.artist.user, feedback, message="Build 41.").run)
    assert_told([])


@pytest.mark.parametrize("verb", ["approved", "rejected"])
def test_decided_time_tells_its_artist(verb, manager, artist_membership, committed):
    log = factories.TimeLogFactory(membership=artist_membership)
    action = (testers_actions.ApproveTimeLog(manager, log) if verb == "approved"
              else testers_actions.RejectTimeLog(manager, log, reason="Not on the tool."))
    committed(action.run)
    assert_told([artist_membership.artist.user], event=f"testers.timelog.{verb}")


# --- share requests ---------------------------------------------------------------------------------------------

@pytest.fixture
def member(program):
    factories.TermsVersionFactory(program=program)
    return member_with_terms(program)


def test_a_submitted_share_request_tells_the_reviewers_only(member, reviewer, manager, finance, tmp_path, committed):
    second = factories.staff_user(member.program, "reviewer")
    draft = review.create_share_request(
        membership=member, by=member.artist.user, title="Dusk", caption="c", platforms=["instagram"],
        clause_ids=[clause(member.program, Clause.Klass.NEEDS_APPROVAL).pk],
        files=[upload(tmp_path)])
    committed(lambda: review.submit_share_request(draft, by=member.artist.user))
    rows = assert_told([reviewer, second], event="content_review.share_request.submitted")
    assert rows[0].link == reverse("content_review:review", args=[member.program.slug, draft.pk])


def test_each_reviewer_reads_the_deadline_in_their_own_zone(member, reviewer, tmp_path, committed):
    second = factories.staff_user(member.program, "reviewer")
    reviewer.time_zone, second.time_zone = "Pacific/Auckland", "America/Los_Angeles"
    reviewer.save(update_fields=["time_zone"])
    second.save(update_fields=["time_zone"])
    draft = review.create_share_request(
        membership=member, by=member.artist.user, title="Dusk", caption="c", platforms=["instagram"],
        clause_ids=[clause(member.program, Clause.Klass.NEEDS_APPROVAL).pk],
        files=[upload(tmp_path)])
    committed(lambda: review.submit_share_request(draft, by=member.artist.user))
    draft.refresh_from_db()
    for person, zone in ((reviewer, "Pacific/Auckland"), (second, "America/Los_Angeles")):
        body = Notification.objects.get(recipient=person).body
        assert f"Decide by {format_when(draft.deadline_at, zoneinfo.ZoneInfo(zone))}." in body
    assert Notification.objects.get(recipient=reviewer).body != Notification.objects.get(recipient=second).body


@pytest.mark.parametrize("outcome, extra", [
    ("approve", {}),
    ("approve_with_conditions", {"required_credit": "Made with Lumen", "reason": "Credit us.", "clause_ids": "needs"}),
    ("request_changes", {"reason": "Crop the UI out.", "clause_ids": "needs"}),
])
def test_every_decision_tells_only_the_artist(outcome, extra, member, reviewer, manager, tmp_path, committed):
    share_request = submitted(member, tmp_path)
    if extra.get("clause_ids") == "needs":
        extra = {**extra, "clause_ids": [clause(member.program, Clause.Klass.NEEDS_APPROVAL).pk]}
    committed(lambda: review.decide_share_request(share_request, by=reviewer, outcome=outcome, **extra))
    [told] = assert_told([member.artist.user])
    assert told.event.startswith("content_review.share_request.")
    assert told.link == reverse("content_review:request_detail", args=[share_request.pk])


def test_a_request_deemed_approved_at_its_deadline_tells_the_artist(member, reviewer, tmp_path, committed):
    member.program.deadline_policy = "deemed_approved"
    member.program.save()
    share_request = submitted(member, tmp_path)
    ShareRequest.objects.filter(pk=share_request.pk).update(deadline_at=timezone.now() - datetime.timedelta(hours=1))
    committed(review.enforce_deadlines)
    assert_told([member.artist.user], event="content_review.deadline.deemed_approved")
    assert "Deemed approved" in mail.outbox[0].body


def test_a_request_approved_because_its_clauses_ended_tells_the_artist_why(member, manager, reviewer, tmp_path,
                                                                          committed):
    version = member.program.terms_versions.filter(status="published").order_by("-number").first()
    secret = version.clauses.get(klass=Clause.Klass.CONFIDENTIAL)
    share_request = submitted(member, tmp_path, clause_ids=[secret.pk])
    Clause.objects.filter(pk=secret.pk).update(ends_on=timezone.localdate())
    committed(end_clauses)
    rows = list(Notification.objects.filter(event="content_review.share_request.approved_as_free"))
    assert [n.recipient for n in rows] == [member.artist.user]
    assert rows[0].link == reverse("content_review:request_detail", args=[share_request.pk])
    assert "the clauses it cites have ended" in rows[0].title and str(secret) in rows[0].body
    assert not Notification.objects.filter(recipient__in=[manager, reviewer]).exists()


def test_a_decision_tells_the_artist_with_the_clauses_and_reason(member, reviewer, tmp_path, committed):
    share_request = submitted(member, tmp_path)
    committed(lambda: review.decide_share_request(
        share_request, by=reviewer, outcome="refuse", reason="Shows the timeline editor.",
        clause_ids=[clause(member.program, Clause.Klass.CONFIDENTIAL).pk]))
    assert_told([member.artist.user], event="content_review.share_request.refused")
    body = mail.outbox[0].body
    assert "Unreleased features" in body and "timeline editor" in body and "appeal" in body


def test_a_deadline_near_warns_the_reviewers_once(member, reviewer, manager, tmp_path, committed):
    share_request = submitted(member, tmp_path)
    ShareRequest.objects.filter(pk=share_request.pk).update(deadline_at=timezone.now() + datetime.timedelta(hours=5))
    assert committed(review.warn_near_deadlines) == 1
    assert_told([reviewer], event="content_review.deadline.approaching")
    assert committed(review.warn_near_deadlines) == 0
    assert_told([])


def test_an_escalation_tells_the_artist_and_the_manager(member, reviewer, manager, tmp_path, committed):
    share_request = submitted(member, tmp_path)
    ShareRequest.objects.filter(pk=share_request.pk).update(deadline_at=timezone.now() - datetime.timedelta(hours=1))
    committed(review.enforce_deadlines)
    assert_told([member.artist.user, manager], event="content_review.deadline.escalated")


def test_an_appeal_tells_its_reviewer_and_its_decision_tells_the_artist(member, reviewer, manager, tmp_path,
                                                                          committed):
    second = factories.staff_user(member.program, "reviewer")
    share_request = submitted(member, tmp_path)
    review.decide_share_request(share_request, by=reviewer, outcome="refuse", reason="Confidential.",
                                clause_ids=[clause(member.program, Clause.Klass.CONFIDENTIAL).pk])
    share_request.refresh_from_db()
    committed(lambda: review.appeal_refusal(share_request, by=member.artist.user, message="It was announced."))
    assert_told([second], event="content_review.appeal.created")
    assert "It was announced." in mail.outbox[0].body and "final" in mail.outbox[0].body
    committed(lambda: review.decide_appeal(Appeal.objects.get(), by=second, outcome="approve"))
    assert_told([member.artist.user], event="content_review.appeal.overturned")
    assert "on appeal, final" in mail.outbox[0].body


def test_an_upheld_appeal_tells_the_artist(member, reviewer, manager, tmp_path, committed):
    second = factories.staff_user(member.program, "reviewer")
    share_request = submitted(member, tmp_path)
    confidential = [clause(member.program, Clause.Klass.CONFIDENTIAL).pk]
    review.decide_share_request(share_request, by=reviewer, outcome="refuse", reason="Confidential.",
                                clause_ids=confidential)
    share_request.refresh_from_db()
    review.appeal_refusal(share_request, by=member.artist.user, message="It was announced.")
    committed(lambda: review.decide_appeal(Appeal.objects.get(), by=second, outcome="refuse",
                                           reason="Still unannounced.", clause_ids=confidential))
    assert_told([member.artist.user], event="content_review.appeal.upheld")
    assert "Still unannounced." in mail.outbox[0].body


def test_a_work_taken_off_the_showcase_by_its_artist_tells_the_managers(member, reviewer, manager, tmp_path,
                                                                         committed):
    share_request = submitted(member, tmp_path)
    review.decide_share_request(share_request, by=reviewer, outcome="approve")
    work = share_request.works.get()
    work.refresh_from_db()
    Work.objects.filter(pk=work.pk).update(published_status=Work.FileStatus.READY)
    review.set_showcase_consent(work, by=member.artist.user, consent=True)
    committed(lambda: review.set_showcase_consent(work, by=member.artist.user, consent=False))
    assert_told([manager], event="content_review.showcase.consent_withdrawn")
    review.set_showcase_consent(work, by=member.artist.user, consent=True)
    committed(lambda: review.remove_from_showcase(work, by=manager, reason="The client asked us to."))
    assert_told([member.artist.user], event="content_review.showcase.work_removed")


# --- money -------------------------------------------------------------------------------------------------------

@pytest.fixture
def run_world(program):
    creator = factories.staff_user(program, "finance")
    colleague = factories.staff_user(program, "finance")
    paid = payable_artist(program, 5000)
    no_account = factories.MembershipFactory(program=program)
    ledger_entry(no_account, 3000, work_date=datetime.date.today() - datetime.timedelta(days=3))
    return {"creator": creator, "colleague": colleague, "paid": paid, "no_account": no_account}


def _create_run(program, by):
    today = timezone.localdate()
    return pay.CreatePayoutRun(by, program, period_start=today - datetime.timedelta(days=30), period_end=today).run()


def test_a_new_run_asks_the_other_finance_users_to_approve_it(program, run_world, manager, committed):
    run = committed(lambda: _create_run(program, run_world["creator"]))
    [approval] = assert_told([run_world["colleague"]], event="payments.payout_run.created")
    assert "awaits your approval" in approval.title and approval.category == "money"
    assert approval.link == reverse("payments:payout_run", args=[program.slug, run.pk])
    assert "$50.00" in approval.body


def test_an_approved_run_tells_each_skipped_artist_why(program, manager, committed):
    creator = factories.staff_user(program, "finance")
    colleague = factories.staff_user(program, "finance")
    no_account = factories.MembershipFactory(program=program)
    ledger_entry(no_account, 3000, work_date=datetime.date.today() - datetime.timedelta(days=3))
    run = _create_run(program, creator)  # nothing payable: a run of skips only, sent without Stripe
    committed(lambda: factories.approve(run, by=colleague))
    skipped = Notification.objects.get(event="payments.payout_run.approved")
    assert skipped.recipient == no_account.artist.user
    assert "No payout account connected" in skipped.body and "$30.00" in skipped.body
    assert skipped.link == reverse("payments:payout_account")
    assert no_account.artist.user.email in [m.to[0] for m in mail.outbox]
    assert not Notification.objects.filter(event="payments.payout_run.approved").exclude(pk=skipped.pk).exists()


def test_a_paid_payout_tells_its_artist_the_amount(program, run_world, committed):
    run = _create_run(program, run_world["creator"])
    payout = run.payouts.get()
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.SENDING)
    committed(pay.PayoutPaid(SYSTEM, payout, transfer_id="tr_123").run)
    rows = assert_told([run_world["paid"].artist.user], event="payments.payout.paid")
    assert "$50.00" in rows[0].title


def test_a_failed_payout_tells_its_artist_the_money_is_back(program, run_world, committed):
    run = _create_run(program, run_world["creator"])
    payout = run.payouts.get()
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.SENDING)
    committed(pay.PayoutFailed(SYSTEM, payout, message="The destination account is closed.").run)
    [told] = assert_told([run_world["paid"].artist.user], event="payments.payout.failed")
    assert "could not be sent" in told.title and "account is closed" in told.body and "back" in told.body


@pytest.mark.parametrize("failures", [False, True])
def test_a_completed_run_tells_finance(failures, program, run_world, committed):
    run = _create_run(program, run_world["creator"])
    if failures:
        Payout.objects.filter(run=run).update(status=Payout.Status.FAILED, failure_message="No such account")
    else:
        Payout.objects.filter(run=run).update(status=Payout.Status.PAID, stripe_transfer_id="tr_1",
                                              paid_at=timezone.now())
    PayoutRun.objects.filter(pk=run.pk).update(status=PayoutRun.Status.SENDING)
    action = pay.CompletePayoutRunWithFailures if failures else pay.CompletePayoutRun
    committed(action(SYSTEM, run).run)
    rows = assert_told([run_world["creator"], run_world["colleague"]])
    assert ("with failures" in rows[0].title) == failures


def test_a_payout_account_that_needs_details_tells_its_artist_what(artist_membership, committed):
    account = StripeAccountFactory(artist=artist_membership.artist)
    data = {"id": account.stripe_account_id, "payouts_enabled": False, "details_submitted": True,
            "capabilities": {"transfers": "inactive"},
            "requirements": {"currently_due": ["external_account"], "disabled_reason": "requirements.past_due"}}
    committed(pay.RefreshStripeAccount(SYSTEM, account, data=data).run)
    rows = assert_told([artist_membership.artist.user], event="payments.stripe_account.refreshed")
    assert StripeAccount.objects.get().state == "details_needed"
    assert "a bank account to receive payouts" in rows[0].body
    committed(pay.RefreshStripeAccount(SYSTEM, account, data=data).run)  # nothing new: nobody told again
    assert_told([])


@pytest.mark.parametrize("differences", [0, 2])
def test_reconciliation_tells_finance_only_of_differences(differences, program, run_world, manager, committed):
    today = timezone.localdate()
    rows = [ReconciliationDifference(kind="missing_at_stripe", atelier_value="x") for _ in range(differences)]
    committed(pay.RecordReconciliation(SYSTEM, program, period_start=today, period_end=today, differences=rows).run)
    people = [run_world["creator"], run_world["colleague"]] if differences else []
    told = assert_told(people)
    if differences:
        assert told[0].title.startswith("Reconciliation found 2 differences")


def test_reconciliation_tells_finance_of_a_difference_once_not_every_hour(program, run_world, committed):
    today = timezone.localdate()

    def reconcile():
        difference = ReconciliationDifference(kind="missing_at_stripe", atelier_value="x", fingerprint="fp:1")
        return pay.RecordReconciliation(SYSTEM, program, period_start=today, period_end=today,
                                        differences=[difference]).run()

    committed(reconcile)
    assert_told([run_world["creator"], run_world["colleague"]])
    committed(reconcile)  # the hourly task finds the same difference again
    assert_told([])


def _sending_payout(program, run_world):
    run = _create_run(program, run_world["creator"])
    payout = run.payouts.get()
    Payout.objects.filter(pk=payout.pk).update(status=Payout.Status.SENDING)
    return Payout.objects.get(pk=payout.pk)


def test_a_held_payout_tells_its_artist_what_their_account_needs(program, run_world, committed):
    payout = _sending_payout(program, run_world)
    committed(pay.HoldPayout(SYSTEM, payout, reason="Payout account needs an identity document").run)
    [told] = assert_told([run_world["paid"].artist.user], event="payments.payout.held")
    assert "on hold" in told.title and "needs an identity document" in told.body


def test_a_reversal_and_its_release_tell_the_artist(program, run_world, committed):
    payout = _sending_payout(program, run_world)
    pay.PayoutPaid(SYSTEM, payout, transfer_id="tr_rev").run()
    payout = Payout.objects.get(pk=payout.pk)
    committed(pay.ReversePayout(SYSTEM, payout, reversals=[("trr_1", 1500)], amount_reversed=1500).run)
    [told] = assert_told([run_world["paid"].artist.user], event="payments.payout.reversed")
    assert "$15.00" in told.title and "held" in told.body
    committed(pay.ReleaseReversal(run_world["colleague"], payout, reversal_id="trr_1", note="Checked").run)
    [told] = assert_told([run_world["paid"].artist.user], event="payments.reversal.released")
    assert "payable again" in told.title
