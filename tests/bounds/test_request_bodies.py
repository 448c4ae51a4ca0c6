"""Oversized request bodies are refused before they are read: from the Content-Length alone (413), or, for files,
as soon as one passes its page's limit while it streams in."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import reverse

from content_review.models import ShareRequest
from testers.models import Feedback
from tests import factories

pytestmark = [pytest.mark.django_db]


class Unreadable:
    """A body whose reading fails the test: the middleware must answer from the headers."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def _post_headers_only(client, url, length, content_type=MULTIPART_CONTENT):
    return client.generic("POST", url, b"", content_type=content_type, CONTENT_LENGTH=str(length),
                          **{"wsgi.input": Unreadable()})


def test_a_210_mb_share_request_upload_is_refused_from_its_headers(client, artist_membership):
    client.force_login(artist_membership.artist.user)
    url = reverse("content_review:new_request", args=[artist_membership.program.slug])
    response = _post_headers_only(client, url, 2_100_000_000)
    assert response.status_code == 413
    assert not ShareRequest.objects.exists()


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/feedback/new/"])
def test_an_anonymous_210_mb_post_is_refused_from_its_headers(client, url):
    assert _post_headers_only(client, url, 210_000_000).status_code == 413


def test_an_anonymous_multipart_post_over_64_kb_is_refused(client):
    body = encode_multipart(BOUNDARY, {"login": "a@b.c", "password": "x",
                                       "f": SimpleUploadedFile("a.txt", b"x" * 70_000)})
    response = client.generic("POST", "/accounts/login/", body, content_type=MULTIPART_CONTENT)
    assert response.status_code == 413


def test_the_ordinary_sign_in_post_still_works(client):
    response = client.post("/accounts/login/", {"login": "nobody@example.test", "password": "wrong-password"})
    assert response.status_code == 200


def test_a_signed_in_post_over_the_default_limit_is_refused(client, artist_membership):
    client.force_login(artist_membership.artist.user)
    assert _post_headers_only(client, "/profile/", 5_000_000,
                              "application/x-www-form-urlencoded").status_code == 413


def test_a_body_without_content_length_is_refused(client, artist_membership):
    client.force_login(artist_membership.artist.user)
    response = client.generic("POST", "/profile/", b"", CONTENT_LENGTH="", HTTP_TRANSFER_ENCODING="chunked")
    assert response.status_code == 411


def test_a_file_over_its_pages_limit_is_stopped_while_it_streams(client, artist_membership):
    factories.accept_terms(artist_membership, factories.TermsVersionFactory(program=artist_membership.program))
    client.force_login(artist_membership.artist.user)
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * 11_000_000, content_type="image/png")
    response = client.post("/feedback/new/", {"membership": artist_membership.pk, "kind": "feature", "title": "t",
                                              "body": "b", "images": big})
    assert response.status_code == 413
    assert "big.png" in response.content.decode()
    assert not Feedback.objects.exists()


def test_the_webhook_refuses_a_body_over_a_megabyte(client):
    response = client.generic("POST", "/stripe/webhook/", b"", content_type="application/json",
                              CONTENT_LENGTH="2000000", **{"wsgi.input": Unreadable()})
    assert response.status_code == 413


def test_a_share_request_image_over_20_mb_is_stopped_while_it_streams(client, artist_membership):
    client.force_login(artist_membership.artist.user)
    url = reverse("content_review:new_request", args=[artist_membership.program.slug])
    big = SimpleUploadedFile("huge.png", b"\x89PNG" + b"0" * 21_000_000, content_type="image/png")
    response = client.post(url, {"title": "t", "files": big})
    assert response.status_code == 413 and "huge.png" in response.content.decode()
    assert not ShareRequest.objects.exists()
