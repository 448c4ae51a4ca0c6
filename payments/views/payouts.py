"""Staff payout pages: runs (create, approve, progress, report and CSV), failed payouts, reconciliation."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from atelier import page_cache, spreadsheets
from atelier.http import perform
from atelier.pagination import paginate
from atelier.permissions import can, get_object_for, get_program_for
from atelier.search import matching, query_of
from payments import actions
from payments import stripe_gateway as gateway
from payments.models import Payout, PayoutRun, ReconciliationDifference, ReconciliationReport
from payments.services.ledger import held_reversals
from payments.payout_forms import DifferenceNoteForm, PeriodForm, ReleaseReversalForm, SendMoneyForm
from payments.reports import exports
from payments.services import payouts as services
from payments.services import reconciliation

POLLED_STATUSES = (PayoutRun.Status.APPROVED, PayoutRun.Status.SENDING)



def _program(request, slug, action):
    return get_program_for(request.user, action, slug)


def _run(request, slug, run_id):
    """The run and its program, in one query."""
    run = get_object_for(request.user, "payout_run.view",
                         PayoutRun.objects.filter(program__slug=slug).select_related("program", "created_by",
                                                                                     "approved_by"),
                         pk=run_id)
    return run.program, run


def _payout(request, slug, run_id, payout_id):
    program, run = _run(request, slug, run_id)
    payout = get_object_for(request.user, "payout.manage", Payout.objects.filter(run=run).select_related("run"),
                            program_path="run__program", pk=payout_id)
    return program, run, payout


@login_required
def run_list(request, slug):
    program = _program(request, slug, "payout_run.view")
    may_create = can(request.user, "payout_run.create", program)
    if request.method == "POST":
        if not may_create:
            raise Http404("Not found.")
        form = PeriodForm(request.POST)
        if form.is_valid():
            run = perform(request, actions.CreatePayoutRun(request.user, program, **form.cleaned_data), form=form)
            if run is not None:
                messages.success(request, f"Payout run created: {run.payouts.count()} payouts, "
                                          f"{run.skips.count()} artists skipped. Another finance user must approve it.")
                return redirect("payments:payout_run", program.slug, run.pk)
        return render(request, "payments/payouts/run_list.html", _run_list_context(request, program, may_create, form))
    return page_cache.render_page(request, "payments:payout_runs", "payments/payouts/run_list.html",
                                  lambda: _run_list_context(request, program, may_create),
                                  scopes=[page_cache.program_scope(program.pk)])


def _run_list_context(request, program, may_create, form=None) -> dict:
    if form is None:
        latest_end = (PayoutRun.objects.filter(program=program).exclude(status=PayoutRun.Status.CANCELLED)
                      .order_by("-period_end").values_list("period_end", flat=True).first())
        form = PeriodForm(initial=PeriodForm.next_period(latest_end))
    runs = (PayoutRun.objects.filter(program=program).select_related("created_by", "approved_by")
            .order_by("-period_end", "-pk"))
    page = paginate(request, runs)
    # The payouts are counted for the runs of this page only, in one query: counting in the list's query would join
    # every payout of every run, and its paginator would count them all again.
    counts = dict(Payout.objects.filter(run__in=[run.pk for run in page]).order_by().values("run_id")
                  .annotate(n=Count("pk")).values_list("run_id", "n"))
    for run in page:
        run.payout_count = counts.get(run.pk, 0)
    return {"program": program, "page_obj": page, "form": form, "may_create": may_create}


@login_required
def run_detail(request, slug, run_id):
    """The run and its report: progress, every payout (artist, account, amount, status, transfer, reason),
    skipped artists and totals."""
    # Access and the program's id only: a cached visit needs nothing more; the run itself is read on a miss.
    allowed = get_object_for(request.user, "payout_run.view",
                             PayoutRun.objects.filter(program__slug=slug).only("pk", "program_id"), pk=run_id)

    def context():
        program, run = _run(request, slug, run_id)
        return _run_detail_context(request, program, run)

    return page_cache.render_page(request, "payments:payout_run", "payments/payouts/run_detail.html", context,
                                  scopes=[page_cache.program_scope(allowed.program_id)])


def _run_detail_context(request, program, run) -> dict:
    payouts = run.payouts.select_related("membership__artist", "stripe_account").order_by("pk")
    status_filter = request.GET.get("status", "")
    if status_filter in Payout.Status.values:
        payouts = payouts.filter(status=status_filter)
    q = query_of(request)
    payouts = matching(payouts, q, "membership__artist__display_name", "membership__artist__user__email",
                       "stripe_transfer_id")
    progress = services.run_progress(run)
    # Unfiltered, the progress panel has already counted the payouts: the paginator need not count them again.
    count = progress["total"] if not status_filter and not q else None
    return {
        "program": program, "run": run, "progress": progress,
        "polling": run.status in POLLED_STATUSES, "page_obj": paginate(request, payouts, count=count),
        "skips_page": paginate(request, run.skips.select_related("membership__artist").order_by("pk"), param="skips"),
        "status_filter": status_filter, "statuses": Payout.Status.choices, "q": q,
        "may_manage": can(request.user, "payout.manage", run),
    }


@login_required
def run_progress(request, slug, run_id):
    """The htmx fragment polled while a run sends; it stops polling once the run is done."""
    program, run = _run(request, slug, run_id)
    return render(request, "payments/payouts/_progress.html", {
        "program": program, "run": run, "progress": services.run_progress(run),
        "polling": run.status in POLLED_STATUSES,
    })


@login_required
def run_approve(request, slug, run_id):
    """Sending money is confirmed: the page shows how many payouts, the total per currency and every skipped
    artist with the reason, and asks the approver for a fresh authenticator code. Four eyes: RULES
    "payout_run.approve" refuses the run's creator, so the creator gets a 404 here."""
    program, run = _run(request, slug, run_id)
    action = actions.ApprovePayoutRun(request.user, run)
    refusal = action.check()
    if refusal is not None and refusal.kind == "permission":
        raise Http404("Not found.")
    form = SendMoneyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approved = perform(request, actions.ApprovePayoutRun(request.user, run, **form.cleaned_data), form=form,
                           success="Run approved.")  # what happens next is the progress panel's to say, live
        if approved is not None:
            return redirect("payments:payout_run", program.slug, run.pk)
    return render(request, "payments/payouts/run_approve.html", {
        "program": program, "run": run, "form": form, "refusal": refusal,
        "totals": run.payouts.order_by("currency").values("currency").annotate(count=Count("pk"),
                                                                                total=Sum("amount_minor")),
        "skips": run.skips.select_related("membership__artist").order_by("membership__artist__display_name", "pk"),
    })


