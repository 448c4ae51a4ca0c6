"""Hostile values sent to the API's one writing endpoint, as JSON and as a form: never a 500, and a refused request
(anything but 201) writes no feedback, attachment, event or audit entry."""
import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from atelier.models import AuditLogEntry
from testers.models import Feedback, FeedbackAttachment, FeedbackEvent

from .conftest import bearer

pytestmark = pytest.mark.django_db

VALID = {"kind": "bug", "severity": "low", "title": "Crash", "body": "It crashed.", "build": "1.0", "os": "Linux",
         "device": "Desktop"}
HOSTILE = (st.sampled_from(["x" * 60_000, "a\x00b", "\x00", "", " ", "\u202e", "<script>", "9" * 30, "NaN"])
           | st.text(max_size=30))
JSON_HOSTILE = HOSTILE | st.none() | st.integers() | st.booleans() | st.lists(st.text(max_size=5), max_size=3) \
    | st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2)


@st.composite
def mostly_valid(draw, values):
    data = dict(VALID)
    for name in draw(st.sets(st.sampled_from(sorted(VALID) + ["images", "extra"]), min_size=1, max_size=2)):
        data[name] = draw(values)
    return data


def _rows():
    return (Feedback.objects.count(), FeedbackAttachment.objects.count(), FeedbackEvent.objects.count(),
            AuditLogEntry.objects.count())


FUZZ = hsettings(max_examples=40, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _check(response, before):
    assert response.status_code < 500
    if response.status_code != 201:
        assert _rows() == before, response.content[:300]
        assert "detail" in response.json() or response.status_code == 400


@pytest.fixture(autouse=True)
def _no_rate_limit_here(settings):
    settings.API_RATE_LIMIT = "100000/min"  # the fuzz sends more than a minute's worth; tests/api/test_api.py tests it


def test_hostile_json_never_gives_500_nor_half_written_rows(api, token):
    @FUZZ
    @given(mostly_valid(JSON_HOSTILE))
    def send(data):
        before = _rows()
        _check(api.post(reverse("api:feedback"), data, content_type="application/json", **bearer(token)), before)

    send()


def test_hostile_form_fields_never_give_500_nor_half_written_rows(api, token):
    @FUZZ
    @given(mostly_valid(HOSTILE))
    def send(data):
        before = _rows()
        _check(api.post(reverse("api:feedback"), data, **bearer(token)), before)

    send()


@pytest.mark.parametrize("body", [b"{", b"[]", b"null", b'"text"', b"\xff\xfe", b'{"kind": "bug"' * 1000],
                         ids=["open", "list", "null", "string", "not-utf8", "long-unclosed"])
def test_broken_json_is_a_400_not_a_500(api, token, body):
    response = api.post(reverse("api:feedback"), body, content_type="application/json", **bearer(token))
    assert response.status_code == 400 and not Feedback.objects.exists()


def test_an_unsupported_content_type_is_415(api, token):
    response = api.post(reverse("api:feedback"), "kind=bug", content_type="text/plain", **bearer(token))
    assert response.status_code == 415 and not Feedback.objects.exists()
