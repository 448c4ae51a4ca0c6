"""The team page: managers (and site admins) invite staff by e-mail with a role, change and revoke roles, and
see who set up TOTP; every change is an audited action; a program keeps at least one manager."""
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry
from testers import actions
from testers.models import StaffRole
from tests import factories

pytestmark = pytest.mark.django_db


def team(program):
    return reverse("testers:staff_team", args=[program.slug])


def test_team_page_lists_staff_with_roles_and_totp(client, program, manager, django_assert_max_num_queries):
    factories.staff_user(program, "reviewer", totp=False, email="no.totp@example.test", first_name="Noor")
    for i in range(15):
        factories.staff_user(program, "finance", email=f"fin{i}@example.test")
    client.force_login(manager)
    with django_assert_max_num_queries(60):
        response = client.get(team(program))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no.totp@example.test" in html and "Noor" in html and "Not set up" in html and "Set up" in html
    assert manager.email in html and "Program manager" in html


def test_inviting_an_existing_person_grants_the_role_and_tells_them(client, program, manager, mailoutbox,
                                                                    django_capture_on_commit_callbacks):
    person = factories.UserFactory(email="sam@example.test")
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(team(program), {"email": "Sam@Example.test", "role": "reviewer"})
    assert response.status_code == 302
    assert StaffRole.objects.filter(user=person, program=program, role="reviewer").exists()
    entry = AuditLogEntry.objects.get(action="testers.staff_role.invited")
    assert entry.actor == manager and entry.program == program and entry.data["account"] == "existing"
    assert entry.data["after"] == {"user": "sam@example.test", "role": "reviewer"}
    assert len(mailoutbox) == 1 and "reviewer of" in mailoutbox[0].subject
    assert "password/reset/key" not in mailoutbox[0].body


def test_inviting_an_unknown_address_makes_an_account_with_a_set_password_link(
        client, program, manager, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(team(program), {"email": "new.finance@example.test", "role": "finance"})
    user = get_user_model().objects.get(email="new.finance@example.test")
    assert not user.has_usable_password()
    assert EmailAddress.objects.filter(user=user, email=user.email, verified=True).exists()
    assert StaffRole.objects.filter(user=user, program=program, role="finance").exists()
    assert AuditLogEntry.objects.get(action="testers.staff_role.invited").data["account"] == "created"
    body = mailoutbox[0].body
    assert "/accounts/password/reset/key/" in body and "two-factor" in body


def test_inviting_twice_is_refused_with_a_sentence(client, program, manager):
    client.force_login(manager)
    response = client.post(team(program), {"email": manager.email, "role": "manager"})
    assert response.status_code == 200 and "is already program manager of" in response.content.decode()
    assert not AuditLogEntry.objects.filter(action="testers.staff_role.invited").exists()


def test_manager_changes_a_role(client, program, manager, reviewer):
    role = StaffRole.objects.get(user=reviewer, program=program)
    client.force_login(manager)
    client.post(reverse("testers:staff_role_change", args=[program.slug, role.pk]), {"role": "finance"})
    role.refresh_from_db()
    assert role.role == "finance"
    entry = AuditLogEntry.objects.get(action="testers.staff_role.changed")
    assert entry.data["before"] == {"role": "reviewer"} and entry.data["after"] == {"role": "finance"}
    assert entry.data["user"] == reviewer.email and entry.program == program


def test_manager_revokes_a_role(client, program, manager, reviewer):
    role = StaffRole.objects.get(user=reviewer, program=program)
    client.force_login(manager)
    client.post(reverse("testers:staff_role_revoke", args=[program.slug, role.pk]))
    assert not StaffRole.objects.filter(pk=role.pk).exists()
    entry = AuditLogEntry.objects.get(action="testers.staff_role.revoke")
    assert entry.actor == manager and entry.data["before"] == {"user": reviewer.email, "role": "reviewer"}


def test_the_last_manager_role_is_neither_revoked_nor_changed(client, program, manager):
    role = StaffRole.objects.get(user=manager, program=program)
    client.force_login(manager)
    response = client.post(reverse("testers:staff_role_revoke", args=[program.slug, role.pk]), follow=True)
    assert "A program keeps at least one manager" in response.content.decode()
    response = client.post(reverse("testers:staff_role_change", args=[program.slug, role.pk]), {"role": "finance"},
                           follow=True)
    assert "A program keeps at least one manager" in response.content.decode()
    assert StaffRole.objects.get(pk=role.pk).role == "manager"
    assert not AuditLogEntry.objects.filter(action__startswith="testers.staff_role.").exists()


def test_a_manager_may_step_down_once_another_manager_exists(program, manager):
    factories.staff_user(program, "manager")
    actions.RevokeStaffRole(manager, StaffRole.objects.get(user=manager, program=program)).run()
    assert not StaffRole.objects.filter(user=manager, program=program).exists()


@pytest.mark.parametrize("role", ["reviewer", "finance"])
def test_other_staff_and_artists_get_a_404(client, program, manager, role, artist):
    target = StaffRole.objects.get(user=manager)
    for user in (factories.staff_user(program, role), artist):
        client.force_login(user)
        assert client.get(team(program)).status_code == 404
        assert client.post(team(program), {"email": "x@example.test", "role": "manager"}).status_code == 404
        assert client.post(reverse("testers:staff_role_revoke", args=[program.slug, target.pk])).status_code == 404
    assert not get_user_model().objects.filter(email="x@example.test").exists()


def test_a_manager_of_another_program_cannot_touch_this_team(program, other_program, manager):
    stranger = factories.staff_user(other_program, "manager")
    role = StaffRole.objects.get(user=manager)
    assert actions.ChangeStaffRole(stranger, role, role="finance").check().kind == "permission"
    with pytest.raises(ActionRefused):
        actions.InviteStaff(stranger, program=program, email="y@example.test", role="manager").run()


def test_site_admin_uses_the_team_page(client, program, manager, site_admin):
    client.force_login(site_admin)
    assert client.post(team(program), {"email": "z@example.test", "role": "manager"}).status_code == 302
    assert AuditLogEntry.objects.get(action="testers.staff_role.invited").actor == site_admin
