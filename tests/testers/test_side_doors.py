"""The side doors issue 9 closes in the testers app, each proved by a test named after its rule: participation
of paused and removed artists, TOTP for staff data outside /staff/, the /staff/ index, invitations bound to their
address, the read-only admin and its actions, staff roles only through actions, database constraints."""
from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry, User
from atelier.permissions import PARTICIPATION_REASONS
from testers import actions
from testers.models import Feedback, FeedbackEvent, Invitation, Membership, StaffRole, TermsVersion, TimeLog
from testers.signals import time_log_corrected
from tests import factories

pytestmark = pytest.mark.django_db


def audited(name, **filters):
    return AuditLogEntry.objects.filter(action=name, **filters).count()


# --- participation: what paused and removed artists may still do ------------------------------------------------

@pytest.fixture(params=["paused", "removed"])
def inactive(request, participant):
    Membership.objects.filter(pk=participant.pk).update(status=request.param)
    participant.refresh_from_db()
    return participant


def test_paused_and_removed_artists_may_not_send_feedback_reply_log_time_or_accept_terms(inactive, manager):
    user = inactive.artist.user
    feedback = factories.FeedbackFactory(membership=inactive)
    newer = factories.TermsVersionFactory(program=inactive.program, number=2)
    attempts = [
        actions.SubmitFeedback(user, inactive, kind="general", title="t", body="b"),
        actions.ReplyToFeedback(user, feedback, message="Still here"),
        actions.LogTime(user, inactive, date=timezone.localdate(), minutes=30, description="x"),
        actions.AcceptTerms(user, newer, membership=inactive),
    ]
    for action in attempts:
        refusal = action.check()
        assert refusal is not None and refusal.kind == "participation", type(action).__name__
        with pytest.raises(ActionRefused) as refused:
            action.run()
        assert str(refused.value) == str(refusal) == PARTICIPATION_REASONS[inactive.status]
    assert not FeedbackEvent.objects.filter(kind="reply").exists()
    assert Feedback.objects.count() == 1 and not TimeLog.objects.exists()


def test_paused_and_removed_artists_may_read_and_withdraw_their_pending_time(client, inactive):
    feedback = factories.FeedbackFactory(membership=inactive)
    log = factories.TimeLogFactory(membership=inactive)
    client.force_login(inactive.artist.user)
    assert client.get(reverse("testers:feedback_detail", args=[feedback.pk])).status_code == 200
    assert client.get(reverse("testers:timelog_detail", args=[log.pk])).status_code == 200
    client.post(reverse("testers:timelog_withdraw", args=[log.pk]))
    log.refresh_from_db()
    assert log.status == TimeLog.Status.WITHDRAWN


def test_paused_artist_reply_through_the_page_is_refused_with_the_reason(client, participant):
    feedback = factories.FeedbackFactory(membership=participant)
    Membership.objects.filter(pk=participant.pk).update(status="paused")
    client.force_login(participant.artist.user)
    url = reverse("testers:feedback_detail", args=[feedback.pk])
    assert "Your participation in this program is paused" in client.get(url).content.decode()
    response = client.post(url, {"message": "Let me in"})
    assert response.status_code == 200 and "paused" in response.content.decode()
    assert not feedback.events.filter(kind="reply").exists()


# --- staff data outside /staff/ needs TOTP ----------------------------------------------------------------------

@pytest.fixture
def manager_without_totp(program):
    return factories.staff_user(program, "manager", totp=False)


def test_staff_without_totp_are_sent_to_set_it_up_on_portal_pages_with_staff_data(client, participant,
                                                                                   manager_without_totp):
    feedback = factories.FeedbackFactory(membership=participant)
    log = factories.TimeLogFactory(membership=participant)
    client.force_login(manager_without_totp)
    for url in (reverse("testers:feedback_detail", args=[feedback.pk]),
                reverse("testers:timelog_detail", args=[log.pk]),
                reverse("testers:profile_detail", args=[participant.artist.pk])):
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("mfa_activate_totp"), url


