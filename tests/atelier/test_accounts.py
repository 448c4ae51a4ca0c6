"""Accounts: e-mail sign-in, invite-only sign-up, verification, reset, staff TOTP gate."""
import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from atelier.models import User
from testers.models import Membership
from tests import factories
from tests.conftest import totp_code

pytestmark = pytest.mark.django_db


def sign_in(client, email, password=factories.PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_artist_signs_in_with_email_and_password(artist, client):
    response = sign_in(client, artist.email)
    assert response.status_code == 302
    home = client.get(reverse("home"))
    assert home.wsgi_request.user == artist
    assert artist.artist_profile.display_name in home.content.decode()


def test_wrong_password_is_refused_with_a_message(artist, client):
    response = sign_in(client, artist.email, "not-the-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_failed_logins_are_rate_limited(artist, client):
    for _ in range(5):
        sign_in(client, artist.email, "wrong-password-1")
    response = sign_in(client, artist.email)  # even the right password is refused for now
    assert response.status_code == 429 or "Too many" in response.content.decode()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_signup_without_invitation_is_closed(client):
    response = client.get(reverse("account_signup"))
    assert "Sign up closed" in response.content.decode() or "closed" in response.content.decode().lower()
    client.post(reverse("account_signup"), {"email": "x@example.test", "password1": "a-long-pass-123",
                                            "password2": "a-long-pass-123"})
    assert not User.objects.filter(email="x@example.test").exists()


def test_signup_through_invitation_joins_program_without_extra_verification(client, program):
    invitation = factories.InvitationFactory(program=program, email="new.artist@example.test", cohort="spring")
    landing = client.get(reverse("testers:invitation", args=[invitation.token]))
    assert landing.status_code == 200
    assert program.name in landing.content.decode()
    response = client.post(reverse("account_signup"), {
        "email": "new.artist@example.test", "password1": "a-long-pass-123", "password2": "a-long-pass-123"})
    assert response.status_code == 302
    user = User.objects.get(email="new.artist@example.test")
    membership = Membership.objects.get(artist__user=user, program=program)
    assert membership.status == Membership.Status.ACTIVE and membership.cohort == "spring"
    assert EmailAddress.objects.get(user=user).verified  # the invitation proved the address
    invitation.refresh_from_db()
    assert invitation.status == "accepted" and invitation.accepted_by == user
    assert client.get(reverse("home")).wsgi_request.user == user


def test_used_expired_and_revoked_invitations_get_a_clear_page(client, program, artist):
    from datetime import timedelta

    from django.utils import timezone

    used = factories.InvitationFactory(program=program, status="accepted")
    expired = factories.InvitationFactory(program=program, expires_at=timezone.now() - timedelta(minutes=1))
    revoked = factories.InvitationFactory(program=program, status="revoked")
    for invitation, words in [(used, "already been used"), (expired, "expired"), (revoked, "withdrawn")]:
        response = client.get(reverse("testers:invitation", args=[invitation.token]))
        assert response.status_code == 410
        assert words in response.content.decode()
        # and the sign-up form stays closed
        assert "closed" in client.get(reverse("account_signup")).content.decode().lower()
    assert client.get(reverse("testers:invitation", args=["no-such-token"])).status_code == 404


def test_password_reset_by_email(client, artist):
    client.post(reverse("account_reset_password"), {"email": artist.email})
    assert len(mail.outbox) == 1
    link = re.search(r"/accounts/password/reset/key/\S+/", mail.outbox[0].body).group(0)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0] if form.redirect_chain else link,
                {"password1": "brand-new-pass-77", "password2": "brand-new-pass-77"})
    assert sign_in(client, artist.email, "brand-new-pass-77").status_code == 302


def test_sign_out(client, artist):
    client.force_login(artist)
    client.post(reverse("account_logout"))
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


def test_change_password(client, artist):
    client.force_login(artist)
    response = client.post(reverse("account_change_password"), {
        "oldpassword": factories.PASSWORD, "password1": "another-pass-8899", "password2": "another-pass-8899"})
    assert response.status_code == 302
    artist.refresh_from_db()
    assert artist.check_password("another-pass-8899")


def test_add_email_address_sends_verification(client, artist):
    client.force_login(artist)
    client.post(reverse("account_email"), {"action_add": "", "email": "second@example.test"})
    assert EmailAddress.objects.filter(user=artist, email="second@example.test", verified=False).exists()
    assert "second@example.test" in mail.outbox[-1].to


def test_staff_without_totp_is_sent_to_set_it_up(client, program):
    manager = factories.staff_user(program, "manager", totp=False)
    client.force_login(manager)
    for url in [reverse("staff_index"), reverse("testers:staff_program", args=[program.slug]), "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")


def test_staff_with_totp_signs_in_with_a_code(client, manager):
    response = sign_in(client, manager.email)
    assert response.status_code == 302 and response.url == reverse("mfa_authenticate")
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated
    bad = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert bad.status_code == 200
    client.post(reverse("mfa_authenticate"), {"code": totp_code(manager)})
    assert client.get(reverse("staff_index"), follow=True).status_code == 200
    assert client.get(reverse("home")).wsgi_request.user == manager


def test_staff_of_one_program_land_on_its_staff_page(client, program, manager):
    sign_in(client, manager.email)
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(manager)})
    assert response.status_code == 302
    assert response.url == reverse("testers:staff_program", args=[program.slug])


def test_staff_of_two_programs_or_also_artists_land_on_home(client, program, other_program, manager):
    factories.StaffRoleFactory(user=manager, program=other_program, role="reviewer")
    sign_in(client, manager.email)
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(manager)})
    assert response.url == reverse("home")
    client.logout()
    reviewer = factories.staff_user(program, "reviewer")
    factories.MembershipFactory(program=other_program, artist__user=reviewer)
    sign_in(client, reviewer.email)
    assert client.post(reverse("mfa_authenticate"), {"code": totp_code(reviewer)}).url == reverse("home")


def test_artist_may_use_the_site_without_totp(client, artist):
    client.force_login(artist)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200  # and may turn it on


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
