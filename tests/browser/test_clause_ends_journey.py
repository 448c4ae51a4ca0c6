"""Confidentiality that ends, in a browser: the artist sees a clause's end ahead of time; the manager creates the
milestone, confirms and announces it; the artist then finds the clause free to share. The two new staff pages and
the artist's page pass axe-core."""
import pytest
from playwright.sync_api import expect

from testers.models import Clause, Milestone
from tests import factories
from tests.browser.conftest import sign_in
from tests.browser.test_axe import violations, violations_here
from tests.conftest import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_announces_the_launch_and_the_artist_may_share_what_ended(axe_page, browser, live_server):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    terms = factories.TermsVersionFactory(program=program, number=1)
    membership = factories.MembershipFactory(program=program, artist__display_name="Ana Lima")
    factories.accept_terms(membership, terms)
    manager = factories.staff_user(program, "manager")
    launch = Milestone.objects.create(program=program, name="public launch", created_by=manager)
    secret = terms.clauses.get(klass=Clause.Klass.CONFIDENTIAL)
    Clause.objects.filter(pk=secret.pk).update(ends_at_milestone=launch)

    artist = browser.new_context(base_url=live_server.url, bypass_csp=True).new_page()
    sign_in(artist, membership.artist.user.email, factories.PASSWORD)
    expect(artist.get_by_role("button", name="Sign out")).to_be_visible()
    found = violations(artist, "/what-can-i-share/")
    confidential = artist.locator(".share-column--confidential")
    expect(confidential).to_contain_text("Unreleased features")
    expect(confidential).to_contain_text("Confidential until public launch is announced.")

    sign_in(axe_page, manager.email, factories.PASSWORD)
    axe_page.get_by_label("Code").fill(totp_code(manager))
    axe_page.get_by_role("button", name="Sign In").click()
    expect(axe_page.get_by_role("button", name="Sign out")).to_be_visible()
    axe_page.goto("/staff/lumen-beta/")
    axe_page.get_by_role("link", name="Milestones").click()
    found += violations_here(axe_page, "milestones")
    axe_page.get_by_label("Name").fill("Open beta")
    axe_page.get_by_role("button", name="Create milestone").click()
    expect(axe_page.get_by_role("table")).to_contain_text("Open beta")
    axe_page.locator("tr", has_text="public launch").get_by_role("link", name="Announce…").click()
    expect(axe_page.get_by_role("heading", level=1)).to_contain_text("Announce “public launch”")
    expect(axe_page.get_by_role("main")).to_contain_text("Unreleased features")
    found += violations_here(axe_page, "announce confirmation")
    axe_page.get_by_role("button", name="Announce it now").click()
    expect(axe_page.get_by_text("“public launch” announced")).to_be_visible()
    expect(axe_page.locator("tr", has_text="public launch")).to_contain_text("Announced")

    artist.reload()
    free = artist.locator(".share-column--free_to_share")
    expect(free).to_contain_text("Unreleased features")
    expect(free).to_contain_text("Was confidential until public launch is announced: free to share since")
    expect(artist.locator(".share-column--confidential")).not_to_contain_text("Unreleased features")
    artist.goto("/notifications/")
    expect(artist.get_by_role("main")).to_contain_text("Now free to share: §1 Unreleased features")
    artist.context.close()
    assert not found, "\n".join(found)
