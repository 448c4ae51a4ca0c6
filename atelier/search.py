"""One way to read a list page's search box (GET `q`) and match it against a few text fields."""
from functools import reduce
from operator import or_

from django.db.models import Q

MAX_QUERY = 100


def query_of(request, param: str = "q") -> str:
    """The search words of the request, trimmed and bounded (a long paste is cut, not refused)."""
    return (request.GET.get(param) or "").strip()[:MAX_QUERY]


def matching(queryset, q: str, *fields: str):
    """Rows where any of `fields` contains `q` (case-insensitive); every row when `q` is empty."""
    if not q:
        return queryset
    return queryset.filter(reduce(or_, (Q(**{f"{field}__icontains": q}) for field in fields)))
