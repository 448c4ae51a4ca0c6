"""The REST API as a tool uses it: a token with scopes sends feedback with screenshots and build metadata, reads
its own feedback and "what can I share"; every refusal is a clear JSON answer and writes nothing."""
import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from api.actions import RevokeApiToken
from api.models import ApiToken
from atelier.models import AuditLogEntry
from testers.models import Clause, Feedback, FeedbackAttachment, Membership
from testers.tasks import end_clauses
from tests import factories

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db

FEEDBACK = "api:feedback"
VALID = {"kind": "bug", "severity": "high", "title": "Export crashes", "body": "Every 4K export crashes.",
         "build": "2.4.1 (8812)", "os": "macOS 15.2", "device": "MacBook Pro M3"}


def url(name, *args):
    return reverse(name, args=args)


def nothing_written():
    return not Feedback.objects.exists() and not FeedbackAttachment.objects.exists()


# --- sending feedback -----------------------------------------------------------------------------------------

def test_a_token_sends_a_bug_with_a_screenshot_and_the_tools_build_os_and_device(
        api, token, screenshot, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(url(FEEDBACK), {**VALID, "images": [screenshot]}, **bearer(token))
    assert response.status_code == 201, response.json()
    feedback = Feedback.objects.get()
    assert response.json()["id"] == feedback.pk and response["Location"] == url("api:feedback_detail", feedback.pk)
    assert feedback.membership == token.membership and feedback.severity == "high"
    assert (feedback.app_build, feedback.app_os, feedback.app_device) == ("2.4.1 (8812)", "macOS 15.2",
                                                                          "MacBook Pro M3")
    attachment = feedback.attachments.get()
    assert (attachment.width, attachment.height) == (800, 600) and attachment.thumbnail
    assert response.json()["attachments"] == [{"id": attachment.pk, "name": "screen.png", "width": 800,
                                               "height": 600}]
    entry = AuditLogEntry.objects.get(action="testers.feedback.submitted")
    assert entry.actor == token.membership.artist.user and entry.data["via"] == "api"


def test_feedback_sent_through_the_api_shows_its_build_to_the_artist_and_the_manager(api, token, manager, client):
    api.post(url(FEEDBACK), VALID, **bearer(token))
    feedback = Feedback.objects.get()
    client.force_login(token.membership.artist.user)
    page = client.get(url("testers:feedback_detail", feedback.pk)).content.decode()
    assert "build 2.4.1 (8812), macOS 15.2, MacBook Pro M3" in page
    client.force_login(manager)
    staff_page = client.get(url("testers:staff_feedback_detail", feedback.membership.program.slug, feedback.pk))
    assert "build 2.4.1 (8812), macOS 15.2, MacBook Pro M3" in staff_page.content.decode()


def test_json_without_screenshots_is_accepted_too(api, token):
    response = api.post(url(FEEDBACK), {"kind": "feature", "title": "Layers", "body": "Please add layers."},
                        content_type="application/json", **bearer(token))
    assert response.status_code == 201 and response.json()["build"] == ""


def test_missing_fields_and_a_bug_without_severity_are_400_with_field_errors_and_nothing_written(api, token):
    response = api.post(url(FEEDBACK), {"kind": "bug", "title": "", "body": "It broke."}, **bearer(token))
    assert response.status_code == 400
    errors = response.json()
    assert "title" in errors and errors["title"]
    assert nothing_written()
    response = api.post(url(FEEDBACK), {"kind": "bug", "title": "Crash", "body": "It broke."}, **bearer(token))
    assert response.status_code == 400 and response.json() == {"severity": ["Choose how severe the bug is."]}
    assert nothing_written()


@pytest.mark.parametrize("field, value", [
    ("kind", "rant"), ("title", "x" * 201), ("body", "x" * 10_001), ("build", "x" * 101), ("os", "x" * 101),
    ("device", "x" * 101), ("severity", "apocalyptic"),
])
def test_each_bad_field_is_named_in_the_400_and_nothing_is_written(api, token, field, value):
    response = api.post(url(FEEDBACK), {**VALID, field: value}, **bearer(token))
    assert response.status_code == 400 and list(response.json()) == [field], response.json()
    assert nothing_written()


@pytest.mark.parametrize("upload, words", [
    (SimpleUploadedFile("notes.png", b"just some text, not an image"), "notes.png"),
    (SimpleUploadedFile("cut.png", factories.png_bytes()[:60]), "cut.png"),
    (SimpleUploadedFile("photo.jpg", factories.png_bytes()), "PNG"),
])
def test_a_bad_screenshot_is_400_naming_it_with_the_portals_words_and_nothing_written(api, token, upload, words):
    response = api.post(url(FEEDBACK), {**VALID, "images": [upload]}, **bearer(token))
    assert response.status_code == 400
    messages = response.json()["images"]
    assert any(words in m for m in messages) and "Accepted: JPEG, PNG, WebP or GIF, up to 10 MB each." in messages
    assert nothing_written()


def test_a_screenshot_with_too_many_pixels_is_400_and_nothing_written(api, token):
    huge = SimpleUploadedFile("huge.png", factories.png_bytes(width=8000, height=6000), content_type="image/png")
    response = api.post(url(FEEDBACK), {**VALID, "images": [huge]}, **bearer(token))
    assert response.status_code == 400 and "huge.png" in " ".join(response.json()["images"])
    assert nothing_written()


def test_six_screenshots_are_400_and_nothing_written(api, token):
    images = [factories.image_upload(f"{i}.png") for i in range(6)]
    response = api.post(url(FEEDBACK), {**VALID, "images": images}, **bearer(token))
    assert response.status_code == 400 and "images" in response.json()
    assert nothing_written()


def test_a_screenshot_over_10_mb_is_refused_as_it_streams_in_with_413_and_nothing_written(api, token):
    big = SimpleUploadedFile("big.png", factories.png_bytes() + b"\0" * (10 * 1024 * 1024 + 1),
                             content_type="image/png")
    response = api.post(url(FEEDBACK), {**VALID, "images": [big]}, **bearer(token))
    assert response.status_code == 413 and "big.png" in response.json()["detail"]
    assert nothing_written()


def test_a_json_body_over_a_megabyte_is_413_and_not_read(api, token):
    body = '{"kind": "general", "title": "Big", "body": "' + "x" * 1_000_001 + '"}'
    response = api.post(url(FEEDBACK), body, content_type="application/json", **bearer(token))
    assert response.status_code == 413 and "multipart/form-data" in response.json()["detail"]
    assert nothing_written()


def test_an_artist_who_has_not_accepted_the_current_terms_is_told_so_with_403(api, participant, program):
    token = make_token(participant)
    factories.TermsVersionFactory(program=program, number=2)  # a newer version, not accepted yet
    response = api.post(url(FEEDBACK), VALID, **bearer(token))
    assert response.status_code == 403 and "accept the program's current terms" in response.json()["detail"]
    assert nothing_written()


# --- reading feedback -----------------------------------------------------------------------------------------

def test_the_list_shows_the_artists_own_feedback_of_the_tokens_program_with_its_status(
        api, token, other_participant, other_program):
    mine = factories.FeedbackFactory(membership=token.membership, status="declined")
    factories.FeedbackFactory(membership=other_participant)  # another artist's
    elsewhere = factories.MembershipFactory(program=other_program, artist=token.membership.artist)
    factories.FeedbackFactory(membership=elsewhere)  # the same artist, another program
    response = api.get(url(FEEDBACK), **bearer(token))
    body = response.json()
    assert response.status_code == 200 and body["count"] == 1
    item, = body["results"]
    assert (item["id"], item["status"], item["status_label"]) == (mine.pk, "declined", "Declined")
    assert item["decline_reason"] == "Out of scope for this beta." and item["program"] == token.membership.program.slug


def test_the_list_is_paginated_in_a_fixed_number_of_queries(api, token, django_assert_max_num_queries):
    for _ in range(30):
        feedback = factories.FeedbackFactory(membership=token.membership)
        feedback.attachments.create(image=factories.image_upload(), original_name="s.png")
    with django_assert_max_num_queries(8):
        body = api.get(url(FEEDBACK), **bearer(token)).json()
    assert body["count"] == 30 and len(body["results"]) == 25 and body["next"].endswith("?page=2")
    assert len(api.get(url(FEEDBACK), {"page": 2}, **bearer(token)).json()["results"]) == 5


def test_one_item_of_ones_own_feedback(api, token):
    feedback = factories.FeedbackFactory(membership=token.membership, title="Brush lag")
    response = api.get(url("api:feedback_detail", feedback.pk), **bearer(token))
    assert response.status_code == 200 and response.json()["title"] == "Brush lag"


def test_another_artists_feedback_is_a_404(api, token, other_participant):
    theirs = factories.FeedbackFactory(membership=other_participant)
    response = api.get(url("api:feedback_detail", theirs.pk), **bearer(token))
    assert response.status_code == 404 and "Brush" not in response.content.decode()
    assert api.get(url("api:feedback_detail", 999_999), **bearer(token)).status_code == 404


def test_ones_own_feedback_in_another_program_is_a_404_for_this_programs_token(api, token, other_program):
    elsewhere = factories.MembershipFactory(program=other_program, artist=token.membership.artist)
    feedback = factories.FeedbackFactory(membership=elsewhere)
    assert api.get(url("api:feedback_detail", feedback.pk), **bearer(token)).status_code == 404


# --- what can I share -----------------------------------------------------------------------------------------

def test_what_can_i_share_lists_the_accepted_versions_clauses_by_class(api, token, terms):
    response = api.get(url("api:what_can_i_share"), **bearer(token))
    body = response.json()
    assert response.status_code == 200
    assert body["program"] == token.membership.program.slug and body["accepted_version"]["number"] == terms.number
    assert body["newer_version"] is None
    assert [c["klass"] for c in body["classes"]] == ["confidential", "needs_approval", "free_to_share"]
    titles = {c["klass"]: [clause["title"] for clause in c["clauses"]] for c in body["classes"]}
    for clause in terms.clauses.all():
        assert clause.title in titles[clause.klass]


def test_what_can_i_share_points_at_a_newer_version_waiting_for_acceptance(api, token, program):
    factories.TermsVersionFactory(program=program, number=2)
    body = api.get(url("api:what_can_i_share"), **bearer(token)).json()
    assert body["accepted_version"]["number"] == 1 and body["newer_version"]["number"] == 2


# --- scopes ---------------------------------------------------------------------------------------------------

CALLS = {  # scope -> (method, url name)
    "feedback:write": ("post", FEEDBACK),
    "feedback:read": ("get", FEEDBACK),
    "terms:read": ("get", "api:what_can_i_share"),
}


def _call(api, method, name, token):
    if method == "post":
        return api.post(url(name), VALID, **bearer(token))
    return api.get(url(name), **bearer(token))


@pytest.mark.parametrize("scope", list(CALLS))
def test_each_scope_allows_its_endpoint(api, participant, scope):
    token = make_token(participant, scopes=[scope])
    method, name = CALLS[scope]
    assert _call(api, method, name, token).status_code in (200, 201)


@pytest.mark.parametrize("scope", list(CALLS))
def test_a_token_without_the_scope_is_refused_with_403_naming_it_and_nothing_written(api, participant, scope):
    token = make_token(participant, scopes=[s for s in CALLS if s != scope])
    method, name = CALLS[scope]
    response = _call(api, method, name, token)
    assert response.status_code == 403
    assert response.json()["detail"] == (f"This token does not have the {scope} scope. Create a token with it on "
                                         f"your tokens page.")
    assert nothing_written()


def test_the_detail_needs_feedback_read(api, participant):
    token = make_token(participant, scopes=["feedback:write"])
    feedback = factories.FeedbackFactory(membership=participant)
    response = api.get(url("api:feedback_detail", feedback.pk), **bearer(token))
    assert response.status_code == 403 and "feedback:read" in response.json()["detail"]


# --- tokens that do not work ----------------------------------------------------------------------------------

def _refused(api, secret, words):
    response = api.post(url(FEEDBACK), VALID, **bearer(secret))
    assert response.status_code == 401, response.content
    assert words in response.json()["detail"] and response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert nothing_written()


def test_a_revoked_token_is_401(api, token):
    RevokeApiToken(token.membership.artist.user, token).run()
    _refused(api, token.secret, "revoked")


def test_an_expired_token_is_401(api, token):
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    _refused(api, token.secret, "expired")


def test_a_token_that_never_expires_keeps_working(api, participant):
    token = make_token(participant, expires_in="never")
    assert token.expires_at is None
    assert api.get(url(FEEDBACK), **bearer(token)).status_code == 200


@pytest.mark.parametrize("secret", ["atl_unknown", "not-even-ours", "atl_" + "x" * 200, "atl_é"])
def test_an_unknown_token_is_401(api, token, secret):
    _refused(api, secret, "Invalid token")


def test_no_token_is_401_asking_for_one(api, token):
    response = api.get(url(FEEDBACK))
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("status, words", [("paused", "paused"), ("removed", "ended")])
def test_a_token_stops_working_while_its_membership_is_not_active(api, token, status, words):
    Membership.objects.filter(pk=token.membership.pk).update(status=status)
    _refused(api, token.secret, words)


def test_a_token_stops_working_when_its_account_is_disabled(api, token):
    user = token.membership.artist.user
    user.is_active = False
    user.save()
    _refused(api, token.secret, "disabled")


def test_the_session_cookie_never_authenticates_the_api(client, token):
    """A signed-in browser gets nothing from the API: no page elsewhere can post through it (no CSRF)."""
    client.force_login(token.membership.artist.user)
    assert client.get(url(FEEDBACK)).status_code == 401
    assert client.post(url(FEEDBACK), VALID).status_code == 401
    assert nothing_written()


# --- bookkeeping ----------------------------------------------------------------------------------------------

def test_last_used_is_written_at_most_once_a_minute(api, token):
    assert token.last_used_at is None
    api.get(url(FEEDBACK), **bearer(token))
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api.get(url(FEEDBACK), **bearer(token))
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    earlier = timezone.now() - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    api.get(url(FEEDBACK), **bearer(token))
    assert ApiToken.objects.get(pk=token.pk).last_used_at > earlier


def test_over_the_rate_limit_a_token_gets_429_with_retry_after_and_another_token_does_not(
        api, participant, settings):
    settings.API_RATE_LIMIT = "3/min"
    token, other = make_token(participant), make_token(participant, name="CI")
    for _ in range(3):
        assert api.get(url(FEEDBACK), **bearer(token)).status_code == 200
    response = api.post(url(FEEDBACK), VALID, **bearer(token))
    assert response.status_code == 429 and 0 < int(response["Retry-After"]) <= 60
    assert "throttled" in response.json()["detail"].lower()
    assert nothing_written()
    assert api.get(url(FEEDBACK), **bearer(other)).status_code == 200


def test_what_can_i_share_gives_each_clause_its_end_and_what_may_be_shared_now(api, token, terms):
    confidential = terms.clauses.get(klass="confidential")
    Clause.objects.filter(pk=confidential.pk).update(ends_on=timezone.localdate() + datetime.timedelta(days=30))
    body = api.get(url("api:what_can_i_share"), **bearer(token)).json()
    [clause] = [c for group in body["classes"] for c in group["clauses"] if c["key"] == confidential.key]
    assert clause["free_to_share"] is False and clause["ended_at"] is None
    assert clause["ends_on"] == (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    assert clause["end_text"].startswith("until ")

    Clause.objects.filter(pk=confidential.pk).update(ends_on=timezone.localdate())
    assert end_clauses() == 1
    body = api.get(url("api:what_can_i_share"), **bearer(token)).json()
    free = {c["key"]: c for c in next(g for g in body["classes"] if g["klass"] == "free_to_share")["clauses"]}
    assert free[confidential.key]["free_to_share"] is True and free[confidential.key]["ended_at"]
    assert free[confidential.key]["klass"] == "confidential"
