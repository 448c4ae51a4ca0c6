"""Celery tasks of the payments app (Celery autodiscovers this package)."""
from .ledger import *  # noqa: F401,F403
from .payouts import *  # noqa: F401,F403
