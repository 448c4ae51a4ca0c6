"""Figures the reports show that another app owns. The layer above (portal) plugs them in when the apps are
ready, so payments never imports content_review; a report without a provider leaves those figures out."""
from __future__ import annotations

from typing import Callable

#: (program, filters) -> {"months", "series", "hours"}: share requests per month of first submission.
review_figures_over_time: Callable | None = None
#: (program, within: timedelta) -> (the first 10 open share requests due within `within`, how many in all).
share_requests_near_deadline: Callable | None = None


def review_figures(program, filters) -> dict:
    if review_figures_over_time is None:
        return {"months": filters.period.months(), "series": [], "hours": {}}
    return review_figures_over_time(program, filters)


def near_deadline(program, within) -> tuple[list, int]:
    if share_requests_near_deadline is None:
        return [], 0
    return share_requests_near_deadline(program, within)
