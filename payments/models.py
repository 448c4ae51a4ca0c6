"""Rate cards, ledger, Stripe accounts, payouts."""
