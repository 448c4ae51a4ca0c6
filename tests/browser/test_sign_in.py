"""Main journeys of the foundation, in a real browser."""
import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in
from tests.conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_artist_signs_in_and_sees_their_home(page):
    membership = factories.MembershipFactory(artist__display_name="Ana Lima", program__name="Lumen Beta")
    sign_in(page, membership.artist.user.email, factories.PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello, Ana Lima")
    expect(page.get_by_role("heading", name="Lumen Beta")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).not_to_contain_text("Staff")


def test_staff_user_signs_in_with_a_totp_code(page):
    program = factories.ProgramFactory(name="Lumen Beta")
    manager = factories.staff_user(program, "manager")
    sign_in(page, manager.email, factories.PASSWORD)
    expect(page.get_by_label("Code")).to_be_visible()
    page.get_by_label("Code").fill(totp_code(manager))
    page.get_by_role("button", name="Sign In").click()
    page.goto("/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lumen Beta")
