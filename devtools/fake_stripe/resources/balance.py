"""The platform's balance (and each connected account's): GET /v1/balance and ``set_balance``."""

from __future__ import annotations

from ..protocol import StripeError


class Balance:
    """Mixed into ``FakeStripe``."""

    def set_balance(self, currency: str, amount: int) -> None:
        with self.lock:
            self.balance_available[currency.lower()] = int(amount)

    def _api_balance(self, ctx, params):
        if ctx.stripe_account:
            if ctx.stripe_account not in self.accounts:
                raise StripeError(
                    403,
                    "invalid_request_error",
                    f"The provided key does not have access to account "
                    f"'{ctx.stripe_account}' (or that account does not exist).",
                    "account_invalid",
                )
            amounts = self.account_balances.get(ctx.stripe_account, {})
        else:
            amounts = self.balance_available
        return {
            "object": "balance",
            "available": [
                {"amount": amt, "currency": cur, "source_types": {"card": amt}}
                for cur, amt in sorted(amounts.items())
            ],
            "connect_reserved": [{"amount": 0, "currency": cur} for cur in sorted(amounts)],
            "livemode": False,
            "pending": [
                {"amount": 0, "currency": cur, "source_types": {"card": 0}} for cur in sorted(amounts)
            ],
        }
