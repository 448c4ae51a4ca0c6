"""The artist's payout account: connect through Stripe (Account Links), come back, see its state and payouts."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from atelier.errors import DomainError
from atelier.permissions import require
from payments import stripe_gateway as gateway
from payments.models import Payout, StripeAccount
from payments.services import accounts
from testers.models import ArtistProfile


def _profile(request) -> ArtistProfile:
    profile = ArtistProfile.objects.filter(user=request.user).first()
    if profile is None:
        raise Http404("Only artists have a payout account.")
    require(request.user, "payout_account.manage", profile)
    return profile


def _link(request, account):
    return accounts.onboarding_url(
        account,
        return_url=request.build_absolute_uri(reverse("payments:payout_account_return")),
        refresh_url=request.build_absolute_uri(reverse("payments:payout_account_relink")),
    )


@login_required
def payout_account(request):
    profile = _profile(request)
    account = StripeAccount.objects.filter(artist=profile).first()
    payouts = (Payout.objects.filter(membership__artist=profile).select_related("run__program")
               .order_by("-created_at", "-pk"))
    return render(request, "payments/payouts/account.html", {
        "profile": profile, "account": account,
        "needed": accounts.requirement_names(account) if account else [],
        "not_payable_reason": accounts.account_not_payable_reason(account) if account else "",
        "page_obj": Paginator(payouts, 25).get_page(request.GET.get("page")),
    })


@login_required
@require_POST
def payout_account_connect(request):
    """Create the connected account (once) and send the artist to a fresh Stripe onboarding link."""
    profile = _profile(request)
    try:
        account = accounts.connect_account(profile, by=request.user)
        return redirect(_link(request, account))
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("payments:payout_account")


@login_required
def payout_account_return(request):
    """Stripe's return_url: coming back does not mean onboarding is finished, so ask Stripe."""
    profile = _profile(request)
    account = StripeAccount.objects.filter(artist=profile).first()
    if account is not None:
        try:
            account = accounts.refresh_account(account, actor=request.user)
        except gateway.StripeGatewayError as error:
            messages.warning(request, f"Could not check your account with Stripe just now: {error.message}")
        else:
            if account.state == StripeAccount.State.ENABLED:
                messages.success(request, "Your payout account is ready: payouts are enabled.")
            else:
                messages.info(request, f"Your payout account: {account.get_state_display().lower()}.")
    return redirect("payments:payout_account")


@login_required
def payout_account_relink(request):
    """Stripe's refresh_url (the link expired or was used): make a new one and go back to Stripe."""
    profile = _profile(request)
    account = StripeAccount.objects.filter(artist=profile).first()
    if account is None:
        return redirect("payments:payout_account")
    try:
        return redirect(_link(request, account))
    except DomainError as error:
        messages.error(request, str(error))
        return redirect("payments:payout_account")


@login_required
@require_POST
def payout_account_refresh(request):
    profile = _profile(request)
    account = StripeAccount.objects.filter(artist=profile).first()
    if account is None:
        raise Http404("No payout account yet.")
    try:
        account = accounts.refresh_account(account, actor=request.user)
    except gateway.StripeGatewayError as error:
        messages.error(request, f"Could not reach Stripe: {error.message}")
    else:
        messages.success(request, f"Checked with Stripe: {account.get_state_display().lower()}.")
    return redirect("payments:payout_account")
