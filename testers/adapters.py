"""django-allauth hooks: sign-up is open only to a person holding a usable invitation, and only with the
address the invitation was sent to."""
from allauth.account.adapter import DefaultAccountAdapter
from django import forms
from django.urls import reverse

from atelier.permissions import staff_roles
from atelier.requestcontext import client_ip
from testers.models import Membership, Program
from testers.services.invitations import find_usable_invitation

INVITATION_SESSION_KEY = "atelier_invitation_token"


def invitation_in_session(request):
    token = request.session.get(INVITATION_SESSION_KEY) if hasattr(request, "session") else None
    return find_usable_invitation(token) if token else None


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request):
        # The same address as the audit log's: X-Forwarded-For only from settings.TRUSTED_PROXIES, which keys the
        # login rate limits by the real client behind our proxies, and by nobody's choice of header.
        return client_ip(request) or super().get_client_ip(request)

    def is_open_for_signup(self, request):
        return invitation_in_session(request) is not None

    def clean_email(self, email):
        # An invitation is bound to its address: signing up with another one is refused before any account
        # exists (other forms that
        # clean an address, such as a password reset, are not signing up).
        email = super().clean_email(email)
        request = self.request
        user = getattr(request, "user", None)
        signing_up = getattr(getattr(request, "resolver_match", None), "url_name", None) == "account_signup"
        if signing_up and not getattr(user, "is_authenticated", False):
            invitation = invitation_in_session(request)
            if invitation is not None and invitation.email.lower() != (email or "").strip().lower():
                raise forms.ValidationError(
                    f"This invitation was sent to {invitation.email}: sign up with that address. To join with "
                    f"another address, ask the program manager to invite it."
                )
        return email

    def is_email_verified(self, request, email):
        # Following an invitation sent to this address proves the person can read its mail.
        invitation = invitation_in_session(request)
        if invitation is not None and invitation.email.lower() == (email or "").lower():
            return True
        return super().is_email_verified(request, email)

    def save_user(self, request, user, form, commit=True):
        # The zone the browser reported at sign-up (validated by the form; blank: the site's default).
        user.time_zone = getattr(form, "cleaned_data", {}).get("time_zone", "") or ""
        return super().save_user(request, user, form, commit)

    def get_login_redirect_url(self, request):
        # Staff with roles in one program only, and no portal of their own as an artist, land on that program's
        # staff page rather than on an empty portal home. (A `next` address, when given, still wins: allauth asks
        # this only without one.)
        user = request.user
        programs = staff_roles(user) if user.is_authenticated else {}
        if len(programs) == 1 and not Membership.objects.filter(artist__user=user).exists():
            program = Program.objects.filter(pk__in=programs).only("slug").first()
            if program is not None:
                return reverse("testers:staff_program", args=[program.slug])
        return super().get_login_redirect_url(request)
