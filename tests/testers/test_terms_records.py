"""Artists download the exact terms they accepted, every version, as a PDF stating version, hash, time and IP;
and read older versions."""
import datetime
import io
import zoneinfo

import pytest
from django.urls import reverse
from pypdf import PdfReader

from testers.models import TermsAcceptance
from tests import factories

pytestmark = pytest.mark.django_db

ACCEPTED_AT = datetime.datetime(2026, 11, 29, 23, 30, tzinfo=datetime.timezone.utc)


@pytest.fixture
def history(program):
    """An Auckland artist who accepted version 1 and version 2; version 3 is published but not accepted."""
    v1 = factories.TermsVersionFactory(program=program, number=1, effective_date=datetime.date(2026, 1, 1))
    v2 = factories.TermsVersionFactory(program=program, number=2, effective_date=datetime.date(2026, 6, 1))
    v3 = factories.TermsVersionFactory(program=program, number=3, effective_date=datetime.date(2026, 11, 1))
    membership = factories.MembershipFactory(program=program)
    user = membership.artist.user
    user.time_zone = "Pacific/Auckland"
    user.save(update_fields=["time_zone"])
    TermsAcceptance.objects.create(membership=membership, terms_version=v1, text_hash=v1.text_hash,
                                   accepted_at=ACCEPTED_AT - datetime.timedelta(days=200), ip_address="203.0.113.7")
    TermsAcceptance.objects.create(membership=membership, terms_version=v2, text_hash=v2.text_hash,
                                   accepted_at=ACCEPTED_AT, ip_address="2001:db8::1")
    return membership, (v1, v2, v3)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_pdf_states_version_exact_text_hash_time_in_both_zones_and_ip(client, history):
    membership, (v1, v2, _) = history
    client.force_login(membership.artist.user)
    response = client.get(reverse("testers:terms_acceptance_pdf", args=[membership.program.slug, 2]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and "v2" in response["Content-Disposition"]
    text = " ".join(pdf_text(response.content).split())
    assert "version 2" in text
    assert v2.text_hash in text.replace(" ", "") or v2.text_hash in text
    assert "30 Nov 2026, 12:30 NZDT (Pacific/Auckland)" in text
    assert "29 Nov 2026, 23:30 UTC" in text
    assert "2001:db8::1" in text
    assert "exact text accepted" in text
    for clause in v2.clauses.all():
        assert " ".join(clause.text.split()) in text
    assert v1.text_hash not in text.replace(" ", "")


def test_every_accepted_version_has_its_own_record(client, history):
    membership, (v1, _, _) = history
    client.force_login(membership.artist.user)
    response = client.get(reverse("testers:terms_acceptance_pdf", args=[membership.program.slug, 1]))
    text = pdf_text(response.content)
    assert "version 1" in text and "203.0.113.7" in text


def test_a_version_not_accepted_has_no_record(client, history):
    membership, _ = history
    client.force_login(membership.artist.user)
    assert client.get(reverse("testers:terms_acceptance_pdf", args=[membership.program.slug, 3])).status_code == 404


def test_another_artist_cannot_download_my_record(client, history, program):
    membership, _ = history
    other = factories.MembershipFactory(program=program)
    client.force_login(other.artist.user)
    assert client.get(reverse("testers:terms_acceptance_pdf", args=[program.slug, 2])).status_code == 404


def test_the_history_lists_every_published_version_and_my_acceptances(client, history):
    membership, (v1, v2, v3) = history
    client.force_login(membership.artist.user)
    html = client.get(reverse("testers:terms_history", args=[membership.program.slug])).content.decode()
    for number in (1, 2, 3):
        assert reverse("testers:terms_version", args=[membership.program.slug, number]) in html
    assert reverse("testers:terms_acceptance_pdf", args=[membership.program.slug, 2]) in html
    assert reverse("testers:terms_acceptance_pdf", args=[membership.program.slug, 3]) not in html
    assert "30 Nov 2026, 12:30 NZDT" in html
    assert "Not accepted" in html


def test_an_older_version_can_be_read(client, history):
    membership, (v1, _, _) = history
    client.force_login(membership.artist.user)
    html = client.get(reverse("testers:terms_version", args=[membership.program.slug, 1])).content.decode()
    assert "version 1" in html and v1.text_hash in html
    for clause in v1.clauses.all():
        assert clause.title in html
    assert "You accepted this version on" in html


def test_a_draft_cannot_be_read_as_a_version(client, history, program):
    membership, _ = history
    factories.TermsVersionFactory(program=program, number=4, status="draft", effective_date=None)
    client.force_login(membership.artist.user)
    assert client.get(reverse("testers:terms_version", args=[program.slug, 4])).status_code == 404
