"""A fresh second factor for the one action that sends money: the approver types the current code again."""
from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP


def verify_fresh_totp(user, code: str) -> bool:
    """Whether `code` is the user's current TOTP code. A code is accepted once (allauth marks it used), so a
    replayed form cannot approve twice."""
    code = "".join((code or "").split())
    if not code.isdigit():
        return False
    authenticator = Authenticator.objects.filter(user_id=getattr(user, "pk", None),
                                                 type=Authenticator.Type.TOTP).first()
    return authenticator is not None and TOTP(authenticator).validate_code(code)
