"""Testers journeys in a real browser: invitation and sign-up, terms, feedback with an image, triage."""
import re

import pytest
from playwright.sync_api import expect

from testers.models import Feedback
from tests import factories
from tests.browser.conftest import sign_in
from tests.conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_invited_artist_signs_up_accepts_terms_sends_feedback_and_sees_it_accepted(page, browser, live_server,
                                                                                    tmp_path):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    factories.TermsVersionFactory(program=program, number=1)
    manager = factories.staff_user(program, "manager")
    invitation = factories.InvitationFactory(program=program, email="new.artist@example.test", name="Nia Artist")

    # 1. Accept the invitation and sign up.
    page.goto(f"/invitations/{invitation.token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("You're invited to Lumen Beta")
    page.get_by_role("link", name="Create your account").click()
    expect(page.get_by_label("Email")).to_have_value("new.artist@example.test")
    page.get_by_label("Password:", exact=True).fill("a-long-pass-123")
    page.get_by_label("Password (again)").fill("a-long-pass-123")
    page.get_by_role("button", name=re.compile("Sign up", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Nia Artist")
    expect(page.get_by_role("heading", name="Lumen Beta")).to_be_visible()

    # 2. Accept the terms.
    page.get_by_role("link", name="Read and accept the terms").click()
    expect(page.get_by_role("heading", name="Unreleased features")).to_be_visible()
    page.get_by_label("I have read version 1 of these terms and I accept them").check()
    page.get_by_role("button", name="Accept the terms").click()
    expect(page.get_by_text("You accepted version 1 of the Lumen Beta terms.")).to_be_visible()
    page.get_by_role("link", name="What can I share?").first.click()
    expect(page.get_by_role("heading", name="Confidential")).to_be_visible()
    expect(page.get_by_role("heading", name="Free to share")).to_be_visible()

    # 3. Send feedback with an image.
    screenshot = tmp_path / "crash.png"
    screenshot.write_bytes(factories.png_bytes(800, 600))
    page.goto("/feedback/new/")
    page.get_by_label("Kind").select_option("bug")
    page.get_by_label("Severity").select_option("high")
    page.get_by_label("Title").fill("Export crashes on 4K video")
    page.get_by_label("What happened").fill("Every time I export a 4K clip, the app closes.")
    page.get_by_label("Images").set_input_files(str(screenshot))
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export crashes on 4K video")
    expect(page.locator(".badge--new").first).to_be_visible()
    thumbnail = page.get_by_role("img", name="crash.png")
    expect(thumbnail).to_be_visible()
    feedback = Feedback.objects.get()

    # 4. A manager accepts it...
    staff_context = browser.new_context(base_url=live_server.url)
    staff_page = staff_context.new_page()
    sign_in(staff_page, manager.email, factories.PASSWORD)
    staff_page.get_by_label("Code").fill(totp_code(manager))
    staff_page.get_by_role("button", name="Sign In").click()
    staff_page.goto(f"/staff/{program.slug}/feedback/")
    staff_page.get_by_role("link", name="Export crashes on 4K video").click()
    staff_page.get_by_label("New status").select_option("accepted")
    staff_page.get_by_label("Message to the artist").fill("Confirmed — thank you!")
    staff_page.get_by_role("button", name="Change status").click()
    expect(staff_page.get_by_text("Status changed; the artist sees it.")).to_be_visible()
    staff_context.close()

    # ...and the artist sees the new status.
    page.goto("/")
    expect(page.get_by_role("link", name="Export crashes on 4K video")).to_be_visible()
    expect(page.locator(".badge--accepted").first).to_have_text("Accepted")
    page.goto(f"/feedback/{feedback.pk}/")
    expect(page.get_by_text("Confirmed — thank you!")).to_be_visible()
    feedback.refresh_from_db()
    assert feedback.status == "accepted" and feedback.accepted_by == manager


def test_expired_invitation_shows_a_clear_page(page):
    from datetime import timedelta

    from django.utils import timezone

    invitation = factories.InvitationFactory(expires_at=timezone.now() - timedelta(days=1))
    page.goto(f"/invitations/{invitation.token}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("This invitation can't be used")
    expect(page.get_by_text("This invitation has expired.")).to_be_visible()


def test_an_invitation_link_is_refused_to_another_address_with_a_clear_message(page):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    invitation = factories.InvitationFactory(program=program, email="invited@example.test")

    # Signing up with another address is refused on the form; no account is created.
    page.goto(f"/invitations/{invitation.token}/")
    page.get_by_role("link", name="Create your account").click()
    page.get_by_label("Email").fill("someone.else@example.test")
    page.get_by_label("Password:", exact=True).fill("a-long-pass-123")
    page.get_by_label("Password (again)").fill("a-long-pass-123")
    page.get_by_role("button", name=re.compile("Sign up", re.I)).click()
    expect(page.get_by_text("This invitation was sent to invited@example.test")).to_be_visible()
    from atelier.models import User

    assert not User.objects.filter(email="someone.else@example.test").exists()

    # Someone else, signed in, sees why the link is not theirs and no Join button.
    other = factories.MembershipFactory(program=factories.ProgramFactory()).artist.user
    sign_in(page, other.email, factories.PASSWORD)
    page.goto(f"/invitations/{invitation.token}/")
    expect(page.get_by_text("This invitation was sent to invited@example.test")).to_be_visible()
    expect(page.get_by_role("button", name="Join Lumen Beta")).to_have_count(0)
    invitation.refresh_from_db()
    assert invitation.status == "pending"
