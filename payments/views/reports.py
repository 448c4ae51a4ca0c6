"""Report pages for finance and managers, exports, PDF statements, the manager dashboard.

Every staff page fetches its program through the permission helper (another program's staff get a 404)
and asks payments.reports.selectors for figures aggregated in the database.
"""
import itertools

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from atelier import audit
from atelier import spreadsheets
from atelier.money import format_money
from atelier.permissions import (
    FINANCE, MANAGER, can, get_object_for, get_program_for, is_site_admin, programs_with_roles,
)
from payments import pay_transparency
from payments.reports import charts, exports, providers, selectors
from payments.reports.forms import PayoutFilterForm, PeriodForm, ReportFilterForm, YearEndForm
from payments.reports.statement_pdf import render_statement
from testers.models import Membership, Program


def _program(request, slug, action):
    return get_program_for(request.user, action, slug)


def _default_period(program):
    return selectors.Period.default(since=selectors.program_started(program))


def _filter_form(request, program):
    return ReportFilterForm(request.GET or None, cohorts=selectors.cohorts(program), default=_default_period(program))


def _money_fmt(currency):
    return lambda value: format_money(int(round(value)), currency)


def _month_labels(months):
    return [f"{m:%b %Y}" for m in months]


def _page(request, items, per_page, param="page"):
    """A page of items; `page.previous_url` / `page.next_url` keep the other query parameters."""
    page = Paginator(items, per_page).get_page(request.GET.get(param))
    for attr, has, number in (("previous_url", page.has_previous, "previous_page_number"),
                              ("next_url", page.has_next, "next_page_number")):
        url = None
        if has():
            query = request.GET.copy()
            query[param] = getattr(page, number)()
            url = "?" + query.urlencode()
        setattr(page, attr, url)
    return page


def _other_programs(request, program, roles):
    """The user's other programs where the same page may be opened (the program filter), one query."""
    if is_site_admin(request.user):
        qs = Program.objects.exclude(pk=program.pk)
    else:
        qs = Program.objects.filter(pk__in=programs_with_roles(request.user, roles)).exclude(pk=program.pk)
    match = request.resolver_match
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    return [{"name": p.name, "url": reverse(f"payments:{match.url_name}", kwargs={**match.kwargs, "slug": p.slug})
             + query} for p in qs.order_by("name")]


def _context(request, program, **extra):
    user = request.user
    return {
        "program": program,
        "may_view_reports": can(user, "reports.view", program),
        "may_view_fair_pay": can(user, "fair_pay.view", program),
        "may_view_dashboard": can(user, "dashboard.view", program),
        "query": request.GET.urlencode(),
        "other_programs": _other_programs(
            request, program,
            {MANAGER} if request.resolver_match.url_name == "reports_dashboard" else {FINANCE, MANAGER}),
        **extra,
    }


@login_required
def overview(request, slug):
    program = _program(request, slug, "reports.view")
    form = _filter_form(request, program)
    filters = form.filters()
    fmt = _money_fmt(program.currency)
    ledger = selectors.ledger_figures(program, filters)
    over_time = ledger["over_time"]
    by_status = selectors.payouts_by_status(program, filters)
    review = providers.review_figures(program, filters)
    earnings_chart = charts.stacked_bar_chart(
        "Earnings over time, by source",
        f"Stacked bars per month of {filters.period}: testing time, accepted feedback, stipends and adjustments.",
        _month_labels(over_time["months"]), over_time["series"], fmt=fmt, prefix="earnings",
    )
    payouts_chart = charts.bar_chart(
        "Payouts by status",
        f"Amount of the payouts of runs ending in {filters.period}, one bar per status.",
        [f"{row['label'].split(' (')[0]} ({row['count']})" for row in by_status], [row["total_minor"] for row in by_status],
        fmt=fmt, label_header="Status (payouts)", value_header="Amount", prefix="payouts",
    )
    review_chart = charts.line_chart(
        "Review figures over time",
        f"Share requests first submitted in each month of {filters.period}, and of those how many were approved, "
        "refused, or missed their review deadline.",
        _month_labels(review["months"]), review["series"], fmt=lambda v: f"{int(round(v))}", prefix="review",
        counts=True,
    )
    review_hours_chart = charts.line_chart(
        "Time to first review decision",
        f"Median hours from submission to the first decision, for share requests first submitted in each month "
        f"of {filters.period}; a month in which none was decided has no point.",
        _month_labels(review["months"]), review["hours"], fmt=lambda v: f"{v:g} h", prefix="review-hours",
    )
    return render(request, "payments/reports/overview.html", _context(
        request, program, form=form, filters=filters, totals=ledger["totals"],
        sources=ledger["sources"], by_status=by_status,
        charts=[earnings_chart, payouts_chart, review_chart, review_hours_chart],
    ))


