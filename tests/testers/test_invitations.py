"""Invitations: one at a time or by CSV (all or nothing), resend, revoke, the link, joining."""
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from atelier.errors import DomainError
from testers.models import Invitation, Membership
from testers.services import invitations as services
from tests import factories

pytestmark = pytest.mark.django_db


def test_manager_invites_an_artist_and_the_email_has_an_absolute_link(client, manager, program, settings,
                                                                      django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://atelier.example"
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("testers:staff_invitations", args=[program.slug]),
                               {"name": "Kai Müller", "email": "Kai@Example.test", "cohort": "autumn"})
    assert response.status_code == 302
    invitation = Invitation.objects.get(program=program)
    assert invitation.email == "kai@example.test" and invitation.cohort == "autumn"
    assert invitation.expires_at > timezone.now() + timedelta(days=13)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["kai@example.test"]
    assert f"https://atelier.example/invitations/{invitation.token}/" in mail.outbox[0].body


def test_inviting_a_pending_or_member_address_again_is_refused(program, manager, artist_membership):
    services.invite_artist(program=program, email="a@example.test", by=manager)
    with pytest.raises(DomainError, match="pending invitation"):
        services.invite_artist(program=program, email="A@example.test", by=manager)
    with pytest.raises(DomainError, match="already a member"):
        services.invite_artist(program=program, email=artist_membership.artist.user.email, by=manager)