def test_staff_without_totp_cannot_post_a_feedback_reply(client, participant, manager_without_totp):
    feedback = factories.FeedbackFactory(membership=participant)
    client.force_login(manager_without_totp)
    response = client.post(reverse("testers:feedback_detail", args=[feedback.pk]), {"message": "Hello"})
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    response = client.post(reverse("testers:timelog_withdraw", args=[factories.TimeLogFactory(
        membership=participant).pk]))
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    assert not feedback.events.filter(kind="reply").exists()
    assert not TimeLog.objects.filter(status="withdrawn").exists()


def test_staff_with_totp_reads_the_profile_of_their_programs_artists_only(client, participant, manager,
                                                                          other_program):
    client.force_login(manager)
    assert client.get(reverse("testers:profile_detail", args=[participant.artist.pk])).status_code == 200
    client.force_login(factories.staff_user(other_program, "manager"))
    assert client.get(reverse("testers:profile_detail", args=[participant.artist.pk])).status_code == 404


# --- /staff/ is for staff only ------------------------------------------------------------------------------------

def test_artists_and_people_without_a_staff_role_get_404_on_the_staff_index(client, participant, manager):
    for user in (participant.artist.user, factories.UserFactory()):
        client.force_login(user)
        assert client.get("/staff/").status_code == 404
    client.force_login(manager)
    assert client.get("/staff/").status_code == 302  # one program: straight to it


def test_paused_and_removed_artists_get_404_on_every_testers_staff_url(client, inactive):
    slug = inactive.program.slug
    client.force_login(inactive.artist.user)
    for name, args in [("staff_program", [slug]), ("staff_artists", [slug]), ("staff_artist", [slug, inactive.pk]),
                       ("staff_invitations", [slug]), ("staff_terms", [slug]), ("staff_feedback", [slug]),
                       ("staff_timelogs", [slug])]:
        assert client.get(reverse(f"testers:{name}", args=args)).status_code == 404, name
    assert client.get("/staff/").status_code == 404


# --- invitations are bound to their address -------------------------------------------------------------------------

def test_signing_up_with_another_address_than_the_invitations_is_refused_and_creates_nothing(client, program):
    invitation = factories.InvitationFactory(program=program, email="invited@example.test")
    client.get(reverse("testers:invitation", args=[invitation.token]))
    response = client.post(reverse("account_signup"), {
        "email": "other@example.test", "password1": "a-long-pass-123", "password2": "a-long-pass-123"})
    assert response.status_code == 200
    assert "This invitation was sent to invited@example.test" in response.content.decode()
    assert not User.objects.filter(email="other@example.test").exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING and not Membership.objects.exists()


def test_a_signed_in_staff_member_of_another_program_cannot_redeem_a_posted_link(client, program, other_program):
    invitation = factories.InvitationFactory(program=program, email="invited@example.test")
    staff = factories.staff_user(other_program, "manager")
    client.force_login(staff)
    page = client.get(reverse("testers:invitation", args=[invitation.token])).content.decode()
    assert "This invitation was sent to invited@example.test" in page and f'value="Join' not in page
    response = client.post(reverse("testers:invitation", args=[invitation.token]), follow=True)
    assert "This invitation was sent to invited@example.test" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING and invitation.accepted_by is None
    assert not Membership.objects.filter(program=program).exists()
    assert not audited("testers.invitation.accepted")


def test_signing_in_as_someone_else_while_holding_a_link_joins_nothing(client, program, other_program):
    someone = factories.MembershipFactory(program=other_program).artist.user
    invitation = factories.InvitationFactory(program=program, email="invited@example.test")
    client.get(reverse("testers:invitation", args=[invitation.token]))
    response = client.post(reverse("account_login"), {"login": someone.email, "password": factories.PASSWORD},
                           follow=True)
    assert "This invitation was sent to invited@example.test" in response.content.decode()
    assert not Membership.objects.filter(program=program).exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_a_removed_artist_rejoins_by_accepting_a_new_invitation_in_one_audit_entry(program, artist_membership):
    Membership.objects.filter(pk=artist_membership.pk).update(status="removed")
    user = artist_membership.artist.user
    invitation = factories.InvitationFactory(program=program, email=user.email)
    actions.AcceptInvitation(user, invitation).run()
    artist_membership.refresh_from_db()
    assert artist_membership.status == "active"
    entry = AuditLogEntry.objects.get(action="testers.invitation.accepted")
    assert entry.data["membership_status"] == {"before": "removed", "after": "active"}


