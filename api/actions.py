"""Creating and revoking personal access tokens: an artist's own, for one program, each checked and audited."""
from __future__ import annotations

import datetime

from django.utils import timezone

from api import credentials
from api.models import ApiToken
from atelier import bounds
from atelier.actions import Action

#: How long a new token lasts, as the tokens page offers it (days; None: until revoked).
EXPIRY_CHOICES = {"30": 30, "90": 90, "365": 365, "never": None}
DEFAULT_EXPIRY = "90"
#: Active tokens per membership: enough for a few machines and scripts, few enough to review at a glance.
MAX_ACTIVE_TOKENS = 20


class CreateApiToken(Action):
    """Target: none. Params: membership (the artist's own, active), name, scopes, expires_in (EXPIRY_CHOICES).
    Returns the token with its secret in `token.secret`: the only time anyone sees it."""

    name = "api.token.created"
    label = "created an API token"
    permission = "api_token.create"

    def refusal(self, obj):
        membership = self.params.get("membership")
        if membership is not None and ApiToken.objects.filter(
                membership=membership, status=ApiToken.Status.ACTIVE).count() >= MAX_ACTIVE_TOKENS:
            return f"You have {MAX_ACTIVE_TOKENS} active tokens in this program: revoke one you no longer use first."
        if "name" not in self.params:  # asked before the form is filled in (may this artist make one here?)
            return None
        name = (self.params.get("name") or "").strip()
        scopes = self.params.get("scopes") or []
        if not name:
            return "Give the token a name, such as the machine or script that uses it."
        if len(name) > bounds.SHORT_TEXT:
            return f"The name is at most {bounds.SHORT_TEXT} characters."
        if not scopes:
            return "Choose at least one thing the token may do."
        if set(scopes) - set(ApiToken.Scope.values):
            return "Unknown scope: choose among " + ", ".join(ApiToken.Scope.values) + "."
        if self.params.get("expires_in", DEFAULT_EXPIRY) not in EXPIRY_CHOICES:
            return "Choose how long the token lasts."
        return None

    def apply(self, obj):
        membership = self.params["membership"]
        days = EXPIRY_CHOICES[self.params.get("expires_in", DEFAULT_EXPIRY)]
        scopes = [s for s in ApiToken.Scope.values if s in self.params["scopes"]]
        secret = credentials.new_secret()
        token = ApiToken.objects.create(
            membership=membership, name=self.params["name"].strip(), prefix=secret[:credentials.SHOWN_CHARS],
            secret_hash=credentials.hash_secret(secret), scopes=scopes, created_by=self.actor,
            expires_at=timezone.now() + datetime.timedelta(days=days) if days else None,
        )
        token.secret = secret
        self.audit_data.update(name=token.name, scopes=scopes, prefix=token.prefix,
                               expires_at=token.expires_at.isoformat() if token.expires_at else None)
        return token


class RevokeApiToken(Action):
    """The artist revokes their own token, whatever their membership's status: it stops working at once."""

    name = "api.token.revoked"
    label = "revoked an API token"
    model = ApiToken
    permission = "api_token.revoke"
    transition = "revoke"
    select_related = ("membership__program", "membership__artist")

    def state_refusal(self, token, status):
        return "This token was already revoked."

    def apply(self, token):
        self.change(token, revoked_at=timezone.now(), revoked_by_id=self.actor.pk)
        self.audit_data.update(name=token.name, prefix=token.prefix)


__all__ = ["CreateApiToken", "DEFAULT_EXPIRY", "EXPIRY_CHOICES", "MAX_ACTIVE_TOKENS", "RevokeApiToken"]
