"""Reads of the api app: an artist's tokens, shaped for the tokens page."""
from __future__ import annotations

from api.models import ApiToken


def tokens_for_artist(user):
    """Every token of the artist's memberships, newest first, with its program (one query)."""
    return (ApiToken.objects.filter(membership__artist__user=user)
            .select_related("membership__program", "membership__artist").order_by("-created_at", "-id"))


def token_for_secret(secret_hash: str) -> ApiToken | None:
    """The token with this hash, with what authentication checks (membership, program, user), in one query."""
    return (ApiToken.objects.filter(secret_hash=secret_hash)
            .select_related("membership__program", "membership__artist__user").first())
