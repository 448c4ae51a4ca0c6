from django.contrib import admin

from atelier.admin import AppendOnlyAdmin

from content_review.models import Appeal, ReviewDecision, ShareRequest, Work


class WorkInline(admin.TabularInline):
    model = Work
    extra = 0
    fields = ("original_name", "kind", "processing_status", "published_status", "showcase_consent")
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(ShareRequest)
class ShareRequestAdmin(admin.ModelAdmin):
    list_display = ("title", "membership", "status", "submitted_at", "deadline_at", "deadline_missed", "decided_at")
    list_filter = ("status", "deadline_missed", "membership__program")
    search_fields = ("title", "caption", "membership__artist__display_name", "membership__artist__user__email")
    list_select_related = ("membership__program", "membership__artist")
    date_hierarchy = "created_at"
    raw_id_fields = ("membership", "terms_version", "escalated_to")
    filter_horizontal = ("clauses",)
    inlines = [WorkInline]


@admin.register(Work)
class WorkAdmin(admin.ModelAdmin):
    list_display = ("original_name", "share_request", "kind", "processing_status", "published_status",
                    "showcase_consent")
    list_filter = ("kind", "processing_status", "published_status", "showcase_consent")
    search_fields = ("original_name", "share_request__title")
    list_select_related = ("share_request",)
    raw_id_fields = ("share_request",)
    # Private files have no URL (the admin would link them): show their stored names instead.
    exclude = ("original", "clean", "thumbnail", "poster", "published")
    readonly_fields = ("token", "files")

    @admin.display(description="Private files")
    def files(self, obj):
        names = [f.name for f in (obj.original, obj.clean, obj.thumbnail, obj.poster, obj.published) if f]
        return ", ".join(names) or "—"


@admin.register(ReviewDecision)
class ReviewDecisionAdmin(AppendOnlyAdmin):
    """Decisions are append-only: the admin shows them and never changes them."""

    list_display = ("share_request", "outcome", "decided_by", "on_appeal", "created_at")
    list_filter = ("outcome", "on_appeal")
    search_fields = ("share_request__title", "reason", "decided_by__email")
    list_select_related = ("share_request", "decided_by")


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ("share_request", "status", "refused_by", "assigned_to", "created_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("share_request__title", "message", "assigned_to__email")
    list_select_related = ("share_request", "refused_by", "assigned_to")
    raw_id_fields = ("share_request", "refusal", "refused_by", "assigned_to", "decision")
