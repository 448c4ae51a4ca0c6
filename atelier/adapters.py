"""django-allauth hooks: sign-up is open only to a person holding a usable invitation."""
from allauth.account.adapter import DefaultAccountAdapter

INVITATION_SESSION_KEY = "atelier_invitation_token"


def invitation_in_session(request):
    from testers.services.invitations import find_usable_invitation

    token = request.session.get(INVITATION_SESSION_KEY) if hasattr(request, "session") else None
    return find_usable_invitation(token) if token else None


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return invitation_in_session(request) is not None

    def is_email_verified(self, request, email):
        # Following an invitation sent to this address proves the person can read its mail.
        invitation = invitation_in_session(request)
        if invitation is not None and invitation.email.lower() == (email or "").lower():
            return True
        return super().is_email_verified(request, email)

    def get_login_redirect_url(self, request):
        return super().get_login_redirect_url(request)
