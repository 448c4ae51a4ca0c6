"""Content review journeys in a real browser: submit and see it processed; approve with an embargo; showcase."""
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from content_review import services
from content_review.models import ShareRequest
from tests import factories
from tests.browser.conftest import sign_in
from tests.conftest import totp_code
from tests.content_review import mediafiles
from tests.content_review.factories import member_with_terms, submitted

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_artist_submits_an_image_and_sees_it_processed(page, tmp_path):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    member = member_with_terms(program, artist__display_name="Ana Lima")
    image = mediafiles.make_jpeg(tmp_path / "sunset.jpg", w=640, h=480)
    sign_in(page, member.artist.user.email, factories.PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Share requests").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Share requests")
    page.get_by_role("link", name="New share request").click()
    page.get_by_label("Title").fill("Sunset over the bay")
    page.get_by_label("Instagram").check()
    notice = page.get_by_text("these works need no review")
    expect(notice).to_be_hidden()
    page.get_by_label("§3 That you take part — Free to share").check()
    expect(notice).to_be_visible()  # said before anything is submitted
    page.get_by_label("§3 That you take part — Free to share").uncheck()
    page.get_by_label("§2 Your outputs — Needs approval").check()
    expect(notice).to_be_hidden()
    page.get_by_label("Works").set_input_files(str(image))
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sunset over the bay")
    expect(page.locator("[data-work-status]")).to_have_text("Ready")
    thumbnail = page.get_by_role("img", name="Thumbnail of sunset.jpg")
    expect(thumbnail).to_be_visible()
    image = thumbnail.element_handle()
    page.wait_for_function("img => img.complete", arg=image)
    assert page.evaluate("img => img.naturalWidth", image) == 480
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    expect(page.locator(".badge--submitted").first).to_have_text("In review")
    assert ShareRequest.objects.get().status == ShareRequest.Status.SUBMITTED


def test_reviewer_approves_with_an_embargo_and_the_work_shows_on_the_showcase_after_it(page, tmp_path):
    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta", watermark_text="Made with Lumen Beta")
    member = member_with_terms(program, artist__display_name="Ana Lima", artist__credit_line="© Ana Lima")
    reviewer = factories.staff_user(program, "reviewer")
    share_request = submitted(member, tmp_path, title="Harbour at night",
                              files=[factories_upload(tmp_path)])

    sign_in(page, reviewer.email, factories.PASSWORD)
    page.get_by_label("Code").fill(totp_code(reviewer))
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"/staff/{program.slug}/review/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review queue")
    page.get_by_role("link", name="Harbour at night").click()
    expect(page.get_by_role("img", name="harbour.png at full size")).to_be_visible()
    page.get_by_label("Approve with conditions").check()
    page.get_by_label("§2 Your outputs — Needs approval").check()
    page.get_by_label("Reason").fill("Fine to share after the launch.")
    embargo = timezone.localdate() + timedelta(days=3)
    page.get_by_label("Embargo until").fill(embargo.isoformat())
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Decision recorded")).to_be_visible()

    share_request.refresh_from_db()
    assert share_request.status == "approved" and share_request.embargo_until == embargo
    work = share_request.works.get()
    services.set_showcase_consent(work, by=member.artist.user, consent=True)
    page.goto(f"/showcase/{program.slug}/")
    expect(page.get_by_text("Nothing on the showcase yet.")).to_be_visible()
    assert page.request.get(f"/showcase/{program.slug}/works/{work.token}/").status == 404

    # The embargo ends (moved into the past rather than waiting).
    ShareRequest.objects.filter(pk=share_request.pk).update(embargo_until=timezone.localdate() - timedelta(days=1))
    page.goto(f"/showcase/{program.slug}/")
    shown = page.get_by_role("img", name="Harbour at night by Ana Lima")
    expect(shown).to_be_visible()
    expect(page.get_by_role("figure")).to_contain_text("© Ana Lima")
    image = shown.element_handle()
    page.wait_for_function("img => img.complete", arg=image)  # loaded or broken; a broken one has no width
    assert page.evaluate("img => img.naturalWidth", image) == 320


def factories_upload(tmp_path):
    from tests.content_review.factories import file_upload

    return file_upload(mediafiles.make_png(tmp_path / "harbour.png", w=320, h=240))


def test_artist_appeals_a_refusal_and_another_reviewer_overturns_it(page, tmp_path):
    from content_review.models import Appeal
    from testers.models import Clause
    from tests.content_review.factories import clause

    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    member = member_with_terms(program, artist__display_name="Gia Romano")
    refuser = factories.staff_user(program, "reviewer", first_name="Ravi", last_name="Reviewer")
    other = factories.staff_user(program, "reviewer", first_name="Rosa", last_name="Second")
    share_request = submitted(member, tmp_path, title="Timeline sketch")
    services.decide_share_request(share_request, by=refuser, outcome="refuse", reason="Shows an unannounced feature.",
                                  clause_ids=[clause(program, Clause.Klass.CONFIDENTIAL).pk])

    sign_in(page, member.artist.user.email, factories.PASSWORD)
    page.goto(f"/share-requests/{share_request.pk}/")
    expect(page.get_by_text("Shows an unannounced feature.")).to_be_visible()
    page.get_by_role("link", name="Appeal the refusal").click()
    page.get_by_label("Why you appeal").fill("It was shown in the public keynote.")
    page.get_by_role("button", name="Send the appeal").click()
    expect(page.get_by_text("Appeal sent.")).to_be_visible()
    expect(page.get_by_role("link", name="Appeal the refusal")).to_have_count(0)
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, other.email, factories.PASSWORD)
    page.get_by_label("Code").fill(totp_code(other))
    page.get_by_role("button", name="Sign In").click()
    page.goto(f"/staff/{program.slug}/review/?status=appealed")
    expect(page.get_by_role("row", name="Timeline sketch")).to_contain_text("(yours)")
    page.get_by_role("link", name="Timeline sketch").click()
    expect(page.get_by_role("heading", name="Decide the appeal (final)")).to_be_visible()
    page.get_by_label("Approve", exact=True).check()
    page.get_by_role("button", name="Record the appeal decision").click()
    expect(page.get_by_text("Decision recorded")).to_be_visible()
    assert Appeal.objects.get().status == Appeal.Status.OVERTURNED
    share_request.refresh_from_db()
    assert share_request.status == "approved"


def test_paused_artist_sees_why_they_cannot_submit_and_withdraws_their_draft(page, tmp_path):
    from content_review.models import ShareRequest as Request
    from testers.models import Membership
    from tests.content_review.factories import draft

    program = factories.ProgramFactory(name="Lumen Beta", slug="lumen-beta")
    member = member_with_terms(program, artist__display_name="Ben Okafor")
    share_request = draft(member, tmp_path, title="Paused sketch")
    Membership.objects.filter(pk=member.pk).update(status=Membership.Status.PAUSED)

    sign_in(page, member.artist.user.email, factories.PASSWORD)
    page.goto(f"/share-requests/{share_request.pk}/")
    expect(page.get_by_role("button", name="Submit for review")).to_be_disabled()
    expect(page.get_by_text("Your participation in this program is paused")).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_text("Request withdrawn.")).to_be_visible()
    assert Request.objects.get().status == Request.Status.WITHDRAWN
