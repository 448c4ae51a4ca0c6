from django.contrib import admin

from atelier.admin import AppendOnlyAdmin

from .models import (
    LedgerEntry, Payout, PayoutRun, PayoutRunSkip, RateCard, ReconciliationDifference, ReconciliationReport,
    StripeAccount, StripeEvent,
)


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    list_display = ["program", "version", "effective_date", "currency", "hourly_rate_minor", "monthly_stipend_minor",
                    "minimum_payout_minor", "fair_pay_floor_hourly_minor"]
    list_filter = ["program"]
    search_fields = ["program__name", "notes"]
    list_select_related = ["program"]

    def has_change_permission(self, request, obj=None):
        return obj is None  # versions are never edited: publish a new one

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LedgerEntry)
class LedgerEntryAdmin(AppendOnlyAdmin):
    """Read-only: the ledger is append-only; adjustments go through the staff pages (a service)."""

    list_display = ["work_date", "membership", "kind", "amount_minor", "currency", "source_key", "created_by"]
    list_filter = ["kind", "program", "currency"]
    search_fields = ["source_key", "description", "membership__artist__display_name"]
    list_select_related = ["membership__artist", "created_by"]
    date_hierarchy = "work_date"


@admin.register(StripeAccount)
class StripeAccountAdmin(admin.ModelAdmin):
    list_display = ["artist", "stripe_account_id", "country", "state", "payouts_enabled", "updated_at"]
    list_filter = ["state", "country", "payouts_enabled"]
    search_fields = ["stripe_account_id", "artist__display_name", "artist__user__email"]
    list_select_related = ["artist"]
    readonly_fields = ["stripe_account_id"]


class PayoutInline(admin.TabularInline):
    model = Payout
    extra = 0
    can_delete = False
    fields = ["membership", "amount_minor", "currency", "status", "stripe_transfer_id", "failure_message"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PayoutRun)
class PayoutRunAdmin(admin.ModelAdmin):
    list_display = ["program", "period_start", "period_end", "status", "total_minor", "currency", "created_by",
                    "approved_by", "created_at"]
    list_filter = ["status", "program"]
    search_fields = ["program__name"]
    list_select_related = ["program", "created_by", "approved_by"]
    readonly_fields = ["status", "total_minor", "created_by", "approved_by", "approved_at", "completed_at"]
    inlines = [PayoutInline]


@admin.register(Payout)
class PayoutAdmin(admin.ModelAdmin):
    list_display = ["id", "run", "membership", "amount_minor", "currency", "status", "stripe_transfer_id", "attempts"]
    list_filter = ["status", "run__program"]
    search_fields = ["stripe_transfer_id", "membership__artist__display_name"]
    list_select_related = ["run__program", "membership__artist"]
    readonly_fields = [f.name for f in Payout._meta.fields]


@admin.register(PayoutRunSkip)
class PayoutRunSkipAdmin(admin.ModelAdmin):
    list_display = ["run", "membership", "balance_minor", "reason"]
    list_filter = ["run__program"]
    search_fields = ["membership__artist__display_name", "reason"]
    list_select_related = ["run__program", "membership__artist"]


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "type", "account", "status", "received_at", "processed_at"]
    list_filter = ["status", "type", "livemode"]
    search_fields = ["event_id", "account"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]


class DifferenceInline(admin.TabularInline):
    model = ReconciliationDifference
    extra = 0
    readonly_fields = ["kind", "payout", "stripe_transfer_id", "atelier_value", "stripe_value"]


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(admin.ModelAdmin):
    list_display = ["program", "period_start", "period_end", "checked_payouts", "checked_transfers", "created_at"]
    list_filter = ["program"]
    search_fields = ["program__name"]
    inlines = [DifferenceInline]


@admin.register(ReconciliationDifference)
class ReconciliationDifferenceAdmin(admin.ModelAdmin):
    list_display = ["report", "kind", "payout", "stripe_transfer_id", "atelier_value", "stripe_value"]
    list_filter = ["kind"]
    search_fields = ["stripe_transfer_id"]