# --- the admin is read-only; its writes are actions ------------------------------------------------------------

@pytest.fixture
def admin_client(client, site_admin):
    client.force_login(site_admin)
    return client


def test_guarded_fields_cannot_be_edited_in_the_admin(admin_client, participant):
    feedback = factories.FeedbackFactory(membership=participant, status="accepted", accepted_at=timezone.now())
    log = factories.TimeLogFactory(membership=participant, status="approved")
    cases = [
        ("membership", participant, {"status": "removed", "cohort": "x"}),
        ("timelog", log, {"minutes": 600, "date": "2020-01-01", "status": "pending"}),
        ("feedback", feedback, {"kind": "bug", "severity": "critical", "status": "new"}),
        ("invitation", factories.InvitationFactory(program=participant.program), {"status": "accepted"}),
        ("staffrole", StaffRole.objects.create(user=factories.UserFactory(), program=participant.program,
                                               role="reviewer"), {"role": "manager"}),
        ("artistprofile", participant.artist, {"display_name": "Hacked"}),
    ]
    for model, obj, data in cases:
        page = admin_client.get(reverse(f"admin:testers_{model}_change", args=[obj.pk])).content.decode()
        assert 'name="_save"' not in page, model
        assert admin_client.post(reverse(f"admin:testers_{model}_change", args=[obj.pk]), data).status_code == 403
        assert admin_client.get(reverse(f"admin:testers_{model}_add")).status_code == 403, model
        assert admin_client.post(reverse(f"admin:testers_{model}_delete", args=[obj.pk]),
                                 {"post": "yes"}).status_code == 403, model
    participant.refresh_from_db()
    log.refresh_from_db()
    feedback.refresh_from_db()
    assert participant.status == "active" and (log.minutes, log.status) == (90, "approved")
    assert (feedback.kind, feedback.status) == ("general", "accepted")


def test_admin_grants_a_staff_role_through_an_intermediate_page_and_it_is_audited(admin_client, program, site_admin):
    person = factories.UserFactory(email="new.manager@example.test", totp=True)
    url = reverse("admin:testers_program_changelist")
    page = admin_client.post(url, {"action": "grant_staff_role", "_selected_action": [program.pk]})
    assert page.status_code == 200 and 'name="email"' in page.content.decode()
    admin_client.post(url, {"action": "grant_staff_role", "_selected_action": [program.pk], "apply": "1",
                            "email": "New.Manager@example.test", "role": "manager"})
    role = StaffRole.objects.get(user=person, program=program)
    assert role.role == "manager"
    entry = AuditLogEntry.objects.get(action="testers.staff_role.grant")
    assert entry.actor == site_admin and entry.program == program
    # Granting it again, or to an unknown address, is a message, never a 500.
    for email in ("new.manager@example.test", "nobody@example.test"):
        response = admin_client.post(url, {"action": "grant_staff_role", "_selected_action": [program.pk],
                                           "apply": "1", "email": email, "role": "manager"}, follow=True)
        assert response.status_code == 200
    assert StaffRole.objects.filter(program=program).count() == 1
    assert audited("testers.staff_role.grant") == 1


def test_admin_revokes_a_staff_role_through_the_action(admin_client, program, manager):
    factories.staff_user(program, "manager")  # a program keeps at least one manager
    role = StaffRole.objects.get(user=manager)
    admin_client.post(reverse("admin:testers_staffrole_changelist"),
                      {"action": "revoke", "_selected_action": [role.pk]})
    assert not StaffRole.objects.filter(pk=role.pk).exists()
    entry = AuditLogEntry.objects.get(action="testers.staff_role.revoke")
    assert entry.data["before"] == {"user": manager.email, "role": "manager"} and entry.program == program


