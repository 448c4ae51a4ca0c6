"""Hostile values posted to every form and JSON endpoint, as the role each is for (issue 13, point 9).

Hypothesis draws, for each field of a form, either a valid value or a hostile one: long text, NUL characters, far
and impossible dates, huge, negative and non-numbers, wrong types (several values for one field). Whatever it
draws, the page answers without a 500, and a refused submission (anything but a redirect) changes no row of our
tables (`fingerprint`, the access test's one-query fingerprint of every table). Runs in the access test's world
(world.py): each test is rolled back after it.
"""
from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.conf import settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from devtools.fake_stripe import sign_webhook_payload

from . import roles as R
from .test_url_access import _client, fingerprint

TODAY = datetime.date.today()

long_text = st.sampled_from([201, 2_001, 2_201, 10_001, 60_000]).map(lambda n: "x" * n)
nul_text = st.sampled_from(["\x00", "a\x00b", "\x00" * 50, "caf\u00e9\x00"])
odd_text = st.text(max_size=40) | st.sampled_from(["", " ", "\u202e", "\U0001f600" * 10, "<script>", "' OR 1=1 --"])
far_dates = st.sampled_from(["9999-12-31", "0001-01-01", "10000-01-01", "-1-01-01", "2026-02-30", "0000-00-00",
                             "99999999999999999999-01-01", "1969-12-31", "2100-01-01"])
any_dates = st.dates().map(datetime.date.isoformat) | far_dates
numbers = st.sampled_from(["9" * 30, "-" + "9" * 30, "1e309", "-1e309", "NaN", "Infinity", "-0", "0",
                           "999999999999.99", "-999999999999.99", "21474836.48", "2147483648", "-2147483649",
                           "9223372036854775808", "0.001", "1,5", "12.345", "1e-7", "0x10", "abc"])
any_numbers = numbers | st.integers().map(str) | st.decimals(allow_nan=True, allow_infinity=True).map(str)
HOSTILE = long_text | nul_text | odd_text | any_dates | any_numbers
several = st.lists(HOSTILE, min_size=2, max_size=3)  # a field sent more than once


#: The sharpest values, each tried in every field of every form with the other fields valid (the table-driven
#: half of the fuzz: a form with two bad fields never reaches the code behind it).
SHARP = ["x" * 60_000, "a\x00b", "9999-12-31", "0001-01-01", "99999999999999999999", "-999999999999.99",
         "999999999999.99", "2147483648", "NaN", "1e309", "-1", ["a", "b"]]


@st.composite
def mostly_valid(draw, valid: dict):
    """The valid values with one or two fields replaced by hostile ones."""
    data = dict(valid)
    for name in draw(st.sets(st.sampled_from(sorted(valid)), min_size=1, max_size=2)):
        data[name] = draw(st.one_of(HOSTILE, several))
    return data


@dataclass
class FormCase:
    name: str
    role: str
    url: Callable  # world -> url
    valid: Callable  # world -> {field: a valid value}
    method: str = "POST"
    extra: dict = field(default_factory=dict)  # fields sent as they are
    expect: int | None = None  # the valid values' answer, when not the usual (302 for POST, 200 for GET)


def _own(world):
    return world.own


