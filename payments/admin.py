"""The payments admin is read-only: rate cards, the ledger, Stripe accounts, runs and payouts are written by
actions only. The writes a site admin needs are admin actions that run those actions (checked and audited):
refresh a Stripe account from Stripe, cancel a payout run that waits for approval."""
from django.contrib import admin

from atelier.admin import AppendOnlyAdmin, ReadOnlyAdmin, run_action_on
from payments import stripe_gateway as gateway

from . import actions
from .models import (
    LedgerEntry, Payout, PayoutRun, PayoutRunSkip, RateCard, ReconciliationDifference, ReconciliationReport,
    StripeAccount, StripeEvent,
)


@admin.register(RateCard)
class RateCardAdmin(ReadOnlyAdmin):
    """New versions are published by program managers on the rate card page (no backdating, audited)."""

    list_display = ["program", "version", "effective_date", "currency", "hourly_rate_minor", "monthly_stipend_minor",
                    "minimum_payout_minor", "fair_pay_floor_hourly_minor"]
    list_filter = ["program"]
    search_fields = ["program__name", "notes"]
    list_select_related = ["program"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AppendOnlyAdmin):
    """The ledger is append-only; adjustments go through the staff pages (an action)."""

    list_display = ["work_date", "membership", "kind", "amount_minor", "currency", "source_key", "created_by"]
    list_filter = ["kind", "program", "currency"]
    search_fields = ["source_key", "description", "membership__artist__display_name"]
    list_select_related = ["membership__artist", "created_by"]
    date_hierarchy = "work_date"


@admin.register(StripeAccount)
class StripeAccountAdmin(ReadOnlyAdmin):
    """Stripe decides an account's state: refresh it from Stripe rather than edit it."""

    list_display = ["artist", "stripe_account_id", "country", "state", "payouts_enabled", "updated_at"]
    list_filter = ["state", "country", "payouts_enabled"]
    search_fields = ["stripe_account_id", "artist__display_name", "artist__user__email"]
    list_select_related = ["artist"]
    actions = ["refresh_from_stripe"]

    @admin.action(description="Refresh from Stripe")
    def refresh_from_stripe(self, request, queryset):
        from django.contrib import messages

        try:
            run_action_on(self, request, queryset, actions.RefreshStripeAccount,
                          success="{count} account(s) refreshed from Stripe.")
        except gateway.StripeGatewayError as error:
            self.message_user(request, f"Stripe could not be reached: {error.message}", messages.ERROR)


class PayoutInline(admin.TabularInline):
    model = Payout
    extra = 0
    can_delete = False
    fields = ["membership", "amount_minor", "currency", "status", "stripe_transfer_id", "failure_message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnlyAdmin):
    """Runs are created and approved by finance on the payout pages; a site admin may cancel a waiting run."""

    list_display = ["program", "period_start", "period_end", "status", "total_minor", "currency", "created_by",
                    "approved_by", "created_at"]
    list_filter = ["status", "program"]
    search_fields = ["program__name"]
    list_select_related = ["program", "created_by", "approved_by"]
    inlines = [PayoutInline]
    actions = ["cancel_runs"]

    @admin.action(description="Cancel (runs waiting for approval)")
    def cancel_runs(self, request, queryset):
        run_action_on(self, request, queryset, actions.CancelPayoutRun,
                      success="{count} run(s) cancelled: their amounts are back on the artists' balances.")


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = ["id", "run", "membership", "amount_minor", "currency", "status", "stripe_transfer_id", "attempts"]
    list_filter = ["status", "run__program"]
    search_fields = ["stripe_transfer_id", "membership__artist__display_name"]
    list_select_related = ["run__program", "membership__artist"]


@admin.register(PayoutRunSkip)
class PayoutRunSkipAdmin(ReadOnlyAdmin):
    list_display = ["run", "membership", "balance_minor", "reason"]
    list_filter = ["run__program"]
    search_fields = ["membership__artist__display_name", "reason"]
    list_select_related = ["run__program", "membership__artist"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "account", "status", "received_at", "processed_at"]
    list_filter = ["status", "type", "livemode"]
    search_fields = ["event_id", "account"]


class DifferenceInline(admin.TabularInline):
    model = ReconciliationDifference
    fk_name = "report"
    extra = 0
    can_delete = False
    fields = readonly_fields = ["kind", "payout", "stripe_transfer_id", "atelier_value", "stripe_value", "status",
                                "note"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyAdmin):
    list_display = ["program", "period_start", "period_end", "checked_payouts", "checked_transfers", "created_at"]
    list_filter = ["program"]
    search_fields = ["program__name"]
    inlines = [DifferenceInline]


@admin.register(ReconciliationDifference)
class ReconciliationDifferenceAdmin(ReadOnlyAdmin):
    list_display = ["report", "kind", "payout", "stripe_transfer_id", "atelier_value", "stripe_value"]
    list_filter = ["kind"]
    search_fields = ["stripe_transfer_id"]
