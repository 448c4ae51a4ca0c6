"""The tokens page: an artist creates a token for one of their programs (shown once, kept only as a hash),
lists and revokes them; each creation and revocation is an audited action."""
import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone

from api.actions import MAX_ACTIVE_TOKENS, CreateApiToken, RevokeApiToken
from api.models import ApiToken
from atelier.errors import ActionRefused
from atelier.models import AuditLogEntry
from testers.models import Membership

from .conftest import bearer, make_token

pytestmark = pytest.mark.django_db

TOKENS = "api:tokens"


def _create(client, membership, **data):
    return client.post(reverse(TOKENS), {"membership": membership.pk, "name": "Brush plug-in",
                                         "scopes": ["feedback:write", "terms:read"], "expires_in": "30", **data})


def test_a_new_token_is_shown_once_kept_only_as_a_hash_and_works(client, participant):
    client.force_login(participant.artist.user)
    response = _create(client, participant)
    assert response.status_code == 302 and response.url == reverse(TOKENS)
    token = ApiToken.objects.get()
    page = client.get(reverse(TOKENS))
    html = page.content.decode()
    secret = html.split('id="new-token"')[1].split('value="')[1].split('"')[0]
    assert secret.startswith("atl_") and len(secret) > 40 and "shown only this once" in html
    assert "no-store" in page["Cache-Control"]
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest() and token.prefix == secret[:12]
    assert secret not in str(list(ApiToken.objects.values_list()))
    assert token.scopes == ["feedback:write", "terms:read"] and token.name == "Brush plug-in"
    assert token.expires_at is not None
    again = client.get(reverse(TOKENS)).content.decode()
    assert secret not in again and token.prefix in again and "Brush plug-in" in again
    client.logout()
    assert client.get(reverse("api:what_can_i_share"), **bearer(secret)).status_code == 200


def test_creating_a_token_is_audited_without_its_secret(client, participant):
    client.force_login(participant.artist.user)
    _create(client, participant)
    token = ApiToken.objects.get()
    entry = AuditLogEntry.objects.get(action="api.token.created")
    assert entry.actor == participant.artist.user and entry.program == participant.program
    assert entry.target_id == str(token.pk)
    assert entry.data["name"] == "Brush plug-in" and entry.data["scopes"] == ["feedback:write", "terms:read"]
    assert entry.data["prefix"] == token.prefix
    assert token.secret_hash not in str(entry.data)


def test_revoking_is_audited_and_the_token_stops_working(client, participant):
    token = make_token(participant)
    client.force_login(participant.artist.user)
    response = client.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.status == "revoked" and token.revoked_at and token.revoked_by == participant.artist.user
    entry = AuditLogEntry.objects.get(action="api.token.revoked")
    assert entry.actor == participant.artist.user and entry.target_id == str(token.pk)
    assert entry.data["after"]["status"] == "revoked"
    client.logout()
    assert client.get(reverse("api:feedback"), **bearer(token)).status_code == 401
    client.force_login(participant.artist.user)
    again = client.post(reverse("api:token_revoke", args=[token.pk]), follow=True)
    assert AuditLogEntry.objects.filter(action="api.token.revoked").count() == 1
    assert "already revoked" in again.content.decode()


def test_another_artist_cannot_revoke_my_token(client, participant, other_participant):
    token = make_token(participant)
    client.force_login(other_participant.artist.user)
    assert client.post(reverse("api:token_revoke", args=[token.pk])).status_code == 404
    assert ApiToken.objects.get().status == "active"


def test_the_page_lists_only_my_tokens(client, participant, other_participant):
    make_token(participant, name="Mine")
    make_token(other_participant, name="Theirs")
    client.force_login(participant.artist.user)
    html = client.get(reverse(TOKENS)).content.decode()
    assert "Mine" in html and "Theirs" not in html


def test_a_paused_artist_cannot_create_a_token_but_can_revoke_one(client, participant):
    token = make_token(participant)
    Membership.objects.filter(pk=participant.pk).update(status="paused")
    client.force_login(participant.artist.user)
    html = client.get(reverse(TOKENS)).content.decode()
    assert "paused" in html and 'name="name"' not in html
    response = _create(client, participant)
    assert response.status_code == 200 and ApiToken.objects.count() == 1
    client.post(reverse("api:token_revoke", args=[token.pk]))
    assert ApiToken.objects.get().status == "revoked"


def test_staff_have_no_tokens_to_create(client, manager):
    client.force_login(manager)
    html = client.get(reverse(TOKENS)).content.decode()
    assert 'name="name"' not in html and "you are in none" in html


def test_an_artist_cannot_make_a_token_for_another_artists_membership(participant, other_participant):
    with pytest.raises(ActionRefused):
        CreateApiToken(participant.artist.user, membership=other_participant, name="x", scopes=["terms:read"]).run()
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("data, words", [
    ({"name": ""}, "This field is required"),
    ({"scopes": []}, "This field is required"),
    ({"scopes": ["admin:all"]}, "Select a valid choice"),
    ({"expires_in": "forever"}, "Select a valid choice"),
    ({"name": "x" * 201}, "at most 200"),
])
def test_a_bad_form_says_why_and_creates_nothing(client, participant, data, words):
    client.force_login(participant.artist.user)
    response = _create(client, participant, **data)
    assert response.status_code == 200 and words in response.content.decode()
    assert not ApiToken.objects.exists() and not AuditLogEntry.objects.filter(action="api.token.created").exists()


def test_at_most_twenty_active_tokens_per_membership(participant):
    for i in range(MAX_ACTIVE_TOKENS):
        make_token(participant, name=f"t{i}")
    with pytest.raises(ActionRefused, match="revoke one"):
        make_token(participant, name="one too many")


def test_the_tokens_page_is_linked_from_the_account_settings_and_the_feedback_list(client, participant):
    client.force_login(participant.artist.user)
    assert reverse(TOKENS) in client.get(reverse("time_zone")).content.decode()
    assert reverse(TOKENS) in client.get(reverse("testers:feedback_list")).content.decode()


def test_the_programs_managers_see_token_creation_and_revocation_in_the_audit_log(client, participant, manager):
    token = make_token(participant, name="Crash reporter")
    RevokeApiToken(participant.artist.user, token).run()
    client.force_login(manager)
    page = client.get(reverse("program_audit_log", args=[participant.program.slug]),
                      {"object_type": "api.ApiToken"})
    html = page.content.decode()
    assert page.status_code == 200 and "created an API token" in html and "revoked an API token" in html
    assert token.secret not in html


def test_an_expired_token_is_shown_as_expired(client, participant):
    token = make_token(participant)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    client.force_login(participant.artist.user)
    html = client.get(reverse(TOKENS)).content.decode()
    assert "badge--expired" in html and ">Expired<" in html
