"""One way to cut a list into pages (templates/includes/pagination.html renders the links)."""
from django.core.paginator import Page, Paginator

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE, param: str = "page", count: int | None = None) -> Page:
    """The requested page of `queryset`; a missing or bad page number gives the first or last page. `count`: how
    many rows `queryset` has, when the caller already knows (no COUNT query then)."""
    paginator = Paginator(queryset, per_page)
    if count is not None:
        paginator.count = count  # a cached_property: this value stands for the query
    return paginator.get_page(request.GET.get(param))