CASES = [
    # --- artist ---------------------------------------------------------------------------------------------
    FormCase("feedback", R.A_OWNER, lambda w: reverse("testers:feedback_create"), lambda w: {
        "membership": w.own.membership.pk, "kind": "bug", "title": "Crash", "body": "It crashed.",
        "severity": "high"}),
    FormCase("reply", R.A_OWNER, lambda w: reverse("testers:feedback_detail", args=[w.own.feedback.pk]),
             lambda w: {"message": "More detail."}),
    FormCase("time", R.A_OWNER, lambda w: reverse("testers:timelog_list"), lambda w: {
        "membership": w.own.membership.pk, "date": TODAY.isoformat(), "hours": "1", "extra_minutes": "30",
        "description": "Tested brushes."}),
    FormCase("profile", R.A_OWNER, lambda w: reverse("testers:profile"), lambda w: {
        "display_name": "Ana", "legal_name": "Ana Lima", "pronouns": "she/her", "country": "FR",
        "portfolio_url": "https://example.test/ana", "credit_line": "© Ana", "changelog_credit": "on"}),
    FormCase("api_token", R.A_OWNER, lambda w: reverse("api:tokens"), lambda w: {
        "membership": w.own.membership.pk, "name": "Plug-in", "scopes": "feedback:write", "expires_in": "90"}),
    FormCase("time_zone", R.A_OWNER, lambda w: reverse("time_zone"), lambda w: {"time_zone": "Pacific/Auckland"}),
    FormCase("share_request", R.A_OWNER, lambda w: reverse("content_review:new_request", args=[w.program_a.slug]),
             lambda w: {"title": "Study", "caption": "My study", "platforms": "instagram", "platform_other": "",
                        "planned_post_date": TODAY.isoformat()}),
    FormCase("share_request_edit", R.A_OWNER, lambda w: reverse("content_review:edit_request",
                                                                args=[w.own.sr_draft.pk]),
             lambda w: {"title": "Study", "caption": "My study", "platforms": "instagram", "platform_other": "",
                        "planned_post_date": TODAY.isoformat()}),
    FormCase("appeal", R.A_OWNER, lambda w: reverse("content_review:appeal_request", args=[w.own.sr_refused.pk]),
             lambda w: {"message": "Please look again."}),
    FormCase("accept_terms", R.A_OWNER, lambda w: reverse("testers:terms", args=[w.program_a.slug]),
             lambda w: {"version": str(w.terms_a.pk), "agree": "yes"}),
    FormCase("sign_in", R.ANON, lambda w: reverse("account_login"),
             lambda w: {"login": "nobody@access.test", "password": "wrong-password-1"}, expect=200),
    FormCase("password_reset", R.ANON, lambda w: reverse("account_reset_password"),
             lambda w: {"email": "nobody@access.test"}),
    FormCase("statement_page", R.A_OWNER, lambda w: reverse("payments:reports_artist_statement",
                                                            args=[w.program_a.slug]),
             lambda w: {"start": TODAY.replace(day=1).isoformat(), "end": TODAY.isoformat()}, method="GET"),
    FormCase("statement_csv", R.A_OWNER, lambda w: reverse("payments:statement_csv", args=[w.program_a.slug]),
             lambda w: {"start": TODAY.replace(day=1).isoformat(), "end": TODAY.isoformat()}, method="GET"),
    FormCase("statement_pdf", R.A_OWNER, lambda w: reverse("payments:reports_artist_statement_pdf",
                                                           args=[w.program_a.slug]),
             lambda w: {"start": TODAY.replace(day=1).isoformat(), "end": TODAY.isoformat()}, method="GET"),
    # --- manager --------------------------------------------------------------------------------------------
    FormCase("triage", R.A_MANAGER, lambda w: reverse("testers:staff_feedback_detail",
                                                      args=[w.program_a.slug, w.own.feedback.pk]),
             lambda w: {"to_status": "declined", "duplicate_of": "", "message": "Works as designed."}),
    FormCase("triage_ship", R.A_MANAGER, lambda w: reverse("testers:staff_feedback_detail",
                                                           args=[w.program_a.slug, w.own.feedback.pk]),
             # The world's item is new, so even valid values are refused (not accepted yet: a message, 200); what is
             # fuzzed is the build field's path: never a 500, nothing written.
             lambda w: {"to_status": "shipped", "shipped_in": "2.4.0", "message": "Fixed."}, expect=200),
    FormCase("staff_reply", R.A_MANAGER, lambda w: reverse("testers:staff_feedback_detail",
                                                           args=[w.program_a.slug, w.own.feedback.pk]),
             lambda w: {"message": "Thanks."}, extra={"action": "reply"}),
    FormCase("reject_time", R.A_MANAGER, lambda w: reverse("testers:staff_timelog_decide",
                                                           args=[w.program_a.slug, w.own.timelog.pk]),
             lambda w: {"reason": "Not testing."}, extra={"decision": "reject"}),
    FormCase("invitation", R.A_MANAGER, lambda w: reverse("testers:staff_invitations", args=[w.program_a.slug]),
             lambda w: {"name": "Zoe", "email": "zoe@example.test", "cohort": "spring"}),
    FormCase("membership_status", R.A_MANAGER, lambda w: reverse("testers:staff_artist", args=[
        w.program_a.slug, w.memberships[R.A_MEMBER].pk]), lambda w: {"status": "paused", "note": "Away."}),
    FormCase("clause", R.A_MANAGER, lambda w: reverse("testers:staff_clause_add", args=[
        w.program_a.slug, w.draft_terms_a.number]), lambda w: {
        "klass": "confidential", "title": "Secret", "text": "Do not share.", "examples": "", "position": "9",
        "ends_on": (TODAY + datetime.timedelta(days=30)).isoformat(), "ends_at_milestone": ""}),
    FormCase("clause_at_milestone", R.A_MANAGER, lambda w: reverse("testers:staff_clause_add", args=[
        w.program_a.slug, w.draft_terms_a.number]), lambda w: {
        "klass": "needs_approval", "title": "Outputs", "text": "Ask first.", "examples": "", "position": "9",
        "ends_on": "", "ends_at_milestone": str(w.extra["milestone"].pk)}),
    FormCase("milestone", R.A_MANAGER, lambda w: reverse("testers:staff_milestones", args=[w.program_a.slug]),
             lambda w: {"name": "Open beta"}),
    FormCase("draft_summary", R.A_MANAGER, lambda w: reverse("testers:staff_terms_version", args=[
        w.program_a.slug, w.draft_terms_a.number]), lambda w: {"summary": "Clarified."}),
    FormCase("publish_terms", R.A_MANAGER, lambda w: reverse("testers:staff_terms_publish", args=[
        w.program_a.slug, w.draft_terms_a.number]), lambda w: {"effective_date": TODAY.isoformat()}),
    FormCase("rate_card", R.A_MANAGER, lambda w: reverse("payments:ratecard_create", args=[w.program_a.slug]),
             lambda w: {"effective_date": (TODAY + datetime.timedelta(days=1)).isoformat(), "hourly_rate": "25",
                        **{f: "1" for f in ("feedback_bug_low", "feedback_bug_medium", "feedback_bug_high",
                                            "feedback_bug_critical", "feedback_feature", "feedback_quality",
                                            "feedback_general", "monthly_stipend", "minimum_payout")},
                        "feedback_shipped_bonus": "20", "fair_pay_floor_hourly": "", "notes": "Raise."}),
    FormCase("program_settings", R.A_MANAGER, lambda w: reverse("testers:staff_settings", args=[w.program_a.slug]),
             lambda w: {"review_sla_days": "4", "deadline_policy": "escalate", "appeal_sla_days": "6",
                        "watermark_text": "Lumen beta", "credit_text": "Shared with Lumen",
                        "reporting_threshold": "600.00", "terms_notice_days": "14", "fair_pay_floor_hourly": "20",
                        "changelog_public": "on"}),
    FormCase("staff_invite", R.A_MANAGER, lambda w: reverse("testers:staff_team", args=[w.program_a.slug]),
             lambda w: {"email": "new.reviewer@example.test", "role": "reviewer"}),
    FormCase("filters", R.A_MANAGER, lambda w: reverse("testers:staff_feedback", args=[w.program_a.slug]),
             lambda w: {"status": "new", "kind": "bug", "severity": "high", "cohort": "", "q": "crash",
                        "page": "1"}, method="GET"),
    FormCase("time_filters", R.A_MANAGER, lambda w: reverse("testers:staff_timelogs", args=[w.program_a.slug]),
             lambda w: {"status": "pending", "cohort": "", "q": "ana", "page": "1"}, method="GET"),
    FormCase("artist_filters", R.A_MANAGER, lambda w: reverse("testers:staff_artists", args=[w.program_a.slug]),
             lambda w: {"status": "active", "cohort": "", "q": "ana", "page": "1"}, method="GET"),
    # --- reviewer -------------------------------------------------------------------------------------------
    FormCase("decision", R.A_REVIEWER, lambda w: reverse("content_review:review", args=[
        w.program_a.slug, w.own.sr_submitted.pk]), lambda w: {
        "outcome": "approve_with_conditions", "clauses": str(w.terms_a.clauses.get(klass="needs_approval").pk), "reason": "Credit it.",
        "embargo_until": (TODAY + datetime.timedelta(days=7)).isoformat(), "required_caption": "Made with X",
        "required_credit": "© Ana"}),
    FormCase("queue_filters", R.A_REVIEWER, lambda w: reverse("content_review:queue", args=[w.program_a.slug]),
             lambda w: {"status": "open", "artist": "", "overdue": "on", "page": "1"}, method="GET"),
    FormCase("review_report", R.A_REVIEWER, lambda w: reverse("content_review:review_report",
                                                              args=[w.program_a.slug]),
             lambda w: {"start": "2026-01-01", "end": TODAY.isoformat()}, method="GET"),
    # --- finance --------------------------------------------------------------------------------------------
    FormCase("adjustment", R.A_FINANCE, lambda w: reverse("payments:ledger_adjust", args=[
        w.program_a.slug, w.own.membership.pk]), lambda w: {
        "amount": "12.50", "reason": "Bonus", "token": "7d9c8a55-5ad6-4a55-9a3c-1f0b0c0d0e0f"}),
    FormCase("payout_run", R.A_FINANCE, lambda w: reverse("payments:payout_runs", args=[w.program_a.slug]),
             lambda w: {"period_start": (TODAY - datetime.timedelta(days=30)).isoformat(),
                        "period_end": (TODAY - datetime.timedelta(days=1)).isoformat()}),
    FormCase("reconciliation", R.A_FINANCE, lambda w: reverse("payments:reconciliations", args=[w.program_a.slug]),
             lambda w: {"period_start": (TODAY - datetime.timedelta(days=30)).isoformat(),
                        "period_end": (TODAY - datetime.timedelta(days=1)).isoformat()}),
    FormCase("staff_statement_csv", R.A_FINANCE, lambda w: reverse("payments:staff_statement_csv", args=[
        w.program_a.slug, w.own.membership.pk]), lambda w: {"start": "2026-01-01", "end": TODAY.isoformat()},
        method="GET"),
    FormCase("staff_statement_pdf", R.A_FINANCE, lambda w: reverse("payments:reports_staff_statement", args=[
        w.program_a.slug, w.own.membership.pk]), lambda w: {"start": "2026-01-01", "end": TODAY.isoformat()},
        method="GET"),
    FormCase("report_filters", R.A_FINANCE, lambda w: reverse("payments:reports_payouts", args=[w.program_a.slug]),
             lambda w: {"start": "2026-01-01", "end": TODAY.isoformat(), "cohort": "", "status": "active",
                        "payout_status": "paid", "page": "1"}, method="GET"),
    FormCase("year_end", R.A_FINANCE, lambda w: reverse("payments:reports_year_end", args=[w.program_a.slug]),
             lambda w: {"year": str(TODAY.year), "cohort": "", "status": ""}, method="GET"),
    FormCase("export_sources_xlsx", R.A_FINANCE, lambda w: reverse("payments:reports_export", args=[
        w.program_a.slug, "sources", "xlsx"]), lambda w: {"start": "2026-01-01", "end": TODAY.isoformat(),
                                                          "cohort": "", "status": ""}, method="GET"),
    FormCase("export_ledger_csv", R.A_FINANCE, lambda w: reverse("payments:reports_export", args=[
        w.program_a.slug, "ledger", "csv"]), lambda w: {"start": "2026-01-01", "end": TODAY.isoformat(),
                                                        "cohort": "", "status": ""}, method="GET"),
    FormCase("audit_filter", R.A_MANAGER, lambda w: reverse("program_audit_log", args=[w.program_a.slug]),
             lambda w: {"action": "payments.ledger.adjusted", "page": "1"}, method="GET"),
    FormCase("run_detail_filter", R.A_FINANCE, lambda w: reverse("payments:payout_run", args=[
        w.program_a.slug, w.payout_run.pk]), lambda w: {"status": "paid", "page": "1", "skips": "1"}, method="GET"),
    # --- site admin (the admin's own forms and its intermediate action forms) ---------------------------------
    FormCase("admin_program", R.ADMIN, lambda w: reverse("admin:testers_program_add"), lambda w: {
        "name": "Lumen", "slug": "lumen", "currency": "EUR", "status": "active", "description": "A program.",
        "review_sla_days": "5", "deadline_policy": "escalate", "watermark_text": "Lumen",
        "reporting_threshold_minor": "", "max_amount_minor": "100000", "terms_notice_days": "14",
        "appeal_sla_days": "5", "credit_text": "", "fair_pay_floor_hourly_minor": ""}),
    FormCase("admin_correct_time", R.ADMIN, lambda w: reverse("admin:testers_timelog_changelist"), lambda w: {
        "date": (TODAY - datetime.timedelta(days=2)).isoformat(), "minutes": "90", "reason": "Typo."},
        extra={"action": "correct", "apply": "1"}),
    FormCase("admin_grant_role", R.ADMIN, lambda w: reverse("admin:testers_program_changelist"), lambda w: {
        "email": "a_member@access.test", "role": "reviewer"}, extra={"action": "grant_staff_role", "apply": "1"}),
]

