"""Joins a person to a program when they sign up or sign in holding an invitation."""
from allauth.account.signals import user_logged_in, user_signed_up
from django.contrib import messages
from django.dispatch import receiver

from testers.adapters import INVITATION_SESSION_KEY

from .services import DomainError
from .services.invitations import accept_invitation


def _accept_from_session(request, user):
    token = request.session.pop(INVITATION_SESSION_KEY, None) if request is not None else None
    if not token:
        return
    try:
        membership = accept_invitation(token=token, user=user)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Welcome to {membership.program.name}.")


@receiver(user_signed_up)
def join_on_sign_up(request, user, **kwargs):
    _accept_from_session(request, user)


@receiver(user_logged_in)
def join_on_sign_in(request, user, **kwargs):
    _accept_from_session(request, user)
