"""Demo Stripe accounts and payout runs."""


def seed(context):
    pass