#: The admin actions' forms act on the rows selected in the list.
SELECTED = {"admin_correct_time": lambda w: w.own.timelog.pk, "admin_grant_role": lambda w: w.program_a.pk}


def _send(world, case: FormCase, data: dict, role: str | None = None):
    role = role or case.role
    client = _client()
    if world.users[role] is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    url = case.url(world)
    if case.method == "GET":
        response = client.get(url, data)
    else:
        extra = dict(case.extra)
        if case.name in SELECTED:
            extra["_selected_action"] = [SELECTED[case.name](world)]
        response = client.post(url, {**data, **extra})
    if response.streaming:
        b"".join(response.streaming_content)  # an export must not break off mid-stream
    return response


FUZZ = hsettings(max_examples=12, deadline=None, database=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                        HealthCheck.data_too_large])


def _check(world, case, data, role=None):
    before = fingerprint() if case.method == "POST" else None
    shown = {k: (v[:80] if isinstance(v, str) else v) for k, v in data.items()}
    try:
        response = _send(world, case, data, role)
    except Exception as error:  # the test client re-raises what would have been a 500
        raise AssertionError(f"{case.name}: 500 ({type(error).__name__}: {str(error)[:300]}) for {shown}")
    assert response.status_code < 500, (case.name, response.status_code, shown)
    if case.method == "POST" and response.status_code != 302:
        after = fingerprint()
        changed = sorted(table for table in after if after[table] != before.get(table))
        assert not changed, f"{case.name}: refused ({response.status_code}) but changed {changed} for {shown}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_sharp_value_in_each_field_never_gives_500_nor_half_written_rows(access_db, case):
    world = access_db
    valid = case.valid(world)
    for name in valid:
        for value in SHARP:
            _check(world, case, {**valid, name: value})


