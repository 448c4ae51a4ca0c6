"""Each role against each action, including another program's objects."""
import pytest
from django.http import Http404

from atelier.permissions import RULES, can, get_object_for, scope
from testers.models import Feedback
from tests import factories

pytestmark = pytest.mark.django_db

# action -> roles of the object's own program that may do it ("owner": the artist whose object it is)
EXPECTED = {
    "program.view_staff": {"manager", "reviewer", "finance"},
    "program.manage": {"manager"},
    "staff_role.manage": {"manager"},
    "invitation.manage": {"manager"},
    "terms.manage": {"manager"},
    "terms.view": {"manager", "reviewer", "finance", "owner", "member"},
    "feedback.view": {"manager", "finance", "owner"},
    "feedback.triage": {"manager"},
    "feedback.create": {"owner"},
    "timelog.approve": {"manager"},
    "timelog.view": {"manager", "finance", "owner"},
    "share_request.decide": {"manager", "reviewer"},
    "share_request.view": {"manager", "reviewer", "owner"},
    "ratecard.manage": {"manager"},
    "ledger.view": {"manager", "finance", "owner"},
    "ledger.adjust": {"manager", "finance"},
    "payout_run.create": {"finance"},
    "payout_run.view": {"manager", "finance"},
    "reports.view": {"manager", "finance"},
    "statement.view": {"manager", "finance", "owner"},
    "payout_account.manage": {"owner"},
    "program.create": set(),
}


@pytest.fixture
def people(program, other_program):
    owner_membership = factories.MembershipFactory(program=program)
    feedback = factories.FeedbackFactory(membership=owner_membership)
    return {
        "manager": factories.staff_user(program, "manager"),
        "reviewer": factories.staff_user(program, "reviewer"),
        "finance": factories.staff_user(program, "finance"),
        "owner": owner_membership.artist.user,
        "member": factories.MembershipFactory(program=program).artist.user,
        "other_manager": factories.staff_user(other_program, "manager"),
        "other_finance": factories.staff_user(other_program, "finance"),
        "other_artist": factories.MembershipFactory(program=other_program).artist.user,
        "stranger": factories.UserFactory(),
        "admin": factories.UserFactory(is_superuser=True, totp=True),
        "_feedback": feedback,
    }


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_each_role_against_each_action(people, action):
    obj = people["_feedback"]
    for who in ["manager", "reviewer", "finance", "owner", "member"]:
        expected = who in EXPECTED[action]
        assert can(people[who], action, obj) is expected, f"{who} {action}"
    for who in ["other_manager", "other_finance", "other_artist", "stranger"]:
        assert can(people[who], action, obj) is False, f"{who} {action} across programs"
    # Site admins hold every staff rule, never an artist's own: they do not send feedback or consent for them.
    assert can(people["admin"], action, obj) is bool(RULES[action].staff or RULES[action].admin_only)


def test_every_action_in_the_table_is_known():
    assert set(EXPECTED) <= set(RULES)


def test_payout_run_creator_cannot_approve_it(program):
    creator = factories.staff_user(program, "finance")
    colleague = factories.staff_user(program, "finance")

    class Run:  # the rule only reads these attributes
        program_id = program.pk
        created_by_id = creator.pk

    assert not can(creator, "payout_run.approve", Run())
    assert can(colleague, "payout_run.approve", Run())


def test_scope_lists_only_what_the_user_may_see(people, program, other_program):
    theirs = factories.FeedbackFactory(membership=factories.MembershipFactory(program=other_program))
    mine = people["_feedback"]
    kwargs = {"program_path": "membership__program", "owner_path": "membership__artist__user"}
    assert set(scope(Feedback.objects.all(), people["manager"], "feedback.view", **kwargs)) == {mine}
    assert set(scope(Feedback.objects.all(), people["owner"], "feedback.view", **kwargs)) == {mine}
    assert set(scope(Feedback.objects.all(), people["member"], "feedback.view", **kwargs)) == set()
    assert set(scope(Feedback.objects.all(), people["other_manager"], "feedback.view", **kwargs)) == {theirs}
    assert scope(Feedback.objects.all(), people["admin"], "feedback.view", **kwargs).count() == 2


def test_guessed_id_of_another_programs_object_is_404(people):
    with pytest.raises(Http404):
        get_object_for(people["other_manager"], "feedback.view", Feedback.objects.all(),
                       program_path="membership__program", owner_path="membership__artist__user",
                       pk=people["_feedback"].pk)


def test_staff_program_page_is_404_for_other_programs_staff(client, people, program):
    client.force_login(people["other_manager"])
    assert client.get(f"/staff/{program.slug}/").status_code == 404
    client.force_login(people["manager"])
    assert client.get(f"/staff/{program.slug}/").status_code == 200


def test_only_site_admin_may_create_programs(people):
    assert not can(people["manager"], "program.create")
    assert can(people["admin"], "program.create")


def test_inactive_user_may_do_nothing(people):
    people["manager"].is_active = False
    assert not can(people["manager"], "feedback.triage", people["_feedback"])



def test_site_admin_without_totp_is_refused_staff_rules_with_the_reason(people):
    admin = factories.UserFactory(is_superuser=True, totp=False)
    from atelier.permissions import why_not

    refusal = why_not(admin, "feedback.triage", people["_feedback"])
    assert refusal is not None and refusal.kind == "mfa" and "two-factor" in refusal


def test_staff_without_totp_reach_staff_data_nowhere(program, people):
    from atelier.errors import TwoFactorRequired

    manager = factories.staff_user(program, "manager", totp=False)
    assert not can(manager, "feedback.view", people["_feedback"])
    assert scope(Feedback.objects.all(), manager, "feedback.view").count() == 0
    with pytest.raises(TwoFactorRequired):
        get_object_for(manager, "feedback.view", Feedback.objects.all(), program_path="membership__program",
                       pk=people["_feedback"].pk)


def test_paused_artist_keeps_reading_but_loses_active_only_rules(program):
    from atelier.permissions import why_not

    membership = factories.MembershipFactory(program=program, status="paused")
    feedback = factories.FeedbackFactory(membership=membership)
    user = membership.artist.user
    assert can(user, "feedback.view", feedback)
    refusal = why_not(user, "feedback.comment", feedback)
    assert refusal.kind == "participation" and "paused" in refusal
