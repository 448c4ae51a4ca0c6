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


# --- what an account still needs, in words ------------------------------------------------------------------

# Stripe names requirements by field path; the ones artists meet most often, in words. Anything else is
# shown from its path ("individual.address.city" → "address city"), so nothing is ever left unnamed.
REQUIREMENT_WORDS = {
    "external_account": "a bank account to receive payouts",
    "tos_acceptance.date": "accepting Stripe's terms of service",
    "tos_acceptance.ip": "accepting Stripe's terms of service",
    "individual.verification.document": "an identity document",
    "individual.verification.additional_document": "a second identity document (proof of address)",
    "individual.id_number": "your ID number",
    "individual.ssn_last_4": "the last 4 digits of your SSN",
    "individual.dob.day": "your date of birth",
    "individual.dob.month": "your date of birth",
    "individual.dob.year": "your date of birth",
    "individual.address.line1": "your address",
    "individual.address.city": "your address",
    "individual.address.postal_code": "your address",
    "individual.phone": "your phone number",
    "individual.email": "your e-mail address",
    "individual.first_name": "your legal name",
    "individual.last_name": "your legal name",
    "business_profile.url": "a website or profile link",
    "business_profile.mcc": "what kind of work you do",
    "business_type": "whether you work as an individual or a company",
}

DISABLED_REASON_WORDS = {
    "requirements.past_due": "details Stripe asked for are overdue",
    "requirements.pending_verification": "Stripe is verifying your details",
    "rejected.fraud": "Stripe closed the account",
    "rejected.terms_of_service": "Stripe closed the account",
    "rejected.other": "Stripe closed the account",
    "under_review": "Stripe is reviewing the account",
    "platform_paused": "payouts to this account are paused",
}


def requirement_names(account: StripeAccount) -> list[str]:
    """What Stripe still needs from the artist, in words, each named once, in Stripe's order."""
    names: list[str] = []
    for path in account.requirements_due or []:
        words = REQUIREMENT_WORDS.get(path) or path.split(".", 1)[-1].replace(".", " ").replace("_", " ")
        if words not in names:
            names.append(words)
    return names


def account_not_payable_reason(account: StripeAccount | None) -> str:
    """Why a run cannot pay this account, naming what is missing ("needs: an identity document, your address")."""
    if account is None:
        return "No payout account connected"
    missing = requirement_names(account)
    if missing:
        return f"Payout account needs {', '.join(missing)}"
    if account.disabled_reason:
        words = DISABLED_REASON_WORDS.get(account.disabled_reason, account.disabled_reason.replace("_", " "))
        return f"Payout account not ready: {words}"
    return f"Payout account not ready ({account.get_state_display().lower()})"