OTHER_ROLES = (R.ANON, R.A_MEMBER, R.A_PAUSED, R.B_ARTIST, R.B_MANAGER, R.A_REVIEWER, R.A_FINANCE, R.A_MANAGER,
               R.A_NO_TOTP, R.ADMIN)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_values_as_every_other_role_never_give_500_nor_change_anything_refused(access_db, case):
    """The same form as people it is not for (another program's staff, an artist, anonymous, a paused member…):
    each gets the page's own answer (a 404, a sign-in, a refusal), never a 500."""
    world = access_db
    valid = case.valid(world)
    for role in OTHER_ROLES:
        if role == case.role:
            continue
        _check(world, case, valid, role)
        for value in ("x" * 20_000, "a\x00b", "9999-12-31", "-999999999999.99", ["a", "b"]):
            _check(world, case, {name: value for name in valid}, role)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_values_never_give_500_nor_half_written_rows(access_db, case):
    world = access_db

    @FUZZ
    @given(mostly_valid(case.valid(world)))
    def post(data):
        _check(world, case, data)

    post()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_valid_values_of_each_case_are_accepted(access_db, case):
    """The fuzz's baseline: the page accepts its valid values, so the fuzz reaches past the form."""
    response = _send(access_db, case, case.valid(access_db))
    expected = case.expect or (302 if case.method == "POST" else 200)
    assert response.status_code == expected, (case.name, response.status_code)


