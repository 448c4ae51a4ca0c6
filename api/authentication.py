"""The API's one way in: `Authorization: Bearer atl_…`, a personal access token. The session cookie never
authenticates an API request, so a page on another site cannot ride on a signed-in artist's browser (no CSRF)."""
from __future__ import annotations

import datetime

from django.utils import timezone
from rest_framework import authentication, exceptions

from api import credentials, selectors
from api.models import ApiToken

#: last_used_at is written at most this often per token: one small UPDATE a minute, not one per request.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
MEMBERSHIP_REFUSALS = {
    "paused": "This token's program membership is paused: the token works again once it is active.",
    "removed": "This token's program membership has ended: the token no longer works.",
    "invited": "This token's program membership is not active.",
}


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as `Authorization: Bearer atl_…`, one value.")
        try:
            secret = header[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        token = selectors.token_for_secret(credentials.hash_secret(secret)) if credentials.looks_like_secret(
            secret) else None
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        self.refuse_unusable(token)
        self.touch(token)
        return token.membership.artist.user, token

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'

    @staticmethod
    def refuse_unusable(token: ApiToken) -> None:
        if token.status == ApiToken.Status.REVOKED:
            raise exceptions.AuthenticationFailed("This token was revoked.")
        if token.is_expired:
            raise exceptions.AuthenticationFailed("This token has expired: create a new one on your tokens page.")
        user = token.membership.artist.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("This account is disabled.")
        status = token.membership.status
        if status != "active":
            raise exceptions.AuthenticationFailed(MEMBERSHIP_REFUSALS.get(status, "This token's membership is not "
                                                                                   "active."))

    @staticmethod
    def touch(token: ApiToken) -> None:
        """Bookkeeping, not a change of state the artist made: no action and no audit entry (like last_login)."""
        now = timezone.now()
        if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
            return
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
