"""Ledger pages: an artist's earnings, rate card and statement; staff rate cards, balances and adjustments."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from atelier import page_cache, spreadsheets
from atelier.display import format_day
from atelier.http import perform
from atelier.pagination import paginate
from atelier.permissions import can, get_object_for, get_program_for
from atelier.search import matching, query_of
from payments import actions, pay_transparency, selectors
from payments.portal import payout_notices
from payments.ledger_forms import RATE_FIELDS, AdjustmentForm, RateCardForm, StatementForm
from payments.models import RateCard
from payments.reports import exports
from payments.reports import selectors as report_selectors
from payments.reports.selectors import Period
from payments.services import rates
from testers.models import Membership




def _rate_rows(card):
    """[(label, amount_minor)] of a card, for display."""
    if card is None:
        return []
    return [(label, getattr(card, model_field)) for _, model_field, label, _ in RATE_FIELDS]


# --- artist pages --------------------------------------------------------------------------------------

def _own_memberships(user):
    return Membership.objects.filter(artist__user=user).select_related("program", "artist").order_by("program__name")


@login_required
def earnings(request, slug=None):
    """Every entry of one program with its source, rate and the balance after it; the rate card in force."""
    own = _own_memberships(request.user)
    if slug is None:
        # Only the ids before the page cache is asked: a cached visit needs nothing more.
        first = own.values_list("pk", "program_id").first()
        if first is None:
            return render(request, "payments/ledger/earnings.html", {"memberships": []})
        membership_id, program_id = first
    else:
        chosen = get_object_for(request.user, "ledger.view", own, owner_path="artist__user", program__slug=slug)
        membership_id, program_id = chosen.pk, chosen.program_id

    def context():
        memberships = list(own)
        membership = next(m for m in memberships if m.pk == membership_id)
        return _earnings_context(request, memberships, membership)

    return page_cache.render_page(
        request, "payments:earnings", "payments/ledger/earnings.html", context,
        scopes=[page_cache.program_scope(program_id), page_cache.membership_scope(membership_id)])


def _earnings_context(request, memberships, membership) -> dict:
    program = membership.program
    today = timezone.localdate()
    card = rates.rate_card_for(program, today)
    balance = selectors.balance_minor(membership)
    return {
        "memberships": memberships,
        "membership": membership,
        "program": program,
        "balance": balance,
        "notices": payout_notices([membership])[membership.pk],
        "page_obj": selectors.ledger_page(request, membership, balance),
        "card": card,
        "card_rows": _rate_rows(card),
        "upcoming": rates.upcoming_rate_card(program, today),
        "statement_form": StatementForm(initial=StatementForm.default_initial()),
        "statement_url": reverse("payments:statement_csv", args=[program.slug]),
        "statement_pdf_url": reverse("payments:reports_artist_statement_pdf", args=[program.slug]),
    }


@login_required
def pay(request, slug):
    """The artist's effective hourly rate beside their cohort's median (when the cohort is large enough) and the
    program's fair-pay floor. Its own page, so the earnings page carries no program-wide aggregate."""
    membership = get_object_for(request.user, "ledger.view", _own_memberships(request.user),
                                owner_path="artist__user", program__slug=slug)
    view = pay_transparency.for_artist(membership)
    return render(request, "payments/ledger/pay.html", {
        "membership": membership, "program": membership.program, "pay": view, "figures": view.figures,
        "min_cohort": pay_transparency.MIN_COHORT,
    })


def _statement_response(membership, request, back_url):
    form = StatementForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(e for errs in form.errors.values() for e in errs)
        messages.error(request, f"Statement not made: {errors}")
        return redirect(back_url)
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    statement = report_selectors.statement(membership, Period(start, end))
    return spreadsheets.csv_response(
        f"statement-{membership.program.slug}-{membership.pk}-{start:%Y%m%d}-{end:%Y%m%d}.csv",
        exports.statement_rows(statement), stream=False)


@login_required
def statement_csv(request, slug):
    membership = get_object_for(request.user, "statement.view", _own_memberships(request.user),
                                owner_path="artist__user", program__slug=slug)
    return _statement_response(membership, request, reverse("payments:earnings_program", args=[slug]))


# --- staff pages ---------------------------------------------------------------------------------------

def _program(request, slug, action):
    return get_program_for(request.user, action, slug)


@login_required
def ratecard_list(request, slug):
    program = _program(request, slug, "program.view_staff")
    if not can(request.user, "ratecard.view", program):
        raise Http404("Not found.")
    today = timezone.localdate()
    current = rates.rate_card_for(program, today)
    page_obj = paginate(request, selectors.rate_cards(program), 10)
    return render(request, "payments/ledger/ratecard_list.html", {
        "program": program, "page_obj": page_obj, "current": current, "today": today,
        "rows": [(card, _rate_rows(card)) for card in page_obj],
        "may_manage": can(request.user, "ratecard.manage", program),
    })


@login_required
def ratecard_create(request, slug):
    program = _program(request, slug, "ratecard.manage")
    current = rates.rate_card_for(program, timezone.localdate()) or selectors.rate_cards(program).first()
    form = RateCardForm(request.POST or None, currency=program.currency, current=current)
    if request.method == "POST" and form.is_valid():
        card = perform(request, actions.CreateRateCard(
            request.user, program, effective_date=form.cleaned_data["effective_date"],
            notes=form.cleaned_data["notes"], amounts=form.amounts()), form=form)
        if card is not None:
            messages.success(request, f"Version {card.version} takes effect on {format_day(card.effective_date)}.")
            return redirect("payments:ratecard_list", slug=program.slug)
    return render(request, "payments/ledger/ratecard_form.html", {"program": program, "form": form, "current": current})