def test_only_managers_of_the_program_and_site_admins_grant_or_revoke_staff_roles(program, manager, other_program):
    person = factories.UserFactory()
    for outsider in (factories.staff_user(program, "reviewer"), factories.staff_user(other_program, "manager")):
        grant = actions.GrantStaffRole(outsider, program=program, user=person, role="manager")
        assert grant.check().kind == "permission"
        with pytest.raises(ActionRefused):
            grant.run()
        revoke = actions.RevokeStaffRole(outsider, StaffRole.objects.get(user=manager))
        assert revoke.check().kind == "permission"
    assert actions.GrantStaffRole(manager, program=program, user=person, role="reviewer").check() is None
    assert not StaffRole.objects.filter(user=person).exists()


def test_admin_changes_a_membership_status_through_the_actions(admin_client, participant):
    url = reverse("admin:testers_membership_changelist")
    admin_client.post(url, {"action": "pause", "_selected_action": [participant.pk]})
    participant.refresh_from_db()
    assert participant.status == "paused" and audited("testers.membership.paused") == 1
    response = admin_client.post(url, {"action": "pause", "_selected_action": [participant.pk]}, follow=True)
    assert response.status_code == 200 and "already paused" in response.content.decode()
    admin_client.post(url, {"action": "remove", "_selected_action": [participant.pk]})
    admin_client.post(url, {"action": "activate", "_selected_action": [participant.pk]})
    participant.refresh_from_db()
    assert participant.status == "active" and audited("testers.membership.reactivated") == 1


@pytest.fixture
def corrections():
    received = []

    def receiver(sender, time_log, by, before, reason, **kwargs):
        received.append((time_log.pk, time_log.minutes, before, reason))

    time_log_corrected.connect(receiver, weak=False)
    yield received
    time_log_corrected.disconnect(receiver)


def test_admin_corrects_an_approved_time_log_and_payments_is_told(admin_client, participant, manager, corrections,
                                                                  django_capture_on_commit_callbacks):
    from atelier import events

    published = []
    events.subscribe("testers.timelog.corrected")(published.append)
    log = factories.TimeLogFactory(membership=participant, minutes=90)
    actions.ApproveTimeLog(manager, log).run()
    url = reverse("admin:testers_timelog_changelist")
    page = admin_client.post(url, {"action": "correct", "_selected_action": [log.pk]})
    assert 'name="minutes"' in page.content.decode() and 'name="reason"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(url, {"action": "correct", "_selected_action": [log.pk], "apply": "1",
                                "minutes": 30, "date": log.date.isoformat(), "reason": "Typed 90 for 30."})
    log.refresh_from_db()
    assert (log.minutes, log.status) == (30, "approved")
    assert corrections == [(log.pk, 30, {"minutes": 90, "date": log.date}, "Typed 90 for 30.")]
    entry = AuditLogEntry.objects.get(action="testers.timelog.corrected")
    assert entry.data["before"] == {"minutes": 90} and entry.data["after"] == {"minutes": 30}
    assert entry.data["reason"] == "Typed 90 for 30."
    assert [e["time_log_id"] for e in published if e["name"] == "testers.timelog.corrected"] == [log.pk]


def test_a_correction_needs_a_reason_respects_the_day_and_never_touches_a_rejected_log(site_admin, participant):
    log = factories.TimeLogFactory(membership=participant, minutes=60, date=timezone.localdate())
    factories.TimeLogFactory(membership=participant, minutes=20 * 60, date=timezone.localdate())
    assert "reason" in actions.CorrectTimeLog(site_admin, log, minutes=30, reason=" ").check()
    assert "24 hours" in actions.CorrectTimeLog(site_admin, log, minutes=5 * 60, reason="x").check()
    assert "not come yet" in actions.CorrectTimeLog(site_admin, log, date=timezone.localdate() + timedelta(days=1),
                                                    reason="x").check()
    rejected = factories.TimeLogFactory(membership=participant, status="rejected")
    refusal = actions.CorrectTimeLog(site_admin, rejected, minutes=30, reason="x").check()
    assert refusal.kind == "state"