@login_required
def earnings(request, slug):
    program = _program(request, slug, "reports.view")
    form = _filter_form(request, program)
    filters = form.filters()
    # Paginate the memberships first, then aggregate the ledger of the page's artists only.
    page_obj = _page(request, selectors.memberships(program, filters).order_by("artist__display_name", "pk"), 50)
    page_obj.object_list = selectors.attach_earnings(page_obj.object_list, program, filters)
    return render(request, "payments/reports/earnings.html", _context(
        request, program, form=form, filters=filters, page_obj=page_obj,
        totals=selectors.earnings_totals(program, filters),
    ))


@login_required
def payouts(request, slug):
    program = _program(request, slug, "reports.view")
    form = PayoutFilterForm(request.GET or None, cohorts=selectors.cohorts(program), default=_default_period(program))
    filters = form.filters()
    by_status = selectors.payouts_by_status(program, filters)
    chart = charts.bar_chart(
        "Payouts by status", f"Number of payouts of runs ending in {filters.period}, one bar per status.",
        [row["label"].split(" (")[0] for row in by_status], [row["count"] for row in by_status],
        label_header="Status", value_header="Payouts", prefix="payout-count",
    )
    return render(request, "payments/reports/payouts.html", _context(
        request, program, form=form, filters=filters, by_status=by_status, chart=chart,
        runs_page=_page(request, selectors.runs(program, filters), 20, "runs_page"),
        page_obj=_page(request, selectors.payout_rows(program, filters), 50),
    ))


@login_required
def year_end(request, slug):
    program = _program(request, slug, "reports.view")
    form = YearEndForm(request.GET or None, cohorts=selectors.cohorts(program))
    year = form.selected_year()
    filters = form.filters()
    threshold = selectors.reporting_threshold_minor(program, year)
    flagged = selectors.year_end_flagged_count(program, year, filters, threshold) if threshold is not None else None
    # Paginate the memberships first, then sum the payouts and earnings of the page's artists only.
    page_obj = _page(request, selectors.memberships(program, filters).order_by("artist__display_name", "pk"), 50)
    page_obj.object_list = selectors.attach_year_end(page_obj.object_list, year)
    return render(request, "payments/reports/year_end.html", _context(
        request, program, form=form, year=year, threshold=threshold, flagged=flagged,
        threshold_is_default=program.reporting_threshold_minor is None, page_obj=page_obj,
    ))


@login_required
def fair_pay(request, slug):
    program = _program(request, slug, "fair_pay.view")
    form = _filter_form(request, program)
    filters = form.filters()
    fmt = _money_fmt(program.currency)
    result = selectors.fair_pay(program, filters)
    floor = result.floor_minor
    chart = charts.histogram(
        "Effective hourly rates",
        f"How many artists earned each effective hourly rate in {filters.period}"
        + (f"; the fair-pay floor is {fmt(floor)} per hour." if floor is not None else "; no fair-pay floor is set."),
        result.distribution(), fmt=fmt, marker=floor,
        marker_label=f"Floor {fmt(floor)}/h" if floor is not None else "", prefix="fairpay",
    )
    page_obj = _page(request, result.rows, 50)
    result.load_memberships(page_obj.object_list)  # the page's memberships only, one query
    return render(request, "payments/reports/fair_pay.html", _context(
        request, program, form=form, filters=filters, result=result, chart=chart,
        page_obj=page_obj,
        unpaid_page=_page(request, selectors.accepted_unpaid_feedback(program, filters), 25, "feedback_page"),
    ))


