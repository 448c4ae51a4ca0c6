"""Stripe Connect onboarding: one connected account per artist, onboarding links, and its state kept current."""
from __future__ import annotations

from django.db import transaction

from atelier import audit
from atelier.errors import DomainError
from payments import stripe_gateway as gateway
from payments.models import StripeAccount
from testers.models import ArtistProfile

DEFAULT_COUNTRY = "US"


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
    """Store what Stripe says about the account (always from a fresh retrieve, never from a webhook body)."""
    fields = state_from_stripe(data)
    before = {name: getattr(account, name) for name in fields}
    if before == fields:
        return account
    for name, value in fields.items():
        setattr(account, name, value)
    account.save(update_fields=[*fields, "updated_at"])
    audit.log(actor, "payments.payout_account.updated", account, program=None,
              before={"state": before["state"]}, after={"state": account.state})
    return account


def connect_account(artist: ArtistProfile, *, by) -> StripeAccount:
    """The artist's connected account, created at Stripe the first time (once, whatever the clicks)."""
    if artist.user_id != getattr(by, "pk", None):
        raise DomainError("Only the artist can connect their payout account.")
    existing = StripeAccount.objects.filter(artist=artist).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        # Two clicks at once wait here; the idempotency key makes a retried create return the same account.
        ArtistProfile.objects.select_for_update().get(pk=artist.pk)
        existing = StripeAccount.objects.filter(artist=artist).first()
        if existing is not None:
            return existing
        country = (artist.country or DEFAULT_COUNTRY).upper()
        try:
            data = gateway.create_account(
                email=artist.user.email, country=country, idempotency_key=f"atelier-account-artist-{artist.pk}",
                metadata={"artist_id": artist.pk},
            )
        except gateway.StripeGatewayError as error:
            raise DomainError(f"Stripe could not create your payout account: {error.message}")
        account = StripeAccount.objects.create(artist=artist, stripe_account_id=data["id"], country=country,
                                               **state_from_stripe(data))
        audit.log(by, "payments.payout_account.created", account, program=None,
                  after={"stripe_account_id": account.stripe_account_id, "country": country})
    return account


def onboarding_url(account: StripeAccount, *, return_url: str, refresh_url: str) -> str:
    """A fresh, single-use Stripe Account Link (never stored)."""
    try:
        return gateway.create_account_link(account_id=account.stripe_account_id, return_url=return_url,
                                           refresh_url=refresh_url)
    except gateway.StripeGatewayError as error:
        raise DomainError(f"Stripe could not start onboarding: {error.message}")


def refresh_account(account: StripeAccount, *, actor=None) -> StripeAccount:
    """Fetch the account from Stripe and store its state. Raises StripeGatewayError."""
    return apply_stripe_account(account, gateway.retrieve_account(account.stripe_account_id), actor=actor)
