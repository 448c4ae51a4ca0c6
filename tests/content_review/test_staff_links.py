import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_program_staff_page_links_reviewers_to_the_queue(client, program, reviewer, finance):
    client.force_login(reviewer)
    html = client.get(reverse("testers:staff_program", args=[program.slug])).content.decode()
    assert reverse("content_review:queue", args=[program.slug]) in html
    client.force_login(finance)
    html = client.get(reverse("testers:staff_program", args=[program.slug])).content.decode()
    assert reverse("content_review:queue", args=[program.slug]) not in html
    assert reverse("content_review:review_report", args=[program.slug]) in html
