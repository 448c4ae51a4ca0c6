"""axe-core on the main portal and staff pages: any violation fails, with the rule, its impact and the elements.

axe-core is vendored for the tests only (tests/browser/vendor/, MPL-2.0, from npm) and injected with Playwright's
add_script_tag. The page's CSP allows no inline script, so the scanning context bypasses CSP: that lets axe in
and changes nothing axe checks (markup, names, contrast, landmarks)."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from testers.models import StaffRole
from tests import factories
from tests.browser.conftest import sign_in
from tests.conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1.min.js"


def violations(page, path):
    response = page.goto(path)
    assert response.ok and "/accounts/" not in page.url, f"{path} answered {response.status} at {page.url}"
    page.wait_for_load_state("networkidle")
    return violations_here(page, path)


def violations_here(page, where):
    """axe-core's violations on the page as it is now, one line each."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const result = await axe.run(document);
        return {passes: result.passes.length,
                violations: result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                             nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}))};
    }""")
    assert result["passes"] > 10, f"axe checked almost nothing on {where}"
    return [f"{where}: {v['id']} ({v['impact']}) {v['help']} — {', '.join(v['nodes'])}" for v in result["violations"]]


def _world():
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    terms = factories.TermsVersionFactory(program=program, number=1)
    membership = factories.MembershipFactory(program=program, artist__display_name="Ana Lima")
    factories.accept_terms(membership, terms)
    factories.FeedbackFactory(membership=membership, title="Export crashes")
    factories.TimeLogFactory(membership=membership)
    factories.InvitationFactory(program=program)
    manager = factories.staff_user(program, "manager")
    for role in ("reviewer", "finance"):
        StaffRole.objects.create(user=manager, program=program, role=role)
    return program, membership, manager


ARTIST_PAGES = ["/", "/feedback/", "/feedback/new/", "/time/", "/terms/lumen-beta/", "/terms/lumen-beta/history/",
                "/terms/lumen-beta/v1/", "/profile/", "/earnings/", "/share-requests/", "/notifications/",
                "/time-zone/", "/payout-account/"]
STAFF_PAGES = ["/staff/", "/staff/lumen-beta/", "/staff/lumen-beta/artists/", "/staff/lumen-beta/invitations/",
               "/staff/lumen-beta/feedback/", "/staff/lumen-beta/time/", "/staff/lumen-beta/terms/",
               "/staff/lumen-beta/review/", "/staff/lumen-beta/ledger/", "/staff/lumen-beta/payouts/",
               "/staff/lumen-beta/reports/", "/staff/lumen-beta/dashboard/", "/staff/lumen-beta/settings/",
               "/staff/lumen-beta/team/", "/staff/lumen-beta/audit/", "/staff/lumen-beta/payouts/reconciliation/",
               "/staff/lumen-beta/terms/1/acceptance/", "/staff/lumen-beta/rates/"]


def test_portal_pages_have_no_axe_violations(axe_page):
    program, membership, manager = _world()
    sign_in(axe_page, membership.artist.user.email, factories.PASSWORD)
    expect(axe_page.get_by_role("button", name="Sign out")).to_be_visible()
    found = [line for path in ARTIST_PAGES for line in violations(axe_page, path)]
    assert not found, "\n".join(found)


def test_staff_pages_have_no_axe_violations(axe_page):
    program, membership, manager = _world()
    sign_in(axe_page, manager.email, factories.PASSWORD)
    axe_page.get_by_label("Code").fill(totp_code(manager))
    axe_page.get_by_role("button", name="Sign In").click()
    expect(axe_page.get_by_role("button", name="Sign out")).to_be_visible()
    found = [line for path in STAFF_PAGES + [f"/staff/lumen-beta/artists/{membership.pk}/"]
             for line in violations(axe_page, path)]
    # The artist autocomplete with its suggestions open, and a bulk confirmation page.
    axe_page.goto("/staff/lumen-beta/review/")
    axe_page.get_by_label("Artist").press_sequentially("ana", delay=50)
    expect(axe_page.get_by_role("link", name="Ana Lima")).to_be_visible()
    found += violations_here(axe_page, "review queue with artist suggestions")
    axe_page.goto("/staff/lumen-beta/time/")
    axe_page.locator('input[name="ids"]').first.check()
    axe_page.get_by_role("button", name="Review…").click()
    expect(axe_page.get_by_role("heading", level=1)).to_contain_text("time log")
    found += violations_here(axe_page, "bulk confirmation")
    assert not found, "\n".join(found)


def test_the_scan_finds_a_violation_when_there_is_one(axe_page):
    program, membership, manager = _world()
    sign_in(axe_page, membership.artist.user.email, factories.PASSWORD)
    expect(axe_page.get_by_role("button", name="Sign out")).to_be_visible()
    axe_page.goto("/feedback/")
    axe_page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>')")
    axe_page.add_script_tag(path=str(AXE))
    ids = axe_page.evaluate("async () => (await axe.run(document)).violations.map(v => v.id)")
    assert "label" in ids