@login_required
@require_POST
def run_cancel(request, slug, run_id):
    program, run = _run(request, slug, run_id)
    perform(request, actions.CancelPayoutRun(request.user, run),
            success="Run cancelled: every amount is back on the artists' balances.")
    return redirect("payments:payout_run", program.slug, run.pk)


@login_required
@require_POST
def payout_retry(request, slug, run_id, payout_id):
    """Retry: a payout Stripe did not answer is re-sent with its key; a failed or unknown one is retried."""
    program, run, payout = _payout(request, slug, run_id, payout_id)
    action = actions.ResendPayout if payout.status == Payout.Status.SENDING else actions.RetryPayout
    result = perform(request, action(request.user, payout))
    if result is not None:
        messages.success(request, f"Payout {result.pk}: {result.get_status_display().lower()}.")
    return redirect("payments:payout_run", program.slug, run.pk)


@login_required
@require_POST
def payout_release(request, slug, run_id, payout_id):
    program, run, payout = _payout(request, slug, run_id, payout_id)
    perform(request, actions.ReleasePayout(request.user, payout),
            success=f"Payout {payout.pk} released.")
    return redirect("payments:payout_run", program.slug, run.pk)


@login_required
@require_POST
def payout_cancel(request, slug, run_id, payout_id):
    program, run, payout = _payout(request, slug, run_id, payout_id)
    perform(request, actions.CancelPayout(request.user, payout),
            success=f"Payout {payout.pk} cancelled; the amount stays on the artist's balance.")
    return redirect("payments:payout_run", program.slug, run.pk)


