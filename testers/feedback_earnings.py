"""What a feedback item earned, for the artist's feedback page. The ledger belongs to payments, a layer above:
payments plugs its lookup in when the apps are ready (PaymentsConfig.ready), so testers never imports it; without
it the page shows what shipped and no amounts."""
from __future__ import annotations

from typing import Callable

#: (feedback) -> [{"label", "amount_minor", "currency", "rate_card_version", "work_date"}], one query.
lookup: Callable | None = None


def earnings_of(feedback) -> list[dict]:
    return lookup(feedback) if lookup is not None else []
