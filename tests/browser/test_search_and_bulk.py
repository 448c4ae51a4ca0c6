"""Search and bulk work in a real browser: the artist autocomplete (htmx, under the site's CSP) filters the review
queue, and bulk approval goes through its confirmation page. (test_axe.py scans both pages.)"""
import pytest
from playwright.sync_api import expect

from testers.models import StaffRole, TimeLog
from tests import factories
from tests.browser.conftest import sign_in
from tests.conftest import totp_code
from tests.content_review.factories import member_with_terms, submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_artist_autocomplete_filters_the_queue_and_bulk_approval_confirms_first(page, tmp_path):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    ana = member_with_terms(program, artist__display_name="Ana Lima")
    ben = member_with_terms(program, artist__display_name="Ben Okafor")
    submitted(ana, tmp_path, title="Harbour at night")
    submitted(ben, tmp_path, title="Market in the rain")
    logs = [factories.TimeLogFactory(membership=m) for m in (ana, ben)]
    manager = factories.staff_user(program, "manager")
    StaffRole.objects.create(user=manager, program=program, role="reviewer")
    sign_in(page, manager.email, factories.PASSWORD)
    page.get_by_label("Code").fill(totp_code(manager))
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lumen Beta")  # staff of one program land there

    page.goto(f"/staff/{program.slug}/review/")
    expect(page.get_by_role("link", name="Market in the rain")).to_be_visible()
    page.get_by_label("Artist").press_sequentially("ana", delay=50)
    suggestion = page.get_by_role("link", name="Ana Lima")
    expect(suggestion).to_be_visible()
    suggestion.click()
    expect(page.get_by_text("Showing Ana Lima only.")).to_be_visible()
    expect(page.get_by_role("link", name="Harbour at night")).to_be_visible()
    expect(page.get_by_role("link", name="Market in the rain")).to_have_count(0)

    page.goto(f"/staff/{program.slug}/time/")
    for log in logs:
        page.locator(f'input[name="ids"][value="{log.pk}"]').check()
    page.get_by_label("With the ticked rows").select_option("approve")
    page.get_by_role("button", name="Review…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Approve 2 time logs?")
    assert TimeLog.objects.filter(status="approved").count() == 0
    page.get_by_role("button", name="Approve 2 time logs").click()
    expect(page.get_by_text("2 time logs approved.")).to_be_visible()
    assert TimeLog.objects.filter(status="approved").count() == 2
