"""Signed links to a person's notification settings, which work without signing in: the preferences link and
the List-Unsubscribe link of every e-mail. They carry the person and (to unsubscribe) a category, are signed with
SECRET_KEY under their own salt, and expire."""
from __future__ import annotations

from datetime import timedelta

from django.core import signing

from atelier.models import User

SALT = "atelier.notifications.settings"
MAX_AGE = timedelta(days=180)


class BadToken(Exception):
    """The link is not one of ours, was altered, or is too old: the message says which, in words."""


def settings_token(user, category: str = "") -> str:
    return signing.dumps({"u": user.pk, "c": category}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[User, str]:
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise BadToken("This link has expired. Sign in to Atelier to change your notification settings, or use "
                       "the link in a more recent e-mail.") from None
    except signing.BadSignature:
        raise BadToken("This link is not valid: it may have been cut short or changed. Sign in to Atelier to "
                       "change your notification settings.") from None
    try:
        user = User.objects.get(pk=data["u"], is_active=True)
    except (User.DoesNotExist, KeyError, TypeError, ValueError):
        raise BadToken("This link is not valid any more: the account it was for is closed.") from None
    return user, str(data.get("c") or "")
