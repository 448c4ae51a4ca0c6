"""The bell and the notification centre in a real browser: the count in the layout, the centre, following a
notification to its object (which marks it read), and marking all read."""
import pytest
from playwright.sync_api import expect

from testers import actions
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_artist_sees_the_bell_opens_the_centre_follows_a_notification_and_marks_all_read(page):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    terms = factories.TermsVersionFactory(program=program, number=1)
    manager = factories.staff_user(program, "manager")
    membership = factories.MembershipFactory(program=program)
    factories.accept_terms(membership, terms)
    artist = membership.artist.user
    feedback = factories.FeedbackFactory(membership=membership, title="Export crashes on 4K video")
    log = factories.TimeLogFactory(membership=membership)
    # Real actions, committed: their events become notifications (and e-mails) as in production.
    actions.AcceptFeedback(manager, feedback).run()
    actions.ApproveTimeLog(manager, log).run()

    sign_in(page, artist.email, factories.PASSWORD)
    bell = page.locator("#notification-bell")
    expect(bell.get_by_test_id("unread-count")).to_have_text("2")

    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_text("2 unread.")).to_be_visible()
    page.get_by_role("link", name="Your feedback “Export crashes on 4K video” was accepted (Lumen Beta)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export crashes on 4K video")
    expect(page.locator("#notification-bell").get_by_test_id("unread-count")).to_have_text("1")

    page.locator("#notification-bell").click()
    expect(page.get_by_text("1 unread.")).to_be_visible()
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_text("All notifications marked read.")).to_be_visible()
    expect(page.get_by_text("Nothing unread.")).to_be_visible()
    expect(page.locator("#notification-bell").get_by_test_id("unread-count")).to_have_count(0)
