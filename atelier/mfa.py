"""A fresh second factor for the one action that sends money: the approver types the current code again."""
from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, validate_totp_code
from allauth.mfa.utils import decrypt

WRONG_CODE = ("Enter the current 6-digit code from your authenticator app to send this money "
              "(each code works once).")
USED_CODE = "That code was already used (to sign in, or for another approval): wait for the next one in your app."


def fresh_totp_refusal(user, code: str) -> str | None:
    """None when `code` is the user's current TOTP code and was not used before (it is marked used now, so a
    replayed form cannot approve twice); otherwise why not, in words."""
    code = "".join((code or "").split())
    authenticator = Authenticator.objects.filter(user_id=getattr(user, "pk", None),
                                                 type=Authenticator.Type.TOTP).first()
    if authenticator is None or not code.isdigit():
        return WRONG_CODE
    if not validate_totp_code(decrypt(authenticator.data["secret"]), code):
        return WRONG_CODE
    return None if TOTP(authenticator).validate_code(code) else USED_CODE


def verify_fresh_totp(user, code: str) -> bool:
    return fresh_totp_refusal(user, code) is None
