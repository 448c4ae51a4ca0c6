"""Every testers action that has a transition, in every status of its model: `check()` and the run agree."""
from django.utils import timezone

from testers.models import Membership
from tests import factories
from tests.action_walk import ActionCase, walk, walk_roles


def manager_of(target):
    program = getattr(target, "program", None) or target.membership.program
    return factories.staff_user(program, "manager")


def site_admin(target):
    return factories.UserFactory(is_superuser=True, is_staff=True, totp=True)


def owner_of(target):
    return target.membership.artist.user


def member_of(version):
    """An active artist of the version's program (the same one for the actor and the params)."""
    membership = Membership.objects.filter(program=version.program).first()
    return membership or factories.MembershipFactory(program=version.program)


def version(status):
    if status == "published":
        return factories.TermsVersionFactory(status=status)
    return factories.TermsVersionFactory(status=status, published_at=None, effective_date=None)


CASES = {
    # Invitations
    "testers.invitation.accepted": ActionCase(
        make=lambda status: factories.InvitationFactory(status=status),
        actor=lambda invitation: factories.UserFactory(email=invitation.email),
    ),
    "testers.invitation.resent": ActionCase(make=lambda status: factories.InvitationFactory(status=status),
                                            actor=manager_of),
    "testers.invitation.revoked": ActionCase(make=lambda status: factories.InvitationFactory(status=status),
                                             actor=manager_of),
    # Terms
    "testers.terms.published": ActionCase(make=version, actor=manager_of,
                                          params=lambda v: {"effective_date": timezone.localdate()}),
    "testers.terms.summary_changed": ActionCase(make=version, actor=manager_of,
                                                params=lambda v: {"summary": "Bugs are now confidential."}),
    "testers.terms.clause_added": ActionCase(
        make=version, actor=manager_of,
        params=lambda v: {"klass": "confidential", "title": "Roadmap", "text": "Do not share the roadmap."}),
    "testers.terms.clause_changed": ActionCase(
        make=version, actor=manager_of, params=lambda v: {"clause": v.clauses.first(), "text": "New words."}),
    "testers.terms.clause_removed": ActionCase(make=version, actor=manager_of,
                                               params=lambda v: {"clause": v.clauses.first()}),
    "testers.terms.accepted": ActionCase(make=version, actor=lambda v: member_of(v).artist.user,
                                         params=lambda v: {"membership": member_of(v)}),
    "testers.milestone.announced": ActionCase(
        make=lambda status: factories.MilestoneFactory(
            status=status, announced_at=timezone.now() if status == "announced" else None),
        actor=manager_of),
    # Memberships
    **{name: ActionCase(make=lambda status: factories.MembershipFactory(status=status), actor=manager_of)
       for name in ("testers.membership.active", "testers.membership.paused", "testers.membership.removed",
                    "testers.membership.reactivated")},
    # Feedback
    "testers.feedback.accepted": ActionCase(make=lambda status: factories.FeedbackFactory(status=status),
                                            actor=manager_of),
    "testers.feedback.duplicate": ActionCase(
        make=lambda status: factories.FeedbackFactory(status=status), actor=manager_of,
        params=lambda f: {"original": factories.FeedbackFactory(membership=f.membership)}),
    "testers.feedback.declined": ActionCase(make=lambda status: factories.FeedbackFactory(status=status),
                                            actor=manager_of, params=lambda f: {"reason": "Out of scope."}),
    "testers.feedback.shipped": ActionCase(make=lambda status: factories.FeedbackFactory(status=status),
                                           actor=manager_of, params=lambda f: {"build": "2.4.0 (build 812)"}),
    "testers.feedback.reopened": ActionCase(make=lambda status: factories.FeedbackFactory(status=status),
                                            actor=manager_of),
    "testers.feedback.replied": ActionCase(make=lambda status: factories.FeedbackFactory(status=status),
                                           actor=manager_of, params=lambda f: {"message": "Which version?"}),
    # Testing time
    "testers.timelog.approved": ActionCase(make=lambda status: factories.TimeLogFactory(status=status),
                                           actor=manager_of),
    "testers.timelog.rejected": ActionCase(make=lambda status: factories.TimeLogFactory(status=status),
                                           actor=manager_of, params=lambda log: {"reason": "Describe it."}),
    "testers.timelog.withdrawn": ActionCase(make=lambda status: factories.TimeLogFactory(status=status),
                                            actor=owner_of),
    "testers.timelog.corrected": ActionCase(make=lambda status: factories.TimeLogFactory(status=status),
                                            actor=site_admin,
                                            params=lambda log: {"minutes": 30, "reason": "Typed 90 for 30."}),
}


def test_every_testers_action_with_a_transition_is_walked():
    from atelier.actions import REGISTRY

    moving = {name for name, action in REGISTRY.items() if name.startswith("testers.") and action.transition}
    assert moving == set(CASES)


test_check_and_run_agree = walk(CASES)
test_check_and_run_agree_for_every_role = walk_roles(CASES)
