"""Request-wide guards: the client address for the audit log, TOTP before any staff page, no NUL byte in a URL."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthenticationMiddleware
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils.functional import SimpleLazyObject

from . import person_cache

from .errors import TwoFactorRequired
from .permissions import has_totp, is_staff_member
from .requestcontext import client_ip, reset_ip, set_ip

TOTP_MESSAGE = "Staff pages need two-factor authentication. Set up an authenticator app to continue."


class AuthenticationMiddleware(DjangoAuthenticationMiddleware):
    """Django's, with `request.user` read from the shared cache together with the person's access and unread
    count (atelier.person_cache): a signed-in page that asks nothing else runs no query."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _signed_in_user(request))


def _signed_in_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = person_cache.signed_in_user(request)
    return request._cached_user


class StaffTwoFactorMiddleware:
    """Staff must have TOTP set up before they reach staff-only data. Under /staff/ and /admin/ this is checked
    by URL; anywhere else the permission helper raises TwoFactorRequired when staff-only data or a staff action
    is asked for, and this middleware turns it into the same redirect."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = set_ip(client_ip(request))
        try:
            blocked = self._needs_totp_setup(request)
            if blocked:
                messages.warning(request, TOTP_MESSAGE)
                return redirect("mfa_activate_totp")
            return self.get_response(request)
        finally:
            reset_ip(token)

    def _needs_totp_setup(self, request) -> bool:
        if not request.path.startswith(settings.STAFF_PATH_PREFIXES):
            return False
        user = request.user
        return bool(user.is_authenticated and is_staff_member(user) and not has_totp(user))

    def process_exception(self, request, exception):
        if isinstance(exception, TwoFactorRequired):
            messages.warning(request, TOTP_MESSAGE)
            return redirect("mfa_activate_totp")
        return None


class RefuseNulBytesMiddleware:
    """A NUL byte in the path or the query string is refused with 400: no URL of ours holds one, and PostgreSQL
    refuses it in a query (a 500 wherever a view looks a value up, e.g. an invitation's token). Form fields refuse
    it themselves, with a message ("Null characters are not allowed.")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "%00" in query or "\x00" in query:
            return HttpResponseBadRequest("A NUL character is not allowed in a web address.",
                                          content_type="text/plain; charset=utf-8")
        return self.get_response(request)
