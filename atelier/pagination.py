"""One way to cut a list into pages (templates/includes/pagination.html renders the links)."""
from django.core.paginator import Page, Paginator

PAGE_SIZE = 25


def paginate(request, queryset, per_page: int = PAGE_SIZE, param: str = "page") -> Page:
    """The requested page of `queryset`; a missing or bad page number gives the first or last page."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))
