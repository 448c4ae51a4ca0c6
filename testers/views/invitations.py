"""Following an invitation link: sign up, sign in, or join right away (only as the invited address)."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from testers.adapters import INVITATION_SESSION_KEY
from atelier.http import perform
from testers.actions import AcceptInvitation
from testers.services.invitations import InvitationUnusable, check_usable


@require_http_methods(["GET", "POST"])
def invitation_landing(request, token):
    try:
        invitation = check_usable(token)
    except InvitationUnusable as error:
        status = 404 if error.invitation is None else 410
        return render(request, "testers/invitation_unusable.html", {"reason": str(error)}, status=status)

    if request.user.is_authenticated:
        action = AcceptInvitation(request.user, invitation)
        if request.method == "POST":
            if perform(request, action) is not None:
                messages.success(request, f"Welcome to {invitation.program.name}.")
                return redirect("home")
            return redirect("testers:invitation", token=token)
        return render(request, "testers/invitation_join.html", {"invitation": invitation, "refusal": action.check()})

    request.session[INVITATION_SESSION_KEY] = token
    signup_url = reverse("account_signup") + "?" + urlencode({"email": invitation.email})
    login_url = reverse("account_login") + "?" + urlencode({"next": reverse("home")})
    return render(
        request,
        "testers/invitation_landing.html",
        {"invitation": invitation, "signup_url": signup_url, "login_url": login_url},
    )