# --- the JSON endpoint: Stripe's webhook -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    | st.sampled_from(["\x00", "x" * 300, 10**30]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=12,
)
event_like = st.fixed_dictionaries({
    "id": st.one_of(st.just("evt_fuzz"), json_values), "type": st.sampled_from(
        ["account.updated", "transfer.reversed", "payout.paid", "payout.failed", "customer.created"]) | json_values,
    "created": st.one_of(st.just(1767225600), json_values), "livemode": st.one_of(st.just(False), json_values),
    "account": st.one_of(st.just("acct_access_a_owner"), json_values),
    "data": st.one_of(st.fixed_dictionaries({"object": st.one_of(st.dictionaries(
        st.sampled_from(["id", "amount", "currency", "arrival_date", "failure_message", "metadata"]), json_values),
        json_values)}), json_values),
}) | json_values


@FUZZ
@given(payload=event_like)
def test_signed_webhook_payloads_of_any_shape_never_give_500(access_db, payload):
    body = json.dumps(payload)
    client = _client()
    response = client.post("/stripe/webhook/", data=body, content_type="application/json",
                           HTTP_STRIPE_SIGNATURE=sign_webhook_payload(body, "whsec_test_secret"))
    assert response.status_code in (200, 400), response.content[:200]


# --- the invitation CSV import: generated files -------------------------------------------------------------

