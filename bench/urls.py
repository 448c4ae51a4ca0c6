"""The product's URLs plus /bench/bare/, a view doing nothing (the baseline of bench/request_rate.py)."""
from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    return HttpResponse("ok")


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("", include("atelier.urls")),
]
