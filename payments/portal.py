"""This app's panel on the artist portal's home, computed for all of an artist's memberships at once."""
from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.formats import date_format

from atelier.money import format_money
from payments.models import LedgerEntry, Payout, PayoutRun, PayoutRunSkip
from payments.selectors import SETTLEMENT_KINDS
from payments.services.ledger import held_reversals


def home_panels(user, memberships) -> dict:
    """{membership_id: context for templates/payments/_home_panel.html}, in a bounded number of queries (6).

    Each context: currency, balance_minor, month_minor (earned this calendar month: time, feedback,
    stipends and adjustments dated this month) and next_payout (a Payout not yet paid in a run that is
    waiting, approved or sending; None if there is none) and notices (`payout_notices`: why money did not come).
    """
    memberships = list(memberships)
    ids = [m.pk for m in memberships]
    if not ids:
        return {}
    month_start = timezone.localdate().replace(day=1)
    sums = {
        row["membership_id"]: row
        for row in LedgerEntry.objects.filter(membership_id__in=ids).values("membership_id").annotate(
            balance=Sum("amount_minor"),
            month=Sum("amount_minor", filter=Q(work_date__gte=month_start) & ~Q(kind__in=SETTLEMENT_KINDS)),
        )
    }
    next_payouts = {}
    pending = (
        Payout.objects.filter(
            membership_id__in=ids,
            status__in=[Payout.Status.PENDING, Payout.Status.SENDING],
            run__status__in=[PayoutRun.Status.CREATED, PayoutRun.Status.APPROVED, PayoutRun.Status.SENDING],
        )
        .select_related("run")
        .order_by("run__period_end", "pk")
    )
    for payout in pending:
        next_payouts.setdefault(payout.membership_id, payout)
    notices = payout_notices(memberships)
    panels = {}
    for membership in memberships:
        row = sums.get(membership.pk, {})
        panels[membership.pk] = {
            "membership": membership,
            "notices": notices.get(membership.pk, []),
            "currency": membership.program.currency,
            "balance_minor": row.get("balance") or 0,
            "month_minor": row.get("month") or 0,
            "next_payout": next_payouts.get(membership.pk),
        }
    return panels


# --- why: what happened to the artist's money, with the fix ----------------------------------------------------

_NOTHING_TO_DO = "Nothing for you to do: finance is checking it with Stripe."


def _fix_for_skip(code: str) -> tuple[str, str]:
    """(the fix in words, the URL name of where to do it, or "")."""
    Reason = PayoutRunSkip.Reason
    return {
        Reason.NO_ACCOUNT: ("Connect one", "payments:payout_account"),
        Reason.ACCOUNT_NOT_READY: ("Finish your payout account", "payments:payout_account"),
        Reason.UNDER_MINIMUM: ("It is paid with a later run once your balance reaches the minimum", ""),
        Reason.NEGATIVE_BALANCE: ("See your earnings", "payments:earnings"),
        Reason.UNKNOWN_PAYOUT: (_NOTHING_TO_DO, ""),
        Reason.OPEN_DIFFERENCE: (_NOTHING_TO_DO, ""),
    }.get(code, ("", ""))


def payout_notices(memberships) -> dict[int, list[dict]]:
    """{membership_id: [notice]} — why the artist was left out of the latest run, or why a payout is held, failed
    or unknown, and reversed amounts held — each {"tone", "text", "fix", "url_name"}, in 3 queries for all."""
    memberships = list(memberships)
    ids = [m.pk for m in memberships]
    notices: dict[int, list[dict]] = {pk: [] for pk in ids}
    if not ids:
        return notices
    stuck = (Payout.objects.filter(membership_id__in=ids,
                                   status__in=[Payout.Status.HELD, Payout.Status.FAILED, Payout.Status.UNKNOWN])
             .select_related("run").order_by("-run__period_end", "-pk"))
    for payout in stuck:
        money = format_money(payout.amount_minor, payout.currency)
        day = date_format(payout.run.period_end, "j M")
        if payout.status == Payout.Status.HELD:
            notices[payout.membership_id].append({
                "tone": "warning", "text": f"Your payout of {money} (run ending {day}) is held: {payout.held_reason}.",
                "fix": "Finish your payout account; finance then sends it", "url_name": "payments:payout_account"})
        elif payout.status == Payout.Status.FAILED:
            notices[payout.membership_id].append({
                "tone": "warning",
                "text": f"Your payout of {money} (run ending {day}) did not go through: {payout.failure_message} "
                        "The amount is back on your balance.",
                "fix": "Check your payout account; the next run pays it", "url_name": "payments:payout_account"})
        else:
            notices[payout.membership_id].append({
                "tone": "info", "text": f"Your payout of {money} (run ending {day}) is being confirmed with Stripe.",
                "fix": _NOTHING_TO_DO, "url_name": ""})
    latest_run = (PayoutRun.objects.filter(program_id=OuterRef("membership__program_id"))
                  .exclude(status=PayoutRun.Status.CANCELLED).order_by("-period_end", "-pk").values("pk")[:1])
    skips = (PayoutRunSkip.objects.filter(membership_id__in=ids, run_id=Subquery(latest_run))
             .select_related("run"))
    for skip in skips:
        fix, url_name = _fix_for_skip(skip.reason_code)
        notices[skip.membership_id].insert(0, {
            "tone": "warning" if url_name == "payments:payout_account" else "info",
            "text": f"Not in the {date_format(skip.run.period_end, 'j M')} run: {skip.reason}.",
            "fix": fix, "url_name": url_name})
    for hold in held_reversals().filter(membership_id__in=ids):
        notices[hold.membership_id].append({
            "tone": "info",
            "text": f"{format_money(hold.held_minor, hold.currency)} of a payout Stripe reversed is back on your "
                    "balance and held while finance reviews it.",
            "fix": "Nothing for you to do: the next run pays it once finance releases it.", "url_name": ""})
    return notices
