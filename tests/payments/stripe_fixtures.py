"""The fake Stripe server as a pytest fixture (import the fixture into a test module to use it)."""
import pytest

from devtools.fake_stripe import FakeStripe


@pytest.fixture
def fake_stripe(settings):
    """A fresh fake on a free port; the gateway points at it, retries are quick and pacing is loose."""
    fake = FakeStripe(webhook_secret="whsec_test_secret").start()
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    settings.STRIPE_RETRY_BACKOFF_SECONDS = 0.01
    settings.STRIPE_TIMEOUT_SECONDS = 2.0
    settings.STRIPE_TRANSFERS_PER_SECOND = 1000.0
    yield fake
    fake.stop()

