"""What the tour of issue 15 found on the review pages: the refusal page leads with the decision and the text of
the clauses it cites; clauses are numbered (§) on the terms pages, as refusals cite them; the reviewer reads each
clause's text in the decision form; staff never read "Your appeal"; no appeal form after the final decision."""
import pytest
from django.urls import reverse
from django.utils.html import escape

from content_review import services
from content_review.models import Appeal
from testers.models import Clause
from tests.content_review.factories import clause, submitted

pytestmark = pytest.mark.django_db


def refused(member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    cited = clause(member.program, Clause.Klass.CONFIDENTIAL)
    services.decide_share_request(share_request, by=reviewer, outcome="refuse", reason="Shows unreleased features.",
                                  clause_ids=[cited.pk])
    share_request.refresh_from_db()
    return share_request, cited


def test_refusal_page_puts_the_decision_and_the_cited_clauses_text_first(client, member, tmp_path, reviewer):
    share_request, cited = refused(member, tmp_path, reviewer)
    client.force_login(member.artist.user)
    page = client.get(reverse("content_review:request_detail", args=[share_request.pk])).content.decode()
    assert escape(cited.text) in page or cited.text in page
    assert f"§{cited.position} {cited.title}" in page
    decision_at = page.index('id="decision-heading"')
    assert decision_at < page.index('id="about-heading"') and decision_at < page.index('id="works-heading"')
    assert page.index("Shows unreleased features.") < page.index('id="about-heading"')


def test_terms_page_numbers_clauses_as_refusals_cite_them(client, member):
    client.force_login(member.artist.user)
    page = client.get(reverse("testers:terms", args=[member.program.slug])).content.decode()
    for item in Clause.objects.filter(terms_version__program=member.program):
        assert f"§{item.position}</span> {escape(item.title)}" in page
        assert f'id="clause-{item.key}"' in page


def test_decision_form_shows_each_clauses_text(client, member, tmp_path, reviewer):
    share_request = submitted(member, tmp_path)
    client.force_login(reviewer)
    page = client.get(reverse("content_review:review", args=[member.program.slug, share_request.pk])).content.decode()
    for item in share_request.terms_version.clauses.all():
        assert escape(item.text) in page or item.text in page
    assert 'aria-describedby="id_clauses_0_text"' in page and 'id="id_clauses_0_text"' in page


def test_staff_read_the_artists_appeal_not_your_appeal(client, member, tmp_path, reviewer, manager):
    share_request, _ = refused(member, tmp_path, reviewer)
    services.appeal_refusal(share_request, by=member.artist.user, message="It is public.")
    url = reverse("content_review:request_detail", args=[share_request.pk])
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert "Your appeal" not in page and "The artist's appeal" in page
    client.force_login(member.artist.user)
    assert "Your appeal" in client.get(url).content.decode()


@pytest.mark.parametrize("outcome", ["refuse", "approve"])
def test_no_appeal_form_after_the_final_decision(client, member, tmp_path, reviewer, manager, outcome):
    share_request, cited = refused(member, tmp_path, reviewer)
    services.appeal_refusal(share_request, by=member.artist.user, message="It is public.")
    extra = {"reason": "Still confidential.", "clause_ids": [cited.pk]} if outcome == "refuse" else {}
    services.decide_appeal(Appeal.objects.get(), by=manager, outcome=outcome, **extra)
    appeal_url = reverse("content_review:appeal_request", args=[share_request.pk])
    client.force_login(member.artist.user)
    page = client.get(reverse("content_review:request_detail", args=[share_request.pk])).content.decode()
    assert appeal_url not in page and "Appeal the refusal" not in page
    response = client.get(appeal_url)
    assert response.status_code == 302  # told why, never the form
    assert client.post(appeal_url, {"message": "Again."}).status_code == 302
    assert Appeal.objects.count() == 1
    client.force_login(manager)
    page = client.get(reverse("content_review:review", args=[member.program.slug, share_request.pk])).content.decode()
    assert "Decide the appeal" not in page and 'name="on_appeal"' not in page
    assert 'name="appeal-outcome"' not in page and 'name="outcome"' not in page