@login_required
def dashboard(request, slug):
    program = _program(request, slug, "dashboard.view")
    pay = pay_transparency.figures(program)
    start, end = pay.start, pay.end
    return render(request, "payments/reports/dashboard.html", _context(
        request, program, figures=selectors.dashboard(program), now=timezone.now(),
        pay=pay, pay_spreads=pay.spreads(), min_cohort=pay_transparency.MIN_COHORT,
        fair_pay_query=f"?start={start.isoformat()}&end={end.isoformat()}",
    ))


@login_required
def export(request, slug, report, fmt):
    program = _program(request, slug, "reports.view")
    if report not in exports.EXPORTS or fmt not in ("csv", "xlsx"):
        raise Http404("No such export.")
    if report == "year-end":
        filters = YearEndForm(request.GET or None, cohorts=selectors.cohorts(program)).filters()
        stamp = f"{filters.period.start.year}"
    elif report == "payouts":
        filters = PayoutFilterForm(request.GET or None, cohorts=selectors.cohorts(program),
                                   default=_default_period(program)).filters()
        stamp = f"{filters.period.start:%Y%m%d}-{filters.period.end:%Y%m%d}"
    else:
        filters = _filter_form(request, program).filters()
        stamp = f"{filters.period.start:%Y%m%d}-{filters.period.end:%Y%m%d}"
    title, build = exports.EXPORTS[report]
    copy_build = exports.copy_export(report) if fmt == "csv" else None
    headers, rows = (copy_build or build)(program, filters)
    audit.log(request.user, "payments.report.exported", program, report=report, format=fmt,
              start=str(filters.period.start), end=str(filters.period.end), cohort=filters.cohort,
              status=filters.status)
    filename = f"{program.slug}-{report}-{stamp}.{fmt}"
    if copy_build:
        return spreadsheets.csv_copy_response(filename, headers, rows, bom=True)
    table = itertools.chain([headers], rows)
    if fmt == "csv":
        return spreadsheets.csv_response(filename, table, bom=True)
    return spreadsheets.xlsx_response(filename, title, table)


def _pdf_response(statement, filename):
    response = HttpResponse(render_statement(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _statement_filename(membership, period):
    return f"statement-{membership.program.slug}-{membership.pk}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.pdf"


def _statement_pdf(request, membership):
    """The PDF statement of one membership for the period asked: the same code for staff and for the artist."""
    period = PeriodForm(request.GET or None).period()
    statement = selectors.statement(membership, period)
    audit.log(request.user, "payments.statement.downloaded", membership, start=str(period.start),
              end=str(period.end))
    return _pdf_response(statement, _statement_filename(membership, period))


@login_required
def staff_statement(request, slug, membership_id):
    """Staff only, like every /staff/ URL: artists download their own statement from their earnings pages
    (`reports_artist_statement_pdf`)."""
    program = _program(request, slug, "statement.view")
    membership = get_object_for(
        request.user, "statement.view",
        Membership.objects.select_related("artist", "program").filter(program=program), pk=membership_id,
    )
    return _statement_pdf(request, membership)


def _own_membership(request, slug):
    return get_object_for(
        request.user, "statement.view",
        Membership.objects.select_related("artist", "program").filter(program__slug=slug, artist__user=request.user),
        owner_path="artist__user",
    )


@login_required
def artist_statement(request, slug):
    membership = _own_membership(request, slug)
    form = PeriodForm(request.GET or None)
    period = form.period()
    statement = selectors.statement(membership, period)
    return render(request, "payments/reports/artist_statement.html", {
        "membership": membership, "program": membership.program, "form": form, "period": period,
        "statement": statement, "query": request.GET.urlencode(),
    })


@login_required
def artist_statement_pdf(request, slug):
    return _statement_pdf(request, _own_membership(request, slug))