@login_required
def run_csv(request, slug, run_id):
    program, run = _run(request, slug, run_id)
    return spreadsheets.csv_response(
        f"payouts-{program.slug}-{run.period_start}-{run.period_end}-run{run.pk}.csv", exports.payout_run_rows(run))


@login_required
def reconciliation_list(request, slug):
    program = _program(request, slug, "reconciliation.view")
    may_run = can(request.user, "payout_run.create", program)
    form = PeriodForm(initial=PeriodForm.last_month())
    if request.method == "POST":
        if not may_run:
            raise Http404("Not found.")
        form = PeriodForm(request.POST)
        if form.is_valid():
            try:
                report = reconciliation.reconcile(program, form.cleaned_data["period_start"],
                                                  form.cleaned_data["period_end"], by=request.user)
            except gateway.StripeGatewayError as error:
                form.add_error(None, f"Stripe could not be reached: {error.message}")
            else:
                return redirect("payments:reconciliation", program.slug, report.pk)
    reports = (ReconciliationReport.objects.filter(program=program)
               .annotate(difference_count=Count("seen_differences")).order_by("-created_at", "-pk"))
    may_resolve = can(request.user, "reconciliation.resolve", program)
    return render(request, "payments/payouts/reconciliation_list.html", {
        "program": program, "page_obj": paginate(request, reports), "form": form, "may_run": may_run,
        "differences_page": paginate(request, reconciliation.open_differences(program), param="differences"),
        "held_page": paginate(request, held_reversals(program=program), param="held"),
        "may_resolve": may_resolve, "note_form": DifferenceNoteForm(), "release_form": ReleaseReversalForm(),
    })


@login_required
@require_POST
def difference_note(request, slug, difference_id):
    """Finance explains (still open) or resolves (closed) a difference with a note; audited."""
    program = _program(request, slug, "reconciliation.view")
    difference = get_object_for(request.user, "reconciliation.resolve",
                                ReconciliationDifference.objects.filter(program=program), pk=difference_id)
    form = DifferenceNoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a note (at most 2,000 characters) and choose explain or resolve.")
    else:
        action = actions.ResolveDifference if form.cleaned_data["outcome"] == "resolve" else actions.ExplainDifference
        perform(request, action(request.user, difference, note=form.cleaned_data["note"]),
                success="Difference resolved." if action is actions.ResolveDifference else "Explanation saved.")
    return redirect("payments:reconciliations", program.slug)


@login_required
@require_POST
def reversal_release(request, slug, payout_id, reversal_id):
    """Finance releases a reversed transfer's held credit: the next run pays it."""
    program = _program(request, slug, "reconciliation.view")
    payout = get_object_for(request.user, "payout.manage", Payout.objects.filter(run__program=program),
                            program_path="run__program", pk=payout_id)
    form = ReleaseReversalForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the reversed amount can be paid again (at most 2,000 characters).")
    else:
        perform(request, actions.ReleaseReversal(request.user, payout, reversal_id=reversal_id,
                                                 note=form.cleaned_data["note"]),
                success="Released: the amount is back on the artist's payable balance.")
    return redirect("payments:reconciliations", program.slug)


@login_required
def reconciliation_detail(request, slug, report_id):
    program = _program(request, slug, "reconciliation.view")
    report = get_object_for(request.user, "reconciliation.view", ReconciliationReport.objects.filter(program=program),
                            pk=report_id)
    differences = (ReconciliationDifference.objects.filter(Q(report=report) | Q(last_seen_report=report))
                   .select_related("payout__membership__artist", "payout__run", "membership__artist", "noted_by")
                   .order_by("kind", "pk"))
    return render(request, "payments/payouts/reconciliation_detail.html", {
        "program": program, "report": report, "page_obj": paginate(request, differences),
    })