def test_only_a_site_admin_corrects_time(participant, manager):
    log = factories.TimeLogFactory(membership=participant)
    assert actions.CorrectTimeLog(manager, log, minutes=30, reason="x").check().kind == "permission"


def test_admin_refusals_become_messages_never_a_500(admin_client, participant):
    log = factories.TimeLogFactory(membership=participant, status="rejected")
    response = admin_client.post(reverse("admin:testers_timelog_changelist"),
                                 {"action": "approve", "_selected_action": [log.pk]}, follow=True)
    assert response.status_code == 200 and "already rejected" in response.content.decode()


def test_site_admin_creates_and_changes_a_program_through_the_actions(admin_client):
    response = admin_client.post(reverse("admin:testers_program_add"), {
        "name": "Lumen", "slug": "lumen", "currency": "EUR", "status": "active", "review_sla_days": 5,
        "deadline_policy": "escalate", "appeal_sla_days": 5, "terms_notice_days": 14})
    assert response.status_code == 302
    from testers.models import Program

    program = Program.objects.get(slug="lumen")
    assert audited("testers.program.created") == 1
    admin_client.post(reverse("admin:testers_program_change", args=[program.pk]), {
        "name": "Lumen Beta", "slug": "lumen", "currency": "EUR", "status": "active", "review_sla_days": 3,
        "deadline_policy": "escalate", "appeal_sla_days": 5, "terms_notice_days": 14})
    program.refresh_from_db()
    assert (program.name, program.review_sla_days) == ("Lumen Beta", 3)
    entry = AuditLogEntry.objects.get(action="testers.program.updated")
    assert entry.data["after"] == {"name": "Lumen Beta", "review_sla_days": 3}


# --- database constraints ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model, change", [
    (Feedback, {"status": "declined", "decline_reason": ""}),
    (Feedback, {"status": "declined", "decline_reason": "   "}),
    (Feedback, {"status": "duplicate", "duplicate_of": None}),
    (TimeLog, {"status": "rejected", "rejection_reason": ""}),
    (TermsVersion, {"text_hash": ""}),
    (TermsVersion, {"published_at": None}),
    (TermsVersion, {"effective_date": None}),
])
def test_the_database_refuses_raw_writes_that_break_a_rule(participant, model, change):
    obj = {Feedback: lambda: factories.FeedbackFactory(membership=participant),
           TimeLog: lambda: factories.TimeLogFactory(membership=participant),
           TermsVersion: lambda: factories.TermsVersionFactory(program=participant.program, number=7)}[model]()
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            model.objects.filter(pk=obj.pk).update(**change)


def test_an_integrity_error_from_a_rule_becomes_a_clear_refusal(participant, manager):
    class DeclineWithoutReason(actions.TestersAction):  # an action that forgets the rule its table relies on
        model = Feedback
        permission = "feedback.triage"

        def apply(self, feedback):
            self.change(feedback, status="declined", decline_reason="")

    feedback = factories.FeedbackFactory(membership=participant)
    with pytest.raises(ActionRefused, match="Say why the item is declined"):
        DeclineWithoutReason(manager, feedback).run()
    feedback.refresh_from_db()
    assert feedback.status == "new"


def test_declining_without_a_reason_through_the_triage_page_is_a_form_error(client, participant, manager):
    feedback = factories.FeedbackFactory(membership=participant)
    client.force_login(manager)
    response = client.post(reverse("testers:staff_feedback_detail", args=[participant.program.slug, feedback.pk]),
                           {"action": "triage", "to_status": "declined", "message": ""})
    assert response.status_code == 200 and "Say why the item is declined" in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.status == "new"


def test_every_audit_entry_of_a_testers_change_is_a_registered_action_name(participant, manager):
    from atelier.actions import REGISTRY

    factories.TimeLogFactory(membership=participant)
    feedback = factories.FeedbackFactory(membership=participant)
    actions.AcceptFeedback(manager, feedback).run()
    actions.PauseMembership(manager, participant).run()
    names = set(AuditLogEntry.objects.values_list("action", flat=True))
    assert names and all(name in REGISTRY for name in names if name.startswith("testers."))
