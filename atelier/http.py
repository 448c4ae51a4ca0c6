"""How views run actions: one place turns a refusal into a 404, a TOTP redirect or a message."""
from __future__ import annotations

from django.contrib import messages
from django.http import Http404

from .errors import ActionRefused, DomainError, TwoFactorRequired


def perform(request, action, *, success: str | None = None, form=None):
    """Run `action` for the signed-in person. Returns its result, or None when it was refused, after telling
    them why: on the form when one is given, else as a message. A person who may not act on the object at all
    gets a 404; staff without TOTP are sent to set it up."""
    try:
        result = action.run()
    except ActionRefused as refused:
        if refused.hides_object:
            raise Http404("Not found.")
        if refused.kind == "mfa":
            raise TwoFactorRequired(str(refused))
        _tell(request, form, str(refused))
        return None
    except DomainError as error:
        _tell(request, form, str(error))
        return None
    if success:
        messages.success(request, success)
    return result


def _tell(request, form, text):
    if form is not None:
        form.add_error(None, text)
    else:
        messages.error(request, text)
