"""Stripe Connect onboarding: one connected account per artist, onboarding links, and its state kept current."""
from __future__ import annotations

from atelier.errors import DomainError
from payments import stripe_gateway as gateway
from payments.models import StripeAccount
from testers.models import ArtistProfile
from atelier.actions import SYSTEM



def state_from_stripe(data: dict) -> dict:
    """Our fields for a Stripe account object. Payable only when payouts are enabled, the transfers
    capability is active and Stripe gives no disabled reason."""
    requirements = data.get("requirements") or {}
    capabilities = data.get("capabilities") or {}
    transfers = capabilities.get("transfers")
    if isinstance(transfers, dict):  # expanded form
        transfers = transfers.get("status")
    disabled_reason = requirements.get("disabled_reason") or ""
    due = sorted(set(requirements.get("currently_due") or []) | set(requirements.get("past_due") or []))
    payouts_enabled = bool(data.get("payouts_enabled"))
    transfers_active = transfers == "active"
    details_submitted = bool(data.get("details_submitted"))
    if payouts_enabled and transfers_active and not disabled_reason:
        state = StripeAccount.State.ENABLED
    elif due or not details_submitted:
        state = StripeAccount.State.DETAILS_NEEDED
    elif disabled_reason.startswith(("rejected", "platform_paused", "listed")):
        state = StripeAccount.State.DISABLED
    else:
        state = StripeAccount.State.PENDING
    return {
        "state": state, "details_submitted": details_submitted, "payouts_enabled": payouts_enabled,
        "transfers_active": transfers_active, "disabled_reason": disabled_reason[:120], "requirements_due": due,
    }


def apply_stripe_account(account: StripeAccount, data: dict, *, actor=None) -> StripeAccount:
    """Store what Stripe says about the account (always from a fresh retrieve, never from a webhook body):
    the system's `payments.stripe_account.refreshed` action; `actor` is the artist who asked, if any."""
    from payments.actions import RefreshStripeAccount  # the actions use this module

    if state_from_stripe(data) == {name: getattr(account, name) for name in state_from_stripe(data)}:
        return account  # nothing changed at Stripe: nothing to record
    return RefreshStripeAccount(SYSTEM, account, data=data, asked_by=actor).run()


def connect_account(artist: ArtistProfile, *, by) -> StripeAccount:
    """The artist's connected account, created at Stripe the first time (the `payments.payout_account.created`
    action; once, whatever the clicks)."""
    from payments.actions import ConnectPayoutAccount  # the actions use this module

    return ConnectPayoutAccount(by, artist).run()


def onboarding_url(account: StripeAccount, *, return_url: str, refresh_url: str) -> str:
    """A fresh, single-use Stripe Account Link (never stored)."""
    try:
        return gateway.create_account_link(account_id=account.stripe_account_id, return_url=return_url,
                                           refresh_url=refresh_url)
    except gateway.StripeGatewayError as error:
        raise DomainError(f"Stripe could not start onboarding: {error.message}")


def refresh_account(account: StripeAccount, *, actor=None) -> StripeAccount:
    """Fetch the account from Stripe and store its state (the artist `actor` asked; the caller checked they may
    manage this account). Raises StripeGatewayError."""
    return apply_stripe_account(account, gateway.retrieve_account(account.stripe_account_id), actor=actor)
