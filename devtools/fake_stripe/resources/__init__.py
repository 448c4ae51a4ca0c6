"""Stripe's resources as the fake serves them, one mixin of ``FakeStripe`` each: connected accounts (with
account links and the onboarding pages), transfers (with reversals), the balance, events, and list
pagination shared by all of them."""