def test_resend_gives_a_new_link_and_the_old_one_stops_working(client, program, manager,
                                                               django_capture_on_commit_callbacks):
    invitation = factories.InvitationFactory(program=program, expires_at=timezone.now() - timedelta(days=1))
    old_token = invitation.token
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("testers:staff_invitation_resend", args=[program.slug, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.token != old_token and invitation.is_usable and invitation.sent_count == 1
    assert invitation.token in mail.outbox[-1].body
    client.logout()
    assert client.get(reverse("testers:invitation", args=[old_token])).status_code == 404
    assert client.get(reverse("testers:invitation", args=[invitation.token])).status_code == 200


def test_revoked_invitation_gets_a_clear_page_and_cannot_be_resent(client, program, manager):
    invitation = factories.InvitationFactory(program=program)
    client.force_login(manager)
    client.post(reverse("testers:staff_invitation_revoke", args=[program.slug, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.REVOKED
    with pytest.raises(DomainError):
        services.resend_invitation(invitation=invitation, by=manager)
    client.logout()
    response = client.get(reverse("testers:invitation", args=[invitation.token]))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_invitation_token_is_single_use(client, program):
    invitation = factories.InvitationFactory(program=program)
    user = factories.UserFactory(email=invitation.email)
    services.accept_invitation(token=invitation.token, user=user)
    with pytest.raises(services.InvitationUnusable):
        services.accept_invitation(token=invitation.token, user=user)
    assert client.get(reverse("testers:invitation", args=[invitation.token])).status_code == 410


def test_signed_in_person_joins_the_program_by_following_the_link(client, program, other_program):
    someone = factories.MembershipFactory(program=other_program).artist.user
    invitation = factories.InvitationFactory(program=program, email=someone.email, cohort="spring")
    client.force_login(someone)
    page = client.get(reverse("testers:invitation", args=[invitation.token]))
    assert "Join " + program.name in page.content.decode()
    client.post(reverse("testers:invitation", args=[invitation.token]))
    membership = Membership.objects.get(program=program, artist__user=someone)
    assert membership.status == Membership.Status.ACTIVE and membership.cohort == "spring"


def test_existing_account_signs_in_from_the_invitation_and_joins(client, program, other_program):
    someone = factories.MembershipFactory(program=other_program).artist.user
    invitation = factories.InvitationFactory(program=program, email=someone.email)
    client.get(reverse("testers:invitation", args=[invitation.token]))
    client.post(reverse("account_login"), {"login": someone.email, "password": factories.PASSWORD})
    assert Membership.objects.filter(program=program, artist__user=someone).exists()


CSV_WITH_ERRORS = (
    "name,email,cohort\n"
    "Ana Lima,ana@example.test,spring\n"
    "No Mail,not-an-address,spring\n"
    "Ben,ben@example.test\n"
    "Ana Again,ANA@example.test,autumn\n"
    "Too,many,columns,here\n"
)


def test_csv_with_bad_rows_reports_each_by_line_number_and_imports_nothing(client, program, manager):
    client.force_login(manager)
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("artists.csv", CSV_WITH_ERRORS.encode(), content_type="text/csv")
    response = client.post(reverse("testers:staff_invitations_import", args=[program.slug]), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 400
    assert "nothing was imported" in html
    for line in (3, 5, 6):
        assert f'<td class="num">{line}</td>' in html
    assert "not-an-address" in html and "already on line 2" in html
    assert not Invitation.objects.exists()


def test_csv_rows_already_invited_or_members_are_reported(program, manager, artist_membership):
    factories.InvitationFactory(program=program, email="pending@example.test")
    data = f"A,pending@example.test\nB,{artist_membership.artist.user.email}\n".encode()
    with pytest.raises(services.CsvRejected) as rejected:
        services.import_invitations(program=program, data=data, by=manager)
    assert [line for line, _ in rejected.value.errors] == [1, 2]


def test_a_good_csv_invites_everyone_and_sends_each_an_email(program, manager, django_capture_on_commit_callbacks):
    data = "\ufeffname,email,cohort\nAna,ana@example.test,spring\n\nBen,ben@example.test\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        created = services.import_invitations(program=program, data=data, by=manager)
    assert {i.email for i in created} == {"ana@example.test", "ben@example.test"}
    assert {i.cohort for i in created} == {"spring", ""}
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.test", "ben@example.test"]


def test_a_windows_encoded_csv_is_decoded(program, manager):
    data = "Zoë Müller,zoe@example.test,été\r\n".encode("cp1252")
    created = services.import_invitations(program=program, data=data, by=manager)
    assert [(i.name, i.cohort) for i in created] == [("Zoë Müller", "été")]


def test_a_file_neither_utf8_nor_windows_is_refused_with_the_line_that_failed(client, program, manager):
    data = b"Ana,ana@example.test\nB\x81n,ben@example.test\n"
    with pytest.raises(services.CsvRejected) as rejected:
        services.parse_invitation_csv(program, data)
    assert rejected.value.rows == [(2, "B\ufffdn,ben@example.test", rejected.value.errors[0][1])]
    assert "neither UTF-8 nor Windows" in rejected.value.errors[0][1]


def test_import_errors_show_each_lines_content(client, program, manager):
    client.force_login(manager)
    upload = SimpleUploadedFile("people.csv", b"Ana,ana@example.test\nBen,not-an-address,spring\n")
    response = client.post(reverse("testers:staff_invitations_import", args=[program.slug]), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 400 and "<code>Ben,not-an-address,spring</code>" in html


def test_a_file_that_is_not_utf8_is_refused(program, manager):
    with pytest.raises(services.CsvRejected, match="problem"):
        services.import_invitations(program=program, data="Zoë,z@example.test".encode("utf-16"), by=manager)


@pytest.mark.parametrize("role", ["reviewer", "finance"])
def test_only_managers_reach_invitation_pages(client, program, role):
    user = factories.staff_user(program, role)
    client.force_login(user)
    assert client.get(reverse("testers:staff_invitations", args=[program.slug])).status_code == 404
    invitation = factories.InvitationFactory(program=program)
    assert client.post(reverse("testers:staff_invitation_revoke", args=[program.slug, invitation.pk])).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_manager_of_another_program_cannot_revoke_its_invitations(client, program, other_program):
    invitation = factories.InvitationFactory(program=program)
    client.force_login(factories.staff_user(other_program, "manager"))
    url = reverse("testers:staff_invitation_revoke", args=[program.slug, invitation.pk])
    assert client.post(url).status_code == 404
    url = reverse("testers:staff_invitation_revoke", args=[other_program.slug, invitation.pk])
    assert client.post(url).status_code == 404
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
