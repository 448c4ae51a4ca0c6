"""The artist's tokens page: create a token (its secret shown once, on the page after the redirect), list, revoke."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from api import selectors
from api.actions import CreateApiToken, RevokeApiToken
from api.forms import ApiTokenForm
from api.models import ApiToken
from atelier.http import perform
from atelier.pagination import paginate
from atelier.permissions import get_object_for
from testers import selectors as testers_selectors

TOKEN_PATHS = {"program_path": "membership__program", "owner_path": "membership__artist__user"}


def _memberships(user):
    """(memberships in which the artist may create a token now, [(membership, why not)] for the others)."""
    allowed, blocked = [], []
    for membership in testers_selectors.artist_memberships(user):
        refusal = CreateApiToken(user, membership=membership).check()
        if refusal is None:
            allowed.append(membership)
        elif refusal.kind != "permission":
            blocked.append((membership, str(refusal)))
    return allowed, blocked


#: The new token's secret waits in the session for exactly one page view (the one after the redirect), then is gone.
NEW_SECRET_KEY = "api_new_token"


@never_cache  # the page that shows a secret: no copy of it in any cache
@login_required
def tokens(request):
    memberships, blocked = _memberships(request.user)
    form = ApiTokenForm(request.POST or None, memberships=memberships) if memberships else None
    if request.method == "POST" and form is not None and form.is_valid():
        data = form.cleaned_data
        token = perform(request, CreateApiToken(
            request.user, membership=data["membership"], name=data["name"], scopes=data["scopes"],
            expires_in=data["expires_in"]), form=form)
        if token is not None:
            request.session[NEW_SECRET_KEY] = {"id": token.pk, "secret": token.secret}
            return redirect("api:tokens")
    new = request.session.pop(NEW_SECRET_KEY, None) if request.method == "GET" else None
    page_obj = paginate(request, selectors.tokens_for_artist(request.user))
    created = None
    if new is not None:
        created = ApiToken.objects.filter(pk=new["id"], membership__artist__user=request.user).first()
        if created is not None:
            created.secret = new["secret"]
    return render(request, "api/tokens.html", {"form": form, "blocked": blocked, "created": created,
                                              "page_obj": page_obj})


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_for(request.user, "api_token.revoke",
                           ApiToken.objects.select_related("membership__program"), pk=pk, **TOKEN_PATHS)
    perform(request, RevokeApiToken(request.user, token), success=f"Token “{token.name}” revoked: it no longer works.")
    return redirect("api:tokens")
