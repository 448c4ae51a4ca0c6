"""Pages with several paginated lists: each list's links move its own page and keep the others'."""
from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def test_each_list_pages_with_its_own_parameter_and_keeps_the_rest_of_the_query():
    request = RequestFactory().get("/staff/x/payouts/reconciliation/", {"differences": "2", "held": "1", "q": "ab"})
    page = Paginator(list(range(100)), 25).page(2)
    html = render_to_string("includes/pagination.html", {"page_obj": page, "param": "differences",
                                                         "label": "open differences"}, request=request)
    assert 'aria-label="Pages of open differences"' in html
    assert 'href="?differences=1&amp;held=1&amp;q=ab"' in html and 'href="?differences=3&amp;held=1&amp;q=ab"' in html
    plain = render_to_string("includes/pagination.html", {"page_obj": page}, request=RequestFactory().get("/", {"page": 2}))
    assert 'href="?page=3"' in plain and 'aria-label="Pages"' in plain
