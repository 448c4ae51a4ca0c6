"""The product's URLs plus two baselines for bench/request_rate.py (nothing here enters the product's URLs):

- /bench/bare/: a view doing nothing (the target's reference);
- /bench/template/: the signed-in base layout (base.html with the navigation context processor and an empty
  content block): the floor every real page pays before its own queries and markup.
"""
import functools

from django.http import HttpResponse
from django.template import engines
from django.urls import include, path

PAGE = '{% extends "base.html" %}{% block title %}Bench{% endblock %}{% block content %}<h1>Bench</h1>{% endblock %}'


def bare(request):
    return HttpResponse("ok")


def template(request):
    return HttpResponse(_page().render({}, request))


@functools.cache
def _page():
    # Compiled once, as a real page's template is by the cached loader.
    return engines["django"].from_string(PAGE)


urlpatterns = [
    path("bench/bare/", bare, name="bench_bare"),
    path("bench/template/", template, name="bench_template"),
    path("", include("portal.urls")),
]
