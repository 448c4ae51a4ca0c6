"""Tools for development and tests, outside the apps: nothing here is an installed Django app, and the apps'
runtime code never imports from here (a production install may leave this folder out).

- ``fake_stripe/``: a fake Stripe API server (stdlib only), used by the tests, the benchmarks and ``make run``.
"""
