from payments import demo_ledger, demo_payouts
"""Demo data of the payments app: rate cards and earnings first, then Stripe accounts and payout runs."""


def seed(context):
    demo_ledger.seed(context)
    demo_payouts.seed(context)