def _scheduled_card(request, slug, pk):
    program = _program(request, slug, "ratecard.manage")
    return program, get_object_or_404(RateCard.objects.select_related("program"), program=program, pk=pk)


@login_required
def ratecard_edit(request, slug, pk):
    """Change a scheduled version before it takes effect (the action refuses a version in force or past)."""
    program, card = _scheduled_card(request, slug, pk)
    refusal = actions.UpdateRateCard(request.user, card).check()
    if refusal is not None and refusal.kind != "rule":  # asked without values, only who and when count here
        messages.error(request, str(refusal))
        return redirect("payments:ratecard_list", slug=program.slug)
    form = RateCardForm(request.POST or None, currency=program.currency, current=card,
                        initial={"effective_date": card.effective_date, "notes": card.notes})
    if request.method == "POST" and form.is_valid():
        saved = perform(request, actions.UpdateRateCard(
            request.user, card, effective_date=form.cleaned_data["effective_date"],
            notes=form.cleaned_data["notes"], amounts=form.amounts()), form=form)
        if saved is not None:
            messages.success(request, f"Version {saved.version} saved; it takes effect on "
                                      f"{saved.effective_date:%d %B %Y}.")
            return redirect("payments:ratecard_list", slug=program.slug)
    return render(request, "payments/ledger/ratecard_form.html",
                  {"program": program, "form": form, "card": card, "current": None},
                  )


@login_required
@require_POST
def ratecard_delete(request, slug, pk):
    program, card = _scheduled_card(request, slug, pk)
    perform(request, actions.DeleteRateCard(request.user, card),
            success=f"Version {card.version}, scheduled for {card.effective_date:%d %B %Y}, deleted.")
    return redirect("payments:ratecard_list", slug=program.slug)


@login_required
def ledger_overview(request, slug):
    program = _program(request, slug, "ledger.view")
    q = query_of(request)
    members = matching(selectors.member_balances(program), q, "artist__display_name", "artist__user__email")
    return render(request, "payments/ledger/overview.html", {
        "program": program, "q": q,
        "page_obj": paginate(request, members),
        "may_adjust": can(request.user, "ledger.adjust", program),
        "unpriced_count": selectors.unpriced_time_logs(program).count() + selectors.unpriced_feedback(program).count(),
    })


def _member(request, program, membership_id, action):
    return get_object_for(request.user, action, Membership.objects.filter(program=program).select_related(
        "artist", "program"), pk=membership_id)


@login_required
def ledger_member(request, slug, membership_id):
    program = _program(request, slug, "ledger.view")
    membership = _member(request, program, membership_id, "ledger.view")
    balance = selectors.balance_minor(membership)
    return render(request, "payments/ledger/member.html", {
        "program": program, "membership": membership,
        "balance": balance,
        "page_obj": selectors.ledger_page(request, membership, balance),
        "may_adjust": can(request.user, "ledger.adjust", membership),
        "statement_form": StatementForm(initial=StatementForm.default_initial()),
        "statement_url": reverse("payments:staff_statement_csv", args=[program.slug, membership.pk]),
        "statement_pdf_url": reverse("payments:reports_staff_statement", args=[program.slug, membership.pk]),
    })


@login_required
def ledger_adjust(request, slug, membership_id):
    program = _program(request, slug, "ledger.adjust")
    membership = _member(request, program, membership_id, "ledger.adjust")
    form = AdjustmentForm(request.POST or None, currency=program.currency)
    balance = selectors.balance_minor(membership)
    below_zero = None
    if request.method == "POST" and form.is_valid():
        action = actions.AdjustLedger(request.user, membership, amount_minor=form.cleaned_data["amount"],
                                      reason=form.cleaned_data["reason"], token=form.cleaned_data["token"])
        after = balance + form.cleaned_data["amount"]
        # A warning, not a rule: a debit may rightly exceed the balance (an overpayment), but never by a slip.
        # below_zero_confirmed is sent by the warning page, once the person saw the balance go below zero.
        if (form.cleaned_data["amount"] < 0 and after < 0 and request.POST.get("below_zero_confirmed") != "1"
                and action.check() is None):
            below_zero = after
        else:
            entry = perform(request, action, form=form)
            if entry is not None:
                messages.success(request, "Adjustment recorded.")
                return redirect("payments:ledger_member", slug=program.slug, membership_id=membership.pk)
    return render(request, "payments/ledger/adjust.html", {
        "program": program, "membership": membership, "form": form, "balance": balance, "below_zero": below_zero,
    })


@login_required
def staff_statement_csv(request, slug, membership_id):
    program = _program(request, slug, "statement.view")
    membership = _member(request, program, membership_id, "statement.view")
    return _statement_response(membership, request,
                               reverse("payments:ledger_member", args=[program.slug, membership.pk]))


@login_required
def ledger_unpriced(request, slug):
    program = _program(request, slug, "ledger.view")
    kind = "feedback" if request.GET.get("kind") == "feedback" else "time"
    queryset = selectors.unpriced_feedback(program) if kind == "feedback" else selectors.unpriced_time_logs(program)
    return render(request, "payments/ledger/unpriced.html", {
        "program": program, "kind": kind, "page_obj": paginate(request, queryset),
        "may_price": can(request.user, "ledger.adjust", program),
    })


@login_required
@require_POST
def ledger_price_unpriced(request, slug):
    program = _program(request, slug, "ledger.adjust")
    created = perform(request, actions.PriceWaitingWork(request.user, program))
    if created is not None:
        if created:
            messages.success(request, f"{created} item(s) priced and credited.")
        else:
            messages.warning(request, "Nothing could be priced: no rate card was in force on those days.")
    return redirect("payments:ledger_unpriced", slug=program.slug)
