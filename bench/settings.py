"""Settings for the benchmarks: the product's settings plus a bare view URL (bench/urls.py).

Nothing here enters the product: only bench/request_rate.py serves with DJANGO_SETTINGS_MODULE=bench.settings.
"""
from atelier.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.urls"
# Quiet: no per-request log lines competing for the two cores.
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING", "handlers": []}}