csv_cell = st.one_of(st.text(max_size=30), st.sampled_from(["", "\x00", "a,b", '"', '"unclosed', "x" * 300,
                                                           "ana@example.test", "ANA@EXAMPLE.TEST", "not-an-address",
                                                           "e-mail", "\r", "\ufeff"]))
csv_files = st.one_of(
    st.lists(st.lists(csv_cell, min_size=0, max_size=4), max_size=8).map(
        lambda rows: "\n".join(",".join(row) for row in rows).encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
    st.sampled_from([b"\xff\xfe" + "Zo\u00eb,z@e.st".encode("utf-16-le"), b"a,b@c.de\n" * 1_001,
                     b"Ana,ana@example.test\nAna,ana@example.test\n", b"\x00" * 100]),
)


@FUZZ
@given(data=csv_files)
def test_generated_invitation_files_never_give_500_and_a_refused_file_imports_nothing(access_db, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    world = access_db
    client = _client()
    client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[R.A_MANAGER]
    before = fingerprint()
    response = client.post(reverse("testers:staff_invitations_import", args=[world.program_a.slug]),
                           {"file": SimpleUploadedFile("artists.csv", data, content_type="text/csv")})
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code != 302:
        after = fingerprint()
        assert [t for t in after if after[t] != before.get(t)] == []
