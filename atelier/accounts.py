"""Creating people outside the sign-up flow (demo data, admin, tests): a verified e-mail and, for staff, TOTP."""
import time

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from allauth.mfa.utils import decrypt
from django.contrib.auth import get_user_model


def ensure_user(email: str, password: str, *, first_name: str = "", last_name: str = "", superuser: bool = False):
    """Create (or update) a user whose e-mail is verified; return (user, created)."""
    User = get_user_model()
    email = email.lower()
    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first_name, "last_name": last_name}
    )
    user.first_name, user.last_name = first_name or user.first_name, last_name or user.last_name
    user.is_superuser = user.is_staff = superuser or user.is_superuser
    user.set_password(password)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user, created


def ensure_totp(user, secret: str | None = None) -> str:
    """Give the user a TOTP authenticator (once) and return its secret."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None:
        return decrypt(existing.data["secret"])
    secret = secret or generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def current_totp_code(user) -> str:
    """The user's TOTP code right now, for code that acts as a person who has their device at hand (the demo
    seed, benchmarks). Never shown to anyone."""
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(decrypt(authenticator.data["secret"]), counter))
