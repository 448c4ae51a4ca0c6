"""The e-mail a person gets when a program adds them to its team (the action is testers.staff_role.invited)."""
from __future__ import annotations

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.urls import reverse

from atelier.notifications import notify
from testers.models import StaffRole


def set_password_link(user) -> str:
    """allauth's password-reset link: the way a person invited without an account chooses their password."""
    key = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("account_reset_password_from_key",
                                       kwargs={"uidb36": user_pk_to_url_str(user), "key": key})


def queue_staff_invitation_email(staff_role: StaffRole, *, new_account: bool) -> bool:
    user, program = staff_role.user, staff_role.program
    context = {
        "user": user, "program": program, "role": staff_role.get_role_display(),
        "staff_url": settings.SITE_URL + reverse("testers:staff_program", args=[program.slug]),
        "password_link": set_password_link(user) if new_account and not user.has_usable_password() else "",
        "login_url": settings.SITE_URL + reverse("account_login"),
    }
    return notify(user.email, f"You're now {staff_role.get_role_display().lower()} of {program.name}",
                  "testers/email/staff_invitation.txt", context)
